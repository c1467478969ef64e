package dev.diffusion.bench;

import ai.djl.Device;
import ai.djl.inference.Predictor;
import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDList;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.DataType;
import ai.djl.ndarray.types.Shape;
import ai.djl.nn.Block;
import ai.djl.repository.zoo.Criteria;
import ai.djl.repository.zoo.ZooModel;
import ai.djl.translate.NoopTranslator;
import ai.djl.training.ParameterStore;
import dev.diffusion.model.LoadedModel;
import dev.diffusion.model.ModelFolder;
import dev.diffusion.model.ModelPredictors;
import java.lang.management.ManagementFactory;
import java.lang.management.ThreadMXBean;
import java.nio.file.Path;
import java.util.Random;

/**
 * Where a UNet call's time goes on DJL's side: the same call (2 rows, as one guided image) through a Predictor as the
 * service makes it, through the block's forward directly, and with the output left in native memory, each the median
 * CPU ms of the calling thread (one intra-op thread). Compare with scripts/unet_cost.py --size PX --rows 2 on the
 * same file. Not a test.
 *
 * <pre>
 * BENCH_JAVA_OPTS=-Dai.djl.pytorch.num_threads=1 scripts/bench-program.sh CallPathCost MODEL_DIR PX [REPEATS=31]
 * </pre>
 */
public class CallPathCost {

    private static final ThreadMXBean THREADS = ManagementFactory.getThreadMXBean();

    public static void main(String[] args) throws Exception {
        ModelFolder folder = ModelFolder.open(Path.of(args[0]));
        int px = Integer.parseInt(args[1]);
        int repeats = args.length > 2 ? Integer.parseInt(args[2]) : 31;
        int side = px / folder.index().vaeScaleFactor();
        // the UNet file as exported, loaded again for its block (LoadedModel keeps its blocks to itself and fuses
        // the attention of its own copy)
        Criteria<NDList, NDList> exported = Criteria.builder().setTypes(NDList.class, NDList.class)
                .optModelPath(folder.dir().resolve("unet")).optModelName("model").optEngine("PyTorch")
                .optOption("mapLocation", "true").optTranslator(new NoopTranslator()).build();
        try (LoadedModel model = LoadedModel.load(folder, Device.cpu());
                ModelPredictors predictors = model.newPredictors();
                ZooModel<NDList, NDList> asExported = exported.loadModel();
                Predictor<NDList, NDList> asExportedPredictor = asExported.newPredictor()) {
            NDManager root = predictors.manager();
            int hidden;
            try (NDManager m = root.newSubManager()) {
                hidden = (int) predictors.textEncoders().get(0).predict(new NDList(m.zeros(
                        new Shape(1, folder.index().maxTextLength()), DataType.INT64)))
                        .get(0).getShape().get(2);
            }
            Random random = new Random(1);
            float[] samples = gaussian(random, 2 * folder.index().latentChannels() * side * side);
            float[] contexts = gaussian(random, 2 * folder.index().maxTextLength() * hidden);
            Shape sampleShape = new Shape(2, folder.index().latentChannels(), side, side);
            Shape contextShape = new Shape(2, folder.index().maxTextLength(), hidden);
            Predictor<NDList, NDList> unet = predictors.unet();
            Block block = asExported.getBlock();
            Call[] calls = {
                new Call("predictor, output copied out (the service)", m -> unet.predict(inputs(m, samples,
                        sampleShape, contexts, contextShape)).singletonOrThrow().toFloatArray()),
                new Call("predictor, attention as exported", m -> asExportedPredictor.predict(inputs(m, samples,
                        sampleShape, contexts, contextShape)).singletonOrThrow().toFloatArray()),
                new Call("block forward, output copied out", m -> block.forward(new ParameterStore(m, false),
                        inputs(m, samples, sampleShape, contexts, contextShape), false).singletonOrThrow()
                        .toFloatArray()),
                new Call("block forward, output left native", m -> block.forward(new ParameterStore(m, false),
                        inputs(m, samples, sampleShape, contexts, contextShape), false)),
            };
            for (Call call : calls) {
                call.time(root, 5);
            }
            System.out.printf("UNet at %d px (latent %d), 2 rows; median CPU ms of the calling thread over %d calls%n",
                    px, side, repeats);
            for (int round = 0; round < 2; round++) {
                for (Call call : calls) {
                    System.out.printf("  %-45s %.2f ms%n", call.name, call.time(root, repeats));
                }
            }
        }
    }

    private static NDList inputs(NDManager m, float[] samples, Shape sampleShape, float[] contexts,
            Shape contextShape) {
        NDArray timesteps = m.create(new float[] {500f, 500f}, new Shape(2));
        return new NDList(m.create(samples, sampleShape), timesteps, m.create(contexts, contextShape));
    }

    private static float[] gaussian(Random random, int length) {
        float[] values = new float[length];
        for (int i = 0; i < length; i++) {
            values[i] = (float) random.nextGaussian();
        }
        return values;
    }

    private interface Body {
        Object run(NDManager manager) throws Exception;
    }

    private record Call(String name, Body body) {

        double time(NDManager root, int repeats) throws Exception {
            double[] millis = new double[repeats];
            for (int i = 0; i < repeats; i++) {
                try (NDManager m = root.newSubManager()) {
                    long start = THREADS.getCurrentThreadCpuTime();
                    body.run(m);
                    millis[i] = (THREADS.getCurrentThreadCpuTime() - start) / 1e6;
                }
            }
            return UnetLatentCost.median(millis);
        }
    }
}
