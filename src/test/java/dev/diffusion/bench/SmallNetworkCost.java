package dev.diffusion.bench;

import ai.djl.Device;
import ai.djl.ndarray.NDList;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.DataType;
import ai.djl.ndarray.types.Shape;
import ai.djl.pytorch.jni.JniUtils;
import dev.diffusion.model.LoadedModel;
import dev.diffusion.model.ModelFolder;
import dev.diffusion.model.ModelIndex;
import dev.diffusion.model.ModelPredictors;
import java.nio.file.Path;
import java.util.Arrays;

/**
 * What an image's calls outside the UNet cost in the service's libtorch: the text encoder's call of two rows (prompt
 * and negative prompt) and the decoder's call of one image at PX pixels, on one intra-op thread, as the worker makes
 * them at small sizes. Wall time, median and least of 50 calls after 20 unmeasured, in 3 rounds. For BENCHMARKS.md
 * ("Real sizes"), beside the same calls in torch 1.13 ({@code scripts/bench-small-networks.sh}); not a test.
 *
 * <pre>
 * scripts/bench-program.sh SmallNetworkCost src/main/models/shapes 64
 * </pre>
 */
public class SmallNetworkCost {

    private static final int WARM_UP = 20;
    private static final int CALLS = 50;

    public static void main(String[] args) throws Exception {
        ModelFolder folder = ModelFolder.open(Path.of(args[0]));
        ModelIndex index = folder.index();
        int side = Integer.parseInt(args[1]) / index.vaeScaleFactor();
        try (LoadedModel model = LoadedModel.load(folder, Device.cpu());
                ModelPredictors predictors = model.newPredictors()) {
            JniUtils.setNumThreads(1);
            for (int round = 1; round <= 3; round++) {
                double[] text = new double[CALLS];
                double[] decoder = new double[CALLS];
                for (int call = -WARM_UP; call < CALLS; call++) {
                    try (NDManager manager = predictors.manager().newSubManager()) {
                        NDList ids = new NDList(manager.zeros(new Shape(2, index.maxTextLength()), DataType.INT64));
                        NDList latents = new NDList(manager.randomNormal(
                                new Shape(1, index.latentChannels(), side, side)));
                        long began = System.nanoTime();
                        predictors.textEncoders().get(0).predict(ids).get(0).toFloatArray();
                        long encoded = System.nanoTime();
                        predictors.vaeDecoder().predict(latents).singletonOrThrow().toFloatArray();
                        long decoded = System.nanoTime();
                        if (call >= 0) {
                            text[call] = (encoded - began) / 1e6;
                            decoder[call] = (decoded - encoded) / 1e6;
                        }
                    }
                }
                Arrays.sort(text);
                Arrays.sort(decoder);
                System.out.printf("service's libtorch, round %d: text encoder (2 rows) %.2f ms (least %.2f), decoder "
                        + "(1 image, %s px) %.2f ms (least %.2f)%n", round, text[CALLS / 2], text[0], args[1],
                        decoder[CALLS / 2], decoder[0]);
            }
        }
    }
}
