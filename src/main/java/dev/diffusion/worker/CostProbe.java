package dev.diffusion.worker;

import com.sun.jna.Memory;
import dev.diffusion.model.CallCost;
import dev.diffusion.model.ModelCosts;
import dev.diffusion.model.ModelIndex;
import dev.diffusion.model.NativeMemory;
import dev.diffusion.pipeline.DiffusionPipeline;
import dev.diffusion.pipeline.GenerationRequest;
import dev.diffusion.pipeline.ImageSampling;
import java.lang.management.ManagementFactory;
import java.lang.management.ThreadMXBean;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.CancellationException;
import java.util.function.BiConsumer;
import java.util.function.Supplier;

/**
 * Measures what a model's calls cost on this worker, at warm-up: UNet and decoder calls through the pipeline's own
 * path, at latent sides from 8 up by 8 until a call takes {@code maxCallSeconds} (or a quarter of the memory budget,
 * or the side is eight times the model's own), at one row (image) each, at the model's own size also at more, and at
 * two, three and four times its side also at eight UNet rows and two and four decoded images.
 * Each call is made once to set up kernels for the shape, once to measure memory, then twice timed (CPU time of the
 * calling thread, so other load on the machine does not count); once every call is measured, each is timed twice more
 * and the shortest of the four times kept. That second pass comes seconds after the first, not straight after it:
 * on a shared machine a vCPU runs up to 1.9 times slower for a while (a host's other guests), which the calling
 * thread's CPU time does not hide, and two runs back to back fall in the same slow spell (a 64x64 decoder call of the
 * tiny SD 1.x fixture measured 52 ms in one probe, 28-33 ms elsewhere). Where the worker may run on two CPUs or more
 * (Linux), the first pass runs on one and the second on another, so that one vCPU's slow spell cannot slow all four
 * times (in one of ten probes the second pass ran a median 1.44 times slower than the first).
 * Before any of that, calls at the smallest side warm the Java and libtorch code around a call, up to 1500 of each
 * network or {@code warmUpSeconds}, while the JIT compiles it: after 50 such calls the tiny SD 1.x fixture's samples
 * ran a median 5-22% slower than the same calls a minute later, which made the fit over-estimate them (BENCHMARKS.md,
 * "What does admission by cost predict").
 * Memory is the growth of the resident size to the call's peak, with freed memory handed back to the system first,
 * so that what the allocator kept from earlier calls does not hide it. The timed calls run as a serving worker's do,
 * on the memory the allocator kept: after that hand-back a call pays a page fault for every page it touches, which
 * doubled a 48x48 UNet call of the bundled model (BENCHMARKS.md, "What does admission by cost predict").
 * {@link CallCost#fit} turns the samples into the cost model.
 */
public final class CostProbe {

    /** A UNet halves the latent three times. */
    private static final int SIDE_STEP = 8;
    /** Timed runs of a call in each of the two passes. */
    private static final int TIMED_RUNS = 2;
    /** Warm-up calls of each network at the smallest side, at most. */
    private static final int WARM_UP_CALLS = 1500;
    /** The most rows of a batch measured at the model's own size (the 8 guided images of a full batch give 16). */
    private static final int MAX_BATCH_ROWS = 32;
    /**
     * Many rows of a mid-size latent gain the most from sharing a call: 8 rows at 2-5 times the bundled model's own
     * side cost up to 30% less a row than one row does, and a fit to one-row calls alone over-estimated them by as much
     * (BENCHMARKS.md, "What does admission by cost predict"). Such calls, where short enough, are measured too: they
     * fit the cost model's rows exponent ({@link CallCost}).
     */
    private static final List<Integer> MID_BATCH_SIDE_MULTIPLES = List.of(2, 3, 4);
    private static final int MID_BATCH_ROWS = 8;
    /**
     * The decoder's batches are a request's images: 2 and 4 of them at those sides are measured too. Fitted to its
     * one-image calls and one batch of two at the model's own size, the tiny SD 1.x fixture's decoder over-estimated
     * 2-8 images at 2-4 times its side by 20-36%; with batches of 4 there, its calls of 2 images still by 18-31%
     * (BENCHMARKS.md, "What does admission by cost predict").
     */
    private static final List<Integer> MID_BATCH_IMAGES = List.of(2, 4);
    private static final ThreadMXBean THREADS = ManagementFactory.getThreadMXBean();

    private final DiffusionPipeline pipeline;
    private final double maxCallSeconds;
    private final double warmUpSeconds;
    private final long memoryBudget;
    private final boolean measuresMemory;
    private final Runnable betweenCalls;
    private final List<CallCost.Sample> unetBytes = new ArrayList<>();
    private final List<CallCost.Sample> unetSeconds = new ArrayList<>();
    private final List<CallCost.Sample> vaeBytes = new ArrayList<>();
    private final List<CallCost.Sample> vaeSeconds = new ArrayList<>();
    /** Each time sample's call again, for the second timing pass. */
    private final List<Retime> retimes = new ArrayList<>();

    /**
     * @param warmUpSeconds  the most time spent on warm-up calls of each network
     * @param measuresMemory false on a GPU, whose memory the process's resident size does not show
     * @param betweenCalls   run before each measured call, outside the measurement (a worker serves its jobs there);
     *                       a {@link CancellationException} from it stops the probe
     */
    public CostProbe(DiffusionPipeline pipeline, double maxCallSeconds, double warmUpSeconds, long memoryBudget,
            boolean measuresMemory, Runnable betweenCalls) {
        this.pipeline = pipeline;
        this.betweenCalls = betweenCalls;
        this.maxCallSeconds = maxCallSeconds;
        this.warmUpSeconds = warmUpSeconds;
        this.memoryBudget = memoryBudget;
        this.measuresMemory = measuresMemory && NativeMemory.resetPeak() && NativeMemory.peakBytes() > 0;
    }

    /** @throws CancellationException if {@code betweenCalls} stopped it */
    public ModelCosts measure() {
        Optional<Memory> cpus = CpuAffinity.current();
        try {
            return measure(cpus.map(CpuAffinity::cpus).orElse(List.of()));
        } finally {
            cpus.ifPresent(CpuAffinity::set);
        }
    }

    /** @param cpus where the calling thread may run; with two or more, each timing pass runs on one of them */
    private ModelCosts measure(List<Integer> cpus) {
        ModelIndex index = pipeline.index();
        int ownSide = index.sampleSize() / index.vaeScaleFactor();
        int lastSide = 8 * roundUp(ownSide);
        // time steps down where a call takes more threads; memory does not
        double parallelFrom = pipeline.threads().parallelFromArea(index.latentChannels());
        warmUp(this::unetCall);
        warmUp(this::vaeCall);
        // libtorch's worker threads take the affinity of the thread that starts them: a call that takes more threads
        // starts them before any pinning (the warm-up's calls do where every call takes the same threads)
        if (parallelFrom > 0) {
            unetCall(SIDE_STEP, (int) Math.ceil(parallelFrom / (SIDE_STEP * SIDE_STEP)), false, 1);
        }
        pinForPass(cpus, 0);
        for (int side = SIDE_STEP; side <= lastSide; side += SIDE_STEP) {
            Measured call = record(unetBytes, unetSeconds, side, 1, this::unetCall);
            if (side == roundUp(ownSide)) {
                record(unetBytes, unetSeconds, side, 2, this::unetCall);
                Measured fourRows = record(unetBytes, unetSeconds, side, 4, this::unetCall);
                // a batch at the model's own size, the service's most common call, gains from more threads otherwise
                // than one large image does: measure one where batches take more threads
                int batchRows = (int) Math.ceil(parallelFrom / ((double) side * side));
                if (batchRows > 4 && batchRows <= MAX_BATCH_ROWS
                        && fourRows.seconds() * batchRows / 4 <= maxCallSeconds) {
                    record(unetBytes, unetSeconds, side, batchRows, this::unetCall);
                }
            }
            if (midBatch(side, ownSide, call, MID_BATCH_ROWS)) {
                record(unetBytes, unetSeconds, side, MID_BATCH_ROWS, this::unetCall);
            }
            if (call.seconds() > maxCallSeconds || call.bytes() > memoryBudget / 4) {
                break;
            }
        }
        // the decoder is cheaper: measured on to larger sizes, where its memory stands clear of the allocator's noise
        for (int side = SIDE_STEP; side <= lastSide; side += SIDE_STEP) {
            Measured call = record(vaeBytes, vaeSeconds, side, 1, this::vaeCall);
            if (side == roundUp(ownSide)) {
                record(vaeBytes, vaeSeconds, side, 2, this::vaeCall);
            }
            for (int images : MID_BATCH_IMAGES) {
                if (midBatch(side, ownSide, call, images)) {
                    record(vaeBytes, vaeSeconds, side, images, this::vaeCall);
                }
            }
            if (call.seconds() > maxCallSeconds || call.bytes() > memoryBudget / 4) {
                break;
            }
        }
        pinForPass(cpus, 1);
        for (Retime retime : retimes) {
            betweenCalls.run();
            retime.run();
        }
        return new ModelCosts(fitOrZero(unetBytes), CallCost.fit(unetSeconds, CallCost.Errors.RELATIVE, parallelFrom),
                fitOrZero(vaeBytes), CallCost.fit(vaeSeconds, CallCost.Errors.RELATIVE, parallelFrom));
    }

    /**
     * Keeps the calling thread on one CPU for a timing pass, another for each pass, where it may run on two or more:
     * the shorter of the two passes' times then comes from the faster CPU, when one is in a slow spell.
     */
    private static void pinForPass(List<Integer> cpus, int pass) {
        if (cpus.size() >= 2) {
            CpuAffinity.pin(cpus.get(pass % cpus.size()));
        }
    }

    /** Whether a batch of {@code rows} is measured at this side: a mid size, within the limits at one row's cost. */
    private boolean midBatch(int side, int ownSide, Measured oneRow, int rows) {
        return MID_BATCH_SIDE_MULTIPLES.contains(side / roundUp(ownSide)) && side % roundUp(ownSide) == 0
                && oneRow.seconds() * rows <= maxCallSeconds && oneRow.bytes() * rows <= memoryBudget / 4;
    }

    /** What {@link #measure} measured, by what it fits (UNet and decoder, seconds and bytes), in the order measured. */
    public Map<String, List<CallCost.Sample>> samples() {
        Map<String, List<CallCost.Sample>> samples = new LinkedHashMap<>();
        samples.put("unet seconds", List.copyOf(unetSeconds));
        samples.put("unet bytes", List.copyOf(unetBytes));
        samples.put("decoder seconds", List.copyOf(vaeSeconds));
        samples.put("decoder bytes", List.copyOf(vaeBytes));
        return samples;
    }

    /** A network call at a latent side, with so many rows (or images). */
    @FunctionalInterface
    private interface Call {
        /** @param setUp whether the call is made first to set up its shape's kernels and to measure its memory */
        Measured measure(int side, int rows, boolean setUp, int timedRuns);
    }

    /** A time sample's call, timed again: the sample keeps the shorter time. */
    private record Retime(List<CallCost.Sample> seconds, int index, int side, int rows, Call call) {
        void run() {
            CallCost.Sample sample = seconds.get(index);
            double again = call.measure(side, rows, false, TIMED_RUNS).seconds();
            if (again < sample.value()) {
                seconds.set(index, new CallCost.Sample(sample.rows(), sample.area(), again));
            }
        }
    }

    /** Calls at the smallest side until the code around them is compiled (or the time is up). */
    private void warmUp(Call call) {
        long end = System.nanoTime() + (long) (warmUpSeconds * 1e9);
        for (int i = 0; i < WARM_UP_CALLS && System.nanoTime() < end; i++) {
            betweenCalls.run();
            call.measure(SIDE_STEP, 1, false, 1);
        }
    }

    private Measured record(List<CallCost.Sample> bytes, List<CallCost.Sample> seconds, int side, int rows,
            Call call) {
        betweenCalls.run();
        Measured measured = call.measure(side, rows, true, TIMED_RUNS);
        double area = (double) side * side;
        seconds.add(new CallCost.Sample(rows, area, measured.seconds()));
        retimes.add(new Retime(seconds, seconds.size() - 1, side, rows, call));
        if (measuresMemory) {
            bytes.add(new CallCost.Sample(rows, area, measured.bytes()));
        }
        return measured;
    }

    /**
     * One UNet call of {@code rows} rows (images, unguided) at a latent side, measured as the probe's first pass
     * measures it.
     */
    public Measured unetCall(int side, int rows) {
        return unetCall(side, rows, true, TIMED_RUNS);
    }

    /** One VAE decoder call of {@code images} images at a latent side, measured as {@link #unetCall} is. */
    public Measured vaeCall(int side, int images) {
        return vaeCall(side, images, true, TIMED_RUNS);
    }

    private Measured unetCall(int side, int rows, boolean setUp, int timedRuns) {
        return timed(side, rows, setUp, timedRuns, (images, pixels) -> pipeline.step(images));
    }

    private Measured vaeCall(int side, int images, boolean setUp, int timedRuns) {
        return timed(side, images, setUp, timedRuns, (sampled, pixels) -> pipeline.decode(sampled, pixels, pixels));
    }

    /**
     * The call run {@code timedRuns} times, the shortest counting; if {@code setUp}, first to set up its shape's
     * kernels and then to measure its memory (0 bytes otherwise).
     */
    private Measured timed(int side, int rows, boolean setUp, int timedRuns,
            BiConsumer<List<ImageSampling>, Integer> network) {
        int pixels = side * pipeline.index().vaeScaleFactor();
        GenerationRequest request = GenerationRequest.txt2img("a cost probe", "", pixels, pixels, 1, 1.0,
                pipeline.index().defaultScheduler(), 0, rows);
        // each run prepares its own images (text encoding, noise) outside what is measured
        Supplier<Runnable> nextCall = () -> {
            List<ImageSampling> images = pipeline.prepare(request);
            return () -> network.accept(images, pixels);
        };
        long bytes = 0;
        if (setUp) {
            nextCall.get().run();
            bytes = measuresMemory ? peakGrowth(nextCall.get()) : 0;
        }
        double seconds = Double.MAX_VALUE;
        for (int run = 0; run < timedRuns; run++) {
            seconds = Math.min(seconds, cpuSeconds(nextCall.get()));
        }
        return new Measured(seconds, bytes);
    }

    /**
     * The call's time as the CPU time of the calling thread, which takes part in every one of its parallel sections
     * (so this is its time on an otherwise idle machine, whatever else the machine runs).
     */
    private static double cpuSeconds(Runnable call) {
        long start = THREADS.getCurrentThreadCpuTime();
        call.run();
        return (THREADS.getCurrentThreadCpuTime() - start) / 1e9;
    }

    /** The growth of the resident size to the call's peak, from what it is once freed memory is handed back. */
    private static long peakGrowth(Runnable call) {
        NativeMemory.releaseFreed();
        long before = NativeMemory.residentBytes();
        NativeMemory.resetPeak();
        call.run();
        return Math.max(0, NativeMemory.peakBytes() - before);
    }

    private static CallCost fitOrZero(List<CallCost.Sample> samples) {
        return samples.isEmpty() ? new CallCost(0, 0, 0) : CallCost.fit(samples, CallCost.Errors.ABSOLUTE);
    }

    private static int roundUp(int side) {
        return (side + SIDE_STEP - 1) / SIDE_STEP * SIDE_STEP;
    }

    /** One call's time and the growth of the resident size to its peak (0 where memory is not measured). */
    public record Measured(double seconds, long bytes) {
    }


}
