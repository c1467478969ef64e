package dev.diffusion.pipeline;

import java.util.Arrays;

/**
 * A host-side copy of PyTorch's CPU generator: {@code new TorchRandom(seed).randn(shape)} gives the values of
 * {@code torch.randn(shape, generator=torch.Generator().manual_seed(seed))} (float32, flattened row-major),
 * so a seed reproduces the latents and step noise of diffusers run with a CPU generator.
 *
 * <p>Like a torch generator it has state: consecutive calls continue the stream exactly as consecutive
 * {@code torch.randn} calls on one generator do. Not thread-safe; use one instance per job.
 */
public final class TorchRandom {

    // torch.normal_ switches to its vectorised Box-Muller for contiguous float tensors of at least this size
    private static final int VECTOR_CHUNK = 16;
    private static final int HALF_CHUNK = VECTOR_CHUNK / 2;

    private static final int STATE_SIZE = 624;
    private static final int SHIFT_SIZE = 397;
    private static final int MATRIX_A = 0x9908b0df;
    private static final int UPPER_MASK = 0x80000000;
    private static final int LOWER_MASK = 0x7fffffff;

    // normal_fill_16_AVX2 multiplies by 2*pi rounded to float, in float: the angle differs from the portable
    // kernel's double product by up to an ulp of 2*pi, moving outputs by ~1e-6, so this follows the AVX2 one.
    private static final float TWO_PI = (float) (2.0 * Math.PI);
    private static final float FLOAT_UNIT = 1.0f / (1 << 24);
    private static final double DOUBLE_UNIT = 1.0 / (1L << 53);
    private static final long DOUBLE_MANTISSA_MASK = (1L << 53) - 1;

    private final int[] state = new int[STATE_SIZE];
    private int next;
    private int left;
    // The scalar path makes normals in pairs and keeps the second for the next draw, across calls,
    // as CPUGeneratorImpl's next_double_normal_sample does; the vectorised path neither reads nor writes it.
    private double cachedNormal;
    private boolean hasCachedNormal;

    /**
     * Seeds like {@code torch.Generator().manual_seed(seed)}. Torch reads the seed as an unsigned 64-bit value
     * (so -1 means 2^64 - 1) and its mt19937 keeps only the low 32 bits, which is what the cast below does.
     */
    public TorchRandom(long seed) {
        state[0] = (int) seed;
        for (int i = 1; i < STATE_SIZE; i++) {
            int previous = state[i - 1];
            state[i] = 1812433253 * (previous ^ (previous >>> 30)) + i;
        }
        left = 1; // the first draw twists the fresh state
    }

    /** {@code torch.randn(shape, generator=this)} in float32, flattened row-major. */
    public float[] randn(int... shape) {
        long count = 1;
        for (int dimension : shape) {
            if (dimension < 0) {
                throw new IllegalArgumentException("negative dimension in shape " + Arrays.toString(shape));
            }
            count *= dimension;
            if (count > Integer.MAX_VALUE) {
                throw new IllegalArgumentException("shape too large: " + Arrays.toString(shape));
            }
        }
        int size = (int) count;
        return size >= VECTOR_CHUNK ? vectorisedNormals(size) : scalarNormals(size);
    }

    /** The next {@code n} values of the stream, as {@code randn(n)} makes them, widened to double. */
    public double[] nextGaussian(int n) {
        float[] values = randn(n);
        double[] widened = new double[n];
        for (int i = 0; i < n; i++) {
            widened[i] = values[i];
        }
        return widened;
    }

    /** ATen's normal_fill: uniforms first, then Box-Muller on 16-value chunks pairing i with i + 8. */
    private float[] vectorisedNormals(int size) {
        float[] data = new float[size];
        for (int i = 0; i < size; i++) {
            data[i] = nextFloatUniform();
        }
        for (int start = 0; start + VECTOR_CHUNK <= size; start += VECTOR_CHUNK) {
            boxMullerChunk(data, start);
        }
        if (size % VECTOR_CHUNK != 0) {
            // Torch redraws the last 16 values with fresh uniforms rather than handle a partial chunk.
            int start = size - VECTOR_CHUNK;
            for (int i = start; i < size; i++) {
                data[i] = nextFloatUniform();
            }
            boxMullerChunk(data, start);
        }
        return data;
    }

    /**
     * Float arithmetic as in normal_fill_16_AVX2, the kernel x86 torch runs on AVX2 CPUs (its log and sincos
     * approximations are within an ulp or two of Java's correctly rounded functions).
     */
    private static void boxMullerChunk(float[] data, int start) {
        for (int j = start; j < start + HALF_CHUNK; j++) {
            float u1 = 1 - data[j]; // [0, 1) -> (0, 1] for the log
            float u2 = data[j + HALF_CHUNK];
            float radius = (float) Math.sqrt(-2 * (float) Math.log(u1));
            float theta = TWO_PI * u2;
            data[j] = radius * (float) Math.cos(theta);
            data[j + HALF_CHUNK] = radius * (float) Math.sin(theta);
        }
    }

    /** at::normal_distribution&lt;double&gt;, one value at a time, narrowed to float. */
    private float[] scalarNormals(int size) {
        float[] data = new float[size];
        for (int i = 0; i < size; i++) {
            data[i] = (float) nextDoubleNormal();
        }
        return data;
    }

    private double nextDoubleNormal() {
        if (hasCachedNormal) {
            hasCachedNormal = false;
            return cachedNormal;
        }
        double u1 = nextDoubleUniform();
        double u2 = nextDoubleUniform();
        double radius = Math.sqrt(-2.0 * Math.log1p(-u2));
        double theta = 2.0 * Math.PI * u1;
        cachedNormal = radius * Math.sin(theta);
        hasCachedNormal = true;
        return radius * Math.cos(theta);
    }

    /** uniform_real_distribution&lt;float&gt;(0, 1): the low 24 bits of one 32-bit draw. */
    private float nextFloatUniform() {
        return (nextInt() & 0xffffff) * FLOAT_UNIT;
    }

    /** uniform_real_distribution&lt;double&gt;(0, 1): the low 53 bits of random64(), first draw high. */
    private double nextDoubleUniform() {
        long high = Integer.toUnsignedLong(nextInt());
        long low = Integer.toUnsignedLong(nextInt());
        return (((high << 32) | low) & DOUBLE_MANTISSA_MASK) * DOUBLE_UNIT;
    }

    /** One tempered mt19937 output, as an unsigned 32-bit value held in an int. */
    private int nextInt() {
        if (--left == 0) {
            twist();
        }
        int y = state[next++];
        y ^= y >>> 11;
        y ^= (y << 7) & 0x9d2c5680;
        y ^= (y << 15) & 0xefc60000;
        y ^= y >>> 18;
        return y;
    }

    private void twist() {
        for (int i = 0; i < STATE_SIZE; i++) {
            int following = state[(i + 1) % STATE_SIZE];
            int mixed = (state[i] & UPPER_MASK) | (following & LOWER_MASK);
            int feedback = (following & 1) != 0 ? MATRIX_A : 0;
            state[i] = state[(i + SHIFT_SIZE) % STATE_SIZE] ^ (mixed >>> 1) ^ feedback;
        }
        left = STATE_SIZE;
        next = 0;
    }
}
