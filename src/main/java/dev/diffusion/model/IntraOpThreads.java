package dev.diffusion.model;

import ai.djl.ndarray.types.Shape;
import ai.djl.pytorch.jni.JniUtils;

/**
 * How many libtorch intra-op threads a network call uses, by the work it carries. On a machine of two cores one
 * thread is fastest for a small call (two threads wait for each other and for the service's own threads), while a
 * large call gains from both (the bundled model's UNet calls of 2 and 16 rows, BENCHMARKS.md, "Threads"). The work
 * is counted in rows of the bundled model's latent
 * (4x16x16 values, a 64x64 image), so that a call of 2 rows at a 64x64 latent (512x512 pixels) counts as 32 such
 * rows. libtorch keeps the count per calling thread under OpenMP, so a worker sets it before each call and other
 * threads are not touched.
 *
 * @param fewRows  threads for a call of less than {@code manyFrom} rows' work; 0 leaves libtorch's count as it is
 * @param manyRows threads for a call of at least {@code manyFrom} rows' work; 0 leaves libtorch's count as it is
 * @param manyFrom the work, in rows of a 4x16x16 latent, from which a call is large
 */
public record IntraOpThreads(int fewRows, int manyRows, int manyFrom) {

    /** Leaves libtorch's own setting alone for every call. */
    public static final IntraOpThreads UNCHANGED = new IntraOpThreads(0, 0, Integer.MAX_VALUE);

    public IntraOpThreads {
        if (fewRows < 0 || manyRows < 0 || manyFrom < 1) {
            throw new IllegalArgumentException("thread counts must be >= 0 and manyFrom >= 1");
        }
    }

    /**
     * The policy for this machine: with at most 2 cores, one thread below {@code manyFrom} rows and every core from
     * there (0 keeps one thread throughout); with more cores, or when {@code ai.djl.pytorch.num_threads} was set by
     * hand, libtorch's count for every call.
     */
    public static IntraOpThreads forMachine(int manyFrom) {
        int cores = Runtime.getRuntime().availableProcessors();
        if (cores > 2 || DjlSettings.threadsSetByHand() || manyFrom <= 0) {
            return UNCHANGED;
        }
        return new IntraOpThreads(1, cores, manyFrom);
    }

    /** The values of one row of the bundled model's latent, the unit of a call's work. */
    static final long ROW_VALUES = 4 * 16 * 16;

    /** Threads for a call whose first input has this shape (rows first). */
    public int forInput(Shape input) {
        long rows = input.get(0);
        long valuesPerRow = input.size() / Math.max(rows, 1);
        return rows * Math.max(valuesPerRow, ROW_VALUES) >= manyFrom * ROW_VALUES ? manyRows : fewRows;
    }

    /**
     * The work (rows × latent area) from which a call takes {@code manyRows} threads instead of {@code fewRows}, for a
     * latent of this many channels; 0 if every call takes the same. Latents smaller than 16x16 count as they are here,
     * not as whole rows: the cost model is only approximate for such tiny calls anyway.
     */
    public double parallelFromArea(int latentChannels) {
        if (manyFrom == Integer.MAX_VALUE || manyRows == fewRows) {
            return 0;
        }
        return (double) manyFrom * ROW_VALUES / latentChannels;
    }

    /** Sets the calling thread's intra-op threads for a call whose first input has this shape. */
    public void applyFor(Shape input) {
        int threads = forInput(input);
        if (threads > 0 && JniUtils.getNumThreads() != threads) {
            JniUtils.setNumThreads(threads);
        }
    }
}
