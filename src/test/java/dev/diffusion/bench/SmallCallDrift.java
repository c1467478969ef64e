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

/**
 * Whether a process's small UNet calls stay as fast as they start: the service's pipeline (threads as a worker sets
 * them) makes rounds of small images (8 steps of DPM-Solver++ 2M at 128 px), each round followed by one large image
 * whose calls take both cores, and prints each round's median UNet call. For BENCHMARKS.md ("Real sizes", the slow
 * state); not a test.
 *
 * <pre>
 * scripts/bench-program.sh SmallCallDrift MODEL_DIR [ROUNDS=2] [IMAGES=30] [LARGE_PX=384, 0: none]
 *     [PARALLEL_FROM_ROWS=16]
 * </pre>
 */
public class SmallCallDrift {

    public static void main(String[] args) {
        Path modelDir = Path.of(args[0]);
        int rounds = args.length > 1 ? Integer.parseInt(args[1]) : 2;
        int images = args.length > 2 ? Integer.parseInt(args[2]) : 30;
        int largePx = args.length > 3 ? Integer.parseInt(args[3]) : 384;
        int parallelFromRows = args.length > 4 ? Integer.parseInt(args[4]) : 16;
        List<Double> unetMillis = Collections.synchronizedList(new ArrayList<>());
        ModelCallListener listener = (network, count, nanos) -> {
            if (network == ModelCallListener.Network.UNET) {
                unetMillis.add(nanos / 1e6);
            }
        };
        try (LoadedModel model = LoadedModel.load(ModelFolder.open(modelDir), Device.cpu());
                DiffusionPipeline pipeline = new DiffusionPipeline(model, listener,
                        IntraOpThreads.forMachine(parallelFromRows))) {
            for (int round = 0; round < rounds; round++) {
                unetMillis.clear();
                for (int i = 0; i < images; i++) {
                    pipeline.generate(GenerationRequest.txt2img("a red circle", "", 128, 128, 8, 7.5, "dpmpp_2m", i, 1),
                            StepListener.NONE);
                }
                List<Double> sorted = new ArrayList<>(unetMillis);
                Collections.sort(sorted);
                System.out.printf("round %d: %d images at 128 px, UNet call median %.2f ms%n", round, images,
                        sorted.get(sorted.size() / 2));
                if (largePx > 0) {
                    pipeline.generate(GenerationRequest.txt2img("a red circle", "", largePx, largePx, 2, 7.5,
                            "dpmpp_2m", 0, 1), StepListener.NONE);
                }
            }
        }
    }
}
