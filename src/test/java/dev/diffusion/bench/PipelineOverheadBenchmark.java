package dev.diffusion.bench;

import ai.djl.Device;
import dev.diffusion.model.LoadedModel;
import dev.diffusion.model.ModelFolder;
import dev.diffusion.pipeline.DiffusionPipeline;
import dev.diffusion.pipeline.GenerationRequest;
import dev.diffusion.pipeline.ImageSampling;
import dev.diffusion.pipeline.ModelCallListener.Network;
import java.nio.file.Path;
import java.util.List;
import java.util.Locale;
import java.util.concurrent.atomic.AtomicLong;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.condition.EnabledIfSystemProperty;

/**
 * The denoising loop's own time per step outside the UNet call (host-side scheduler math, guidance, copying rows in
 * and out of native memory), measured on a real model. Not a test: run it with
 * {@code scripts/bench-pipeline-overhead.sh [model-dir]}; it prints one line per configuration.
 */
@EnabledIfSystemProperty(named = "benchmark", matches = "true")
class PipelineOverheadBenchmark {

    @Test
    void printOverheadPerStep() {
        Path modelDir = Path.of(System.getProperty("benchmark.model", "src/main/models/shapes"));
        int steps = Integer.getInteger("benchmark.steps", 50);
        int runs = Integer.getInteger("benchmark.runs", 20);
        AtomicLong unetNanos = new AtomicLong();
        try (LoadedModel model = LoadedModel.load(ModelFolder.open(modelDir), Device.cpu());
                DiffusionPipeline pipeline = new DiffusionPipeline(model, (network, images, nanos) -> {
                    if (network == Network.UNET) {
                        unetNanos.addAndGet(nanos);
                    }
                })) {
            int size = pipeline.index().sampleSize();
            System.out.printf(Locale.ROOT, "model %s, %d steps x %d runs per row, %s%n", modelDir, steps, runs,
                    Runtime.version());
            for (String scheduler : List.of("ddim", "euler_ancestral", "dpmpp_2m", "unipc")) {
                for (int images : new int[] {1, 4}) {
                    GenerationRequest request = GenerationRequest.txt2img("a large red circle on a blue background",
                            "", size, size, steps, 5.0, scheduler, 1, images);
                    measure(pipeline, request, 2, unetNanos);  // warm-up: profiles the graph for this shape
                    long[] result = measure(pipeline, request, runs, unetNanos);
                    double stepMs = result[0] / 1e6 / (runs * steps);
                    double unetMs = result[1] / 1e6 / (runs * steps);
                    System.out.printf(Locale.ROOT,
                            "%-16s images=%d  step %.3f ms  unet %.3f ms  outside the UNet %.3f ms (%.1f%%)%n",
                            scheduler, images, stepMs, unetMs, stepMs - unetMs, 100 * (stepMs - unetMs) / stepMs);
                }
            }
        }
    }

    /** Total wall time of the step calls and the UNet's share of it, over {@code runs} whole loops. */
    private static long[] measure(DiffusionPipeline pipeline, GenerationRequest request, int runs, AtomicLong unet) {
        long stepTotal = 0;
        unet.set(0);
        for (int run = 0; run < runs; run++) {
            List<ImageSampling> images = pipeline.prepare(request);
            while (!images.get(0).done()) {
                long start = System.nanoTime();
                pipeline.step(images);
                stepTotal += System.nanoTime() - start;
            }
        }
        return new long[] {stepTotal, unet.get()};
    }
}
