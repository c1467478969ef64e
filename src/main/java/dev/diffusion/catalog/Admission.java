package dev.diffusion.catalog;

import dev.diffusion.model.ModelCosts;
import java.time.Instant;
import java.util.Locale;
import java.util.Optional;

/**
 * Whether a job fits what a worker can do, by the model's measured costs: the peak native memory of its largest call
 * (one UNet call of all its rows, or the decoder's call of all its images) within the worker's budget, and its
 * estimated time (every UNet call, then the decoder) within the longest job allowed. Costs grow with the latent area,
 * so what is allowed is an area: any width × height up to it.
 */
public final class Admission {

    /** What a job asks of the model. */
    public record Load(int width, int height, int images, int steps, String scheduler, boolean guided) {

        Load withSize(int newWidth, int newHeight) {
            return new Load(newWidth, newHeight, images, steps, scheduler, guided);
        }
    }

    /** A job's largest call in bytes and its time in seconds. */
    public record Estimate(double peakBytes, double seconds) {
    }

    /** Areas beyond this many size-step blocks are not searched (a 32-pixel step: 32k × 32k pixels). */
    private static final long MAX_BLOCKS = 1L << 20;

    private Admission() {
    }

    public static Estimate estimate(ModelInfo model, ModelCosts costs, Load load) {
        double area = (double) (load.width() / model.vaeScaleFactor()) * (load.height() / model.vaeScaleFactor());
        int rows = load.images() * (load.guided() && !model.guidanceEmbedding() ? 2 : 1);
        double unetCalls = (double) load.steps() * SchedulerCatalog.unetCallsPerStep(load.scheduler());
        double peak = Math.max(costs.unetBytes().estimate(rows, area), costs.vaeBytes().estimate(load.images(), area));
        double seconds = unetCalls * costs.unetSeconds().estimate(rows, area)
                + costs.vaeSeconds().estimate(load.images(), area);
        return new Estimate(peak, seconds);
    }

    /** Why the job cannot be admitted, naming the limit and the largest size this model allows; empty if it can. */
    public static Optional<String> refusal(ModelInfo model, MeasuredCosts measured, Load load) {
        Estimate estimate = estimate(model, measured.costs(), load);
        String over;
        if (estimate.peakBytes() > measured.budgetBytes()) {
            over = String.format(Locale.ROOT, "needs an estimated %s of native memory for one call, over the "
                    + "worker's diffusion.limits.max-native-memory of %s", bytes(estimate.peakBytes()),
                    bytes(measured.budgetBytes()));
        } else if (estimate.seconds() > measured.maxJobSeconds()) {
            over = String.format(Locale.ROOT, "takes an estimated %.0f s on the worker, over "
                    + "diffusion.limits.max-job-time of %.0f s", estimate.seconds(), measured.maxJobSeconds());
        } else {
            return Optional.empty();
        }
        int side = largestSquare(model, measured, load);
        String images = load.images() == 1 ? "1 image" : load.images() + " images";
        String allowed = side == 0 ? "no size fits with " + images + " and " + load.steps() + " steps; ask for fewer"
                : String.format(Locale.ROOT, "model %s allows at most %d×%d pixels (%d in all, any shape) with %s "
                        + "and %d steps", model.name(), side, side, maxPixels(model, measured, load), images,
                        load.steps());
        return Optional.of(String.format(Locale.ROOT, "%d×%d %s; %s", load.width(), load.height(), over, allowed));
    }

    /**
     * Why a job that fits the worker is not taken now: the worker's calls lately take {@code slowdown} times what was
     * measured (other load on the machine), and at that pace the job's estimate is over the longest job allowed, so it
     * could run out its timeout. Empty if it can be taken (always when the worker runs at its measured speed).
     */
    public static Optional<String> deferral(ModelInfo model, MeasuredCosts measured, Load load, Instant now) {
        double slowdown = measured.slowdownAt(now);
        double seconds = estimate(model, measured.costs(), load).seconds() * slowdown;
        if (slowdown <= 1 || seconds <= measured.maxJobSeconds()) {
            return Optional.empty();
        }
        return Optional.of(String.format(Locale.ROOT, "%d×%d takes an estimated %.0f s on the worker now, which runs "
                + "%.1f× slower than measured (other load on its machine), over diffusion.limits.max-job-time of "
                + "%.0f s; try again later or ask for a smaller size", load.width(), load.height(), seconds,
                slowdown, measured.maxJobSeconds()));
    }

    /**
     * The most pixels (width × height, any shape) a job of this kind may have, in whole blocks of the model's size step;
     * 0 if even one block does not fit.
     */
    public static long maxPixels(ModelInfo model, MeasuredCosts measured, Load load) {
        long fitting = 0;
        long failing = 1;
        while (failing <= MAX_BLOCKS && fitsBlocks(model, measured, load, failing)) {
            fitting = failing;
            failing *= 2;
        }
        while (failing - fitting > 1) {
            long mid = (fitting + failing) / 2;
            if (fitsBlocks(model, measured, load, mid)) {
                fitting = mid;
            } else {
                failing = mid;
            }
        }
        return fitting * model.sizeMultiple() * model.sizeMultiple();
    }

    /** The largest square side, a multiple of the model's size step, that fits; 0 if none. */
    public static int largestSquare(ModelInfo model, MeasuredCosts measured, Load load) {
        int step = model.sizeMultiple();
        int side = (int) (Math.sqrt((double) maxPixels(model, measured, load)) / step) * step;
        while (side > 0 && !fits(model, measured, load.withSize(side, side))) {
            side -= step;
        }
        return side;
    }

    /** Whether the job fits at the area of {@code blocks} step × step blocks (costs depend on the area alone). */
    private static boolean fitsBlocks(ModelInfo model, MeasuredCosts measured, Load load, long blocks) {
        return fits(model, measured, load.withSize(Math.toIntExact(blocks * model.sizeMultiple()),
                model.sizeMultiple()));
    }

    private static boolean fits(ModelInfo model, MeasuredCosts measured, Load load) {
        Estimate estimate = estimate(model, measured.costs(), load);
        return estimate.peakBytes() <= measured.budgetBytes() && estimate.seconds() <= measured.maxJobSeconds();
    }

    private static String bytes(double value) {
        return value >= 1e9 ? String.format(Locale.ROOT, "%.1f GB", value / 1e9)
                : String.format(Locale.ROOT, "%.0f MB", value / 1e6);
    }
}
