package dev.diffusion.worker;

import dev.diffusion.model.CallCost;
import dev.diffusion.model.ModelCosts;
import dev.diffusion.model.ModelIndex;
import dev.diffusion.model.NativeMemory;
import dev.diffusion.pipeline.DiffusionPipeline;
import dev.diffusion.pipeline.GenerationRequest;
import dev.diffusion.pipeline.ImageSampling;
import java.util.ArrayList;
import java.util.List;
import java.util.function.LongSupplier;

/**
 * Measures what a model's calls cost on this worker, at warm-up: UNet and VAE decoder calls through the pipeline's
 * own path, at latent sides from 8 up by 8 until a call takes {@code maxCallSeconds} (or uses a quarter of the memory
 * budget, or the side is four times the model's own), each at one row, and at the model's own size also at two and
 * four rows. Each size is called twice and the second call timed (the first sets up kernels for the shape). Memory
 * is the growth of the resident size to the call's peak, measured with freed memory handed back to the system first,
 * so that what the allocator kept from earlier calls does not hide it. {@link CallCost#fit} turns the samples into
 * the cost model.
 */
final class CostProbe {

    /** A UNet halves the latent three times. */
    private static final int SIDE_STEP = 8;

    private final DiffusionPipeline pipeline;
    private final double maxCallSeconds;
    private final long memoryBudget;
    private final boolean measuresMemory;
    private final List<CallCost.Sample> unetBytes = new ArrayList<>();
    private final List<CallCost.Sample> unetSeconds = new ArrayList<>();
    private final List<CallCost.Sample> vaeBytes = new ArrayList<>();
    private final List<CallCost.Sample> vaeSeconds = new ArrayList<>();

    /** @param measuresMemory false on a GPU, whose memory the process's resident size does not show */
    CostProbe(DiffusionPipeline pipeline, double maxCallSeconds, long memoryBudget, boolean measuresMemory) {
        this.pipeline = pipeline;
        this.maxCallSeconds = maxCallSeconds;
        this.memoryBudget = memoryBudget;
        this.measuresMemory = measuresMemory && NativeMemory.resetPeak() && NativeMemory.peakBytes() > 0;
    }

    ModelCosts measure() {
        ModelIndex index = pipeline.index();
        int ownSide = index.sampleSize() / index.vaeScaleFactor();
        for (int side = SIDE_STEP; side <= 4 * ownSide; side += SIDE_STEP) {
            Measured call = probe(side, 1);
            if (side == roundUp(ownSide)) {
                probe(side, 2);
                probe(side, 4);
            }
            if (call.seconds() > maxCallSeconds || call.bytes() > memoryBudget / 4) {
                break;
            }
        }
        return new ModelCosts(fitOrZero(unetBytes), CallCost.fit(unetSeconds), fitOrZero(vaeBytes),
                CallCost.fit(vaeSeconds));
    }

    /** The costs of one UNet call of {@code rows} rows and one VAE call of as many images, at a latent side. */
    private Measured probe(int side, int rows) {
        int pixels = side * pipeline.index().vaeScaleFactor();
        // rows are images here: one row each without guidance
        GenerationRequest request = GenerationRequest.txt2img("a cost probe", "", pixels, pixels, 1, 1.0,
                pipeline.index().defaultScheduler(), 0, rows);
        double area = (double) side * side;
        Measured unet = null;
        Measured vae = null;
        for (int run = 0; run < 2; run++) {
            List<ImageSampling> images = pipeline.prepare(request);
            unet = call(() -> {
                pipeline.step(images);
                return 0;
            });
            vae = call(() -> pipeline.decode(images, pixels, pixels).size());
        }
        record(unetBytes, unetSeconds, rows, area, unet);
        record(vaeBytes, vaeSeconds, rows, area, vae);
        return unet;
    }

    private void record(List<CallCost.Sample> bytes, List<CallCost.Sample> seconds, int rows, double area,
            Measured call) {
        seconds.add(new CallCost.Sample(rows, area, call.seconds()));
        if (measuresMemory) {
            bytes.add(new CallCost.Sample(rows, area, call.bytes()));
        }
    }

    private Measured call(LongSupplier call) {
        long before = 0;
        if (measuresMemory) {
            NativeMemory.releaseFreed();
            before = NativeMemory.residentBytes();
            NativeMemory.resetPeak();
        }
        long start = System.nanoTime();
        call.getAsLong();
        double seconds = (System.nanoTime() - start) / 1e9;
        long bytes = measuresMemory ? Math.max(0, NativeMemory.peakBytes() - before) : 0;
        return new Measured(seconds, bytes);
    }

    private static CallCost fitOrZero(List<CallCost.Sample> samples) {
        return samples.isEmpty() ? new CallCost(0, 0, 0) : CallCost.fit(samples);
    }

    private static int roundUp(int side) {
        return (side + SIDE_STEP - 1) / SIDE_STEP * SIDE_STEP;
    }

    private record Measured(double seconds, long bytes) {
    }
}
