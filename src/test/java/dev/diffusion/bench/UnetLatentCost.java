package dev.diffusion.bench;

import ai.djl.Device;
import ai.djl.ndarray.NDList;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.DataType;
import ai.djl.ndarray.types.Shape;
import ai.djl.pytorch.jni.JniUtils;
import com.sun.jna.Library;
import com.sun.jna.Native;
import dev.diffusion.model.DjlSettings;
import dev.diffusion.model.LoadedModel;
import dev.diffusion.model.ModelFolder;
import dev.diffusion.model.ModelPredictors;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;

/**
 * What one UNet call costs at a given latent size, and what the native allocator makes of it: the median wall time,
 * the process's CPU time (user + system, all threads) and its minor page faults per call, after one untimed call.
 * Page faults per call show whether freed buffers are reused or fetched from the kernel again. With {@code TRIM=1}
 * in the environment every call follows a {@code malloc_trim(0)}, as the service's memory trimmer does every 10 s;
 * with {@code ATTENTION=exported} the networks run as exported instead of with the service's fused attention.
 * For BENCHMARKS.md ("Real sizes"); not a test.
 *
 * <pre>
 * scripts/bench-program.sh UnetLatentCost MODEL_DIR LATENT [ROWS=2] [THREADS=1] [CALLS=5]
 * </pre>
 */
public class UnetLatentCost {

    /** glibc's trim, for {@code TRIM=1}. */
    interface CLibrary extends Library {
        int malloc_trim(long pad);
    }

    public static void main(String[] args) throws Exception {
        ModelFolder folder = ModelFolder.open(Path.of(args[0]));
        int side = Integer.parseInt(args[1]);
        int rows = args.length > 2 ? Integer.parseInt(args[2]) : 2;
        int threads = args.length > 3 ? Integer.parseInt(args[3]) : 1;
        int calls = args.length > 4 ? Integer.parseInt(args[4]) : 5;
        CLibrary libc = "1".equals(System.getenv("TRIM")) ? Native.load("c", CLibrary.class) : null;
        // ATTENTION=exported: the networks as exported, without the fused attention the service loads them with
        LoadedModel.Attention attention = "exported".equals(System.getenv("ATTENTION"))
                ? LoadedModel.Attention.AS_EXPORTED : LoadedModel.Attention.FUSED;
        try (LoadedModel model = LoadedModel.load(folder, Device.cpu(), attention);
                ModelPredictors predictors = model.newPredictors()) {
            System.out.println("libtorch native runtime: " + DjlSettings.nativeRuntime());
            JniUtils.setNumThreads(threads);
            int channels = folder.index().latentChannels();
            int tokens = folder.index().maxTextLength();
            int hidden;
            try (NDManager manager = predictors.manager().newSubManager()) {
                NDList tokenIds = new NDList(manager.zeros(new Shape(1, tokens), DataType.INT64));
                hidden = (int) predictors.textEncoders().get(0).predict(tokenIds).get(0).getShape().get(2);
            }
            double[] wall = new double[calls];
            double[] cpu = new double[calls];
            double[] faults = new double[calls];
            for (int i = -1; i < calls; i++) {
                try (NDManager manager = predictors.manager().newSubManager()) {
                    NDList inputs = new NDList(manager.randomNormal(new Shape(rows, channels, side, side)),
                            manager.full(new Shape(rows), 500f), manager.randomNormal(new Shape(rows, tokens, hidden)));
                    if (libc != null) {
                        libc.malloc_trim(0);
                    }
                    long[] before = processStat();
                    long start = System.nanoTime();
                    predictors.unet().predict(inputs).singletonOrThrow().toFloatArray();
                    long end = System.nanoTime();
                    long[] after = processStat();
                    if (i >= 0) {
                        wall[i] = (end - start) / 1e6;
                        cpu[i] = (after[1] - before[1]) * 10.0;  // clock ticks of 10 ms
                        faults[i] = after[0] - before[0];
                    }
                }
            }
            System.out.printf("%s attention, latent %dx%d, %d rows, %d thread(s)%s: wall %.0f ms, CPU %.0f ms, "
                    + "%.0f minor page faults per call (medians of %d)%n",
                    attention == LoadedModel.Attention.FUSED ? "fused" : "exported", side, side, rows, threads,
                    libc == null ? "" : ", trimmed before each", median(wall), median(cpu), median(faults), calls);
        }
    }

    /** Minor faults and user + system clock ticks of this process, from /proc/self/stat. */
    private static long[] processStat() throws Exception {
        String stat = Files.readString(Path.of("/proc/self/stat"));
        String[] fields = stat.substring(stat.lastIndexOf(')') + 2).split(" ");
        // fields[0] is the state (field 3): minflt is field 10, utime 14, stime 15
        return new long[] {Long.parseLong(fields[7]), Long.parseLong(fields[11]) + Long.parseLong(fields[12])};
    }

    /** The middle value (the upper one of an even count), as every program here reports it. */
    static double median(double[] values) {
        double[] sorted = values.clone();
        Arrays.sort(sorted);
        return sorted[sorted.length / 2];
    }
}
