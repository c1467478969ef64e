package dev.diffusion.bench;

import ai.djl.Device;
import dev.diffusion.model.IntraOpThreads;
import dev.diffusion.model.LoadedModel;
import dev.diffusion.model.ModelFolder;
import dev.diffusion.pipeline.DiffusionPipeline;
import dev.diffusion.pipeline.GenerationRequest;
import dev.diffusion.pipeline.ModelCallListener;
import dev.diffusion.pipeline.StepListener;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;

/**
 * Whether a process's small UNet calls stay as fast as they start: the service's pipeline (threads as a worker sets
 * them) makes rounds of small images (8 steps of DPM-Solver++ 2M at 128 px), each round followed by one large image
 * whose calls take both cores, and prints each round's time per image and median call of each network. For
 * BENCHMARKS.md ("Real sizes", the slow state); not a test.
 *
 * <pre>
 * scripts/bench-program.sh SmallCallDrift MODEL_DIR [ROUNDS=2] [IMAGES=30] [LARGE_PX=384, 0: none]
 *     [PARALLEL_FROM_ROWS=16] [ATTENTION=FUSED or AS_EXPORTED]
 * </pre>
 */
public class SmallCallDrift {

    public static void main(String[] args) {
        Path modelDir = Path.of(args[0]);
        int rounds = args.length > 1 ? Integer.parseInt(args[1]) : 2;
        int images = args.length > 2 ? Integer.parseInt(args[2]) : 30;
        int largePx = args.length > 3 ? Integer.parseInt(args[3]) : 384;
        int parallelFromRows = args.length > 4 ? Integer.parseInt(args[4]) : 16;
        LoadedModel.Attention attention = args.length > 5 ? LoadedModel.Attention.valueOf(args[5])
                : LoadedModel.Attention.FUSED;
        Map<ModelCallListener.Network, List<Double>> millis = new ConcurrentHashMap<>();
        ModelCallListener listener = (network, count, nanos) ->
                millis.computeIfAbsent(network, n -> Collections.synchronizedList(new ArrayList<>())).add(nanos / 1e6);
        try (LoadedModel model = LoadedModel.load(ModelFolder.open(modelDir), Device.cpu(), attention);
                DiffusionPipeline pipeline = new DiffusionPipeline(model, listener,
                        IntraOpThreads.forMachine(parallelFromRows))) {
            for (int round = 0; round < rounds; round++) {
                millis.clear();
                long started = System.nanoTime();
                for (int i = 0; i < images; i++) {
                    pipeline.generate(GenerationRequest.txt2img("a red circle", "", 128, 128, 8, 7.5, "dpmpp_2m", i, 1),
                            StepListener.NONE);
                }
                double imageMillis = (System.nanoTime() - started) / 1e6 / images;
                System.out.printf("round %d: %d images at 128 px, %.1f ms an image; call medians: UNet %.2f ms, "
                        + "text encoder %.2f ms, VAE decoder %.2f ms%n", round, images, imageMillis,
                        median(millis.get(ModelCallListener.Network.UNET)),
                        median(millis.get(ModelCallListener.Network.TEXT_ENCODER)),
                        median(millis.get(ModelCallListener.Network.VAE_DECODER)));
                if (largePx > 0) {
                    pipeline.generate(GenerationRequest.txt2img("a red circle", "", largePx, largePx, 2, 7.5,
                            "dpmpp_2m", 0, 1), StepListener.NONE);
                }
            }
        }
    }

    private static double median(List<Double> values) {
        return UnetLatentCost.median(values.stream().mapToDouble(Double::doubleValue).toArray());
    }
}
