package dev.diffusion.bench;

import ai.djl.Device;
import ai.djl.ndarray.NDList;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.Shape;
import ai.djl.pytorch.jni.JniUtils;
import dev.diffusion.model.LoadedModel;
import dev.diffusion.model.ModelFolder;
import dev.diffusion.model.ModelPredictors;
import java.lang.management.ManagementFactory;
import java.lang.management.ThreadMXBean;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.Random;

/**
 * What a UNet call costs by rows, for BENCHMARKS.md: the first call of every new row count (graph profiling and
 * kernel set-up), the median of later calls, and a random mix of row counts as a batching worker makes them. Run
 * with one intra-op thread and it times the calling thread's CPU, which other load on a shared machine barely
 * touches (wall time there is mostly waiting for a core).
 *
 * <pre>
 * BENCH_JAVA_OPTS=-Dai.djl.pytorch.num_threads=1 scripts/bench-program.sh UnetBatchCost \
 *     src/main/models/shapes true|false [max-rows]
 * </pre>
 * The second argument turns TorchScript's graph optimizer (profiling executor) on or off; run each in its own JVM.
 */
public class UnetBatchCost {

    private static final ThreadMXBean THREADS = ManagementFactory.getThreadMXBean();
    private static final int REPEATS = 7;
    private static final int MIXED_CALLS = 120;

    public static void main(String[] args) throws Exception {
        boolean optimize = Boolean.parseBoolean(args[1]);
        int maxRows = args.length > 2 ? Integer.parseInt(args[2]) : 16;
        ModelFolder folder = ModelFolder.open(Path.of(args[0]));
        try (LoadedModel model = LoadedModel.load(folder, Device.cpu());
                ModelPredictors predictors = model.newPredictors()) {
            JniUtils.setGraphExecutorOptimize(optimize);
            UnetBatchCost cost = new UnetBatchCost(predictors, folder.index().latentChannels(),
                    folder.index().sampleSize() / folder.index().vaeScaleFactor(), folder.index().maxTextLength(),
                    hiddenSize(predictors, folder.index().maxTextLength()));
            cost.call(1);  // library start-up, not a shape's cost
            System.out.printf("graph optimizer %s; CPU ms of one thread%n", optimize ? "on" : "off");
            System.out.println("| rows | first call | median later call | median per row |");
            System.out.println("| --- | --- | --- | --- |");
            for (int rows = 1; rows <= maxRows; rows++) {
                double first = cost.call(rows);
                double[] later = new double[REPEATS];
                for (int i = 0; i < REPEATS; i++) {
                    later[i] = cost.call(rows);
                }
                Arrays.sort(later);
                double median = later[REPEATS / 2];
                System.out.printf("| %d | %.1f | %.1f | %.2f |%n", rows, first, median, median / rows);
            }
            Random mix = new Random(2);
            double total = 0;
            int totalRows = 0;
            for (int i = 0; i < MIXED_CALLS; i++) {
                int rows = 1 + mix.nextInt(maxRows);
                total += cost.call(rows);
                totalRows += rows;
            }
            System.out.printf("%d calls of random rows 1..%d: %.0f ms, %.2f ms per row%n", MIXED_CALLS, maxRows, total,
                    total / totalRows);
        }
    }

    private final ModelPredictors predictors;
    private final int channels;
    private final int side;
    private final int tokens;
    private final int hidden;
    private final Random random = new Random(1);

    private UnetBatchCost(ModelPredictors predictors, int channels, int side, int tokens, int hidden) {
        this.predictors = predictors;
        this.channels = channels;
        this.side = side;
        this.tokens = tokens;
        this.hidden = hidden;
    }

    /** The text encoder's width, from one call of it. */
    private static int hiddenSize(ModelPredictors predictors, int tokens) throws Exception {
        try (NDManager manager = predictors.manager().newSubManager()) {
            NDList out = predictors.textEncoders().get(0).predict(new NDList(manager.zeros(new Shape(1, tokens),
                    ai.djl.ndarray.types.DataType.INT64)));
            return (int) out.get(0).getShape().get(2);
        }
    }

    /** One UNet call on random rows; the calling thread's CPU time in ms. */
    private double call(int rows) throws Exception {
        float[] samples = gaussian(rows * channels * side * side);
        float[] timesteps = new float[rows];
        Arrays.fill(timesteps, 500);
        float[] contexts = gaussian(rows * tokens * hidden);
        try (NDManager manager = predictors.manager().newSubManager()) {
            NDList inputs = new NDList(manager.create(samples, new Shape(rows, channels, side, side)),
                    manager.create(timesteps, new Shape(rows)),
                    manager.create(contexts, new Shape(rows, tokens, hidden)));
            long start = THREADS.getCurrentThreadCpuTime();
            predictors.unet().predict(inputs).singletonOrThrow().toFloatArray();
            return (THREADS.getCurrentThreadCpuTime() - start) / 1e6;
        }
    }

    private float[] gaussian(int length) {
        float[] values = new float[length];
        for (int i = 0; i < length; i++) {
            values[i] = (float) random.nextGaussian();
        }
        return values;
    }
}
