package dev.diffusion.bench;

import ai.djl.Device;
import ai.djl.ndarray.NDList;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.DataType;
import ai.djl.ndarray.types.Shape;
import ai.djl.pytorch.jni.JniUtils;
import dev.diffusion.model.LoadedModel;
import dev.diffusion.model.ModelFolder;
import dev.diffusion.model.ModelPredictors;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.Random;

/**
 * What a UNet call costs by rows on one libtorch intra-op thread and on two, in one JVM that switches the count per
 * call as the service's worker does ({@code IntraOpThreads}): wall time, median of 15 calls of each, alternating, after
 * 3 warm-up calls of every shape with each count. For BENCHMARKS.md ("Threads"); not a test.
 *
 * <pre>
 * scripts/bench-program.sh UnetThreadCost src/main/models/shapes
 * </pre>
 */
public class UnetThreadCost {

    private static final int[] ROWS = {2, 4, 6, 8, 10, 12, 16};
    private static final int REPEATS = 15;

    public static void main(String[] args) throws Exception {
        ModelFolder folder = ModelFolder.open(Path.of(args[0]));
        try (LoadedModel model = LoadedModel.load(folder, Device.cpu());
                ModelPredictors predictors = model.newPredictors()) {
            int side = folder.index().sampleSize() / folder.index().vaeScaleFactor();
            int channels = folder.index().latentChannels();
            int tokens = folder.index().maxTextLength();
            int hidden;
            try (NDManager manager = predictors.manager().newSubManager()) {
                NDList tokenIds = new NDList(manager.zeros(new Shape(1, tokens), DataType.INT64));
                hidden = (int) predictors.textEncoders().get(0).predict(tokenIds).get(0).getShape().get(2);
            }
            Random random = new Random(1);
            for (int threads = 1; threads <= 2; threads++) {
                JniUtils.setNumThreads(threads);
                for (int rows : ROWS) {
                    for (int i = 0; i < 3; i++) {
                        call(predictors, rows, channels, side, tokens, hidden, random);
                    }
                }
            }
            System.out.println("| rows | 1 thread | per row | 2 threads | per row |");
            System.out.println("| --- | --- | --- | --- | --- |");
            for (int rows : ROWS) {
                double[][] ms = new double[2][REPEATS];
                for (int i = 0; i < REPEATS; i++) {
                    for (int threads = 1; threads <= 2; threads++) {
                        JniUtils.setNumThreads(threads);
                        ms[threads - 1][i] = call(predictors, rows, channels, side, tokens, hidden, random);
                    }
                }
                Arrays.sort(ms[0]);
                Arrays.sort(ms[1]);
                double one = ms[0][REPEATS / 2];
                double two = ms[1][REPEATS / 2];
                System.out.printf("| %d | %.1f ms | %.2f | %.1f ms | %.2f |%n", rows, one, one / rows, two, two / rows);
            }
        }
    }

    /** One UNet call on random rows; wall time in ms. */
    private static double call(ModelPredictors predictors, int rows, int channels, int side, int tokens, int hidden,
            Random random) throws Exception {
        try (NDManager manager = predictors.manager().newSubManager()) {
            NDList inputs = new NDList(
                    manager.create(gaussian(random, rows * channels * side * side), new Shape(rows, channels, side, side)),
                    manager.full(new Shape(rows), 500f),
                    manager.create(gaussian(random, rows * tokens * hidden), new Shape(rows, tokens, hidden)));
            long start = System.nanoTime();
            predictors.unet().predict(inputs).singletonOrThrow().toFloatArray();
            return (System.nanoTime() - start) / 1e6;
        }
    }

    private static float[] gaussian(Random random, int length) {
        float[] values = new float[length];
        for (int i = 0; i < length; i++) {
            values[i] = (float) random.nextGaussian();
        }
        return values;
    }
}
