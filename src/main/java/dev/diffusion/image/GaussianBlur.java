package dev.diffusion.image;

/**
 * Pillow's {@code ImageFilter.GaussianBlur(radius)} on 8-bit samples, to the level: diffusers' inpainting blurs its
 * mask with it ({@code VaeImageProcessor.blur}), so the same radius must give the same mask here. Pillow approximates
 * the Gaussian by three passes of an "extended" box blur (Gwosdek et al., SSVM 2011) along the rows and then along
 * the columns, with a box of fractional radius whose two outer samples take the fraction, edges extended, in 8.24
 * fixed point, rounding to a byte after every pass. The arithmetic below is Pillow's ({@code BoxBlur.c}), in
 * {@code float} where it computes in {@code float}.
 */
public final class GaussianBlur {

    /** Pillow's number of box passes for a Gaussian. */
    private static final int PASSES = 3;

    private GaussianBlur() {
    }

    /**
     * One channel of {@code width × height} samples, row by row, blurred with {@code radius} (Pillow's radius, the
     * Gaussian's standard deviation); radius 0 gives a copy.
     */
    public static byte[] blur(byte[] plane, int width, int height, float radius) {
        if (plane.length != width * height) {
            throw new IllegalArgumentException("expected " + width + "×" + height + " samples");
        }
        if (radius < 0) {
            throw new IllegalArgumentException("radius must not be negative");
        }
        byte[] out = plane.clone();
        if (radius == 0) {
            return out;
        }
        float boxRadius = boxRadius(radius);
        if (boxRadius == 0) {
            return out;
        }
        int[] samples = new int[Math.max(width, height)];
        int[] line = new int[samples.length];
        for (int y = 0; y < height; y++) {
            for (int x = 0; x < width; x++) {
                samples[x] = out[y * width + x] & 0xff;
            }
            blurLine(samples, line, width, boxRadius);
            for (int x = 0; x < width; x++) {
                out[y * width + x] = (byte) samples[x];
            }
        }
        for (int x = 0; x < width; x++) {
            for (int y = 0; y < height; y++) {
                samples[y] = out[y * width + x] & 0xff;
            }
            blurLine(samples, line, height, boxRadius);
            for (int y = 0; y < height; y++) {
                out[y * width + x] = (byte) samples[y];
            }
        }
        return out;
    }

    /** Pillow's {@code _gaussian_blur_radius}: the extended box radius whose passes give the Gaussian's variance. */
    static float boxRadius(float radius) {
        float sigma2 = radius * radius / PASSES;
        float boxLength = (float) Math.sqrt(12.0 * sigma2 + 1.0);
        float whole = (float) Math.floor((boxLength - 1.0) / 2.0);
        float fraction = (2 * whole + 1) * (whole * (whole + 1) - 3 * sigma2);
        fraction /= 6 * (sigma2 - (whole + 1) * (whole + 1));
        return whole + fraction;
    }

    /** {@link #PASSES} passes of the box over the first {@code length} samples, in place. */
    private static void blurLine(int[] samples, int[] out, int length, float floatRadius) {
        int radius = (int) floatRadius;
        long ww = (long) ((float) (1 << 24) / (floatRadius * 2 + 1));
        long fw = ((1L << 24) - (radius * 2L + 1) * ww) / 2;
        int lastx = length - 1;
        int edgeA = Math.min(radius + 1, length);
        int edgeB = Math.max(length - radius - 1, 0);
        for (int pass = 0; pass < PASSES; pass++) {
            boxLine(samples, out, lastx, radius, edgeA, edgeB, ww, fw);
            System.arraycopy(out, 0, samples, 0, length);
        }
    }

    /** Pillow's {@code ImagingLineBoxBlur8}: one pass; samples beyond the ends repeat the end samples. */
    private static void boxLine(int[] in, int[] out, int lastx, int radius, int edgeA, int edgeB, long ww, long fw) {
        // the sum of the box for the pixel before the first: the first sample radius + 1 times, then the next ones
        long acc = (long) in[0] * (radius + 1);
        for (int x = 0; x < edgeA - 1; x++) {
            acc += in[x];
        }
        acc += (long) in[lastx] * (radius - edgeA + 1);
        if (edgeA <= edgeB) {
            for (int x = 0; x < edgeA; x++) {
                acc += in[x + radius] - in[0];
                out[x] = save(acc, ww, in[0] + in[x + radius + 1], fw);
            }
            for (int x = edgeA; x < edgeB; x++) {
                acc += in[x + radius] - in[x - radius - 1];
                out[x] = save(acc, ww, in[x - radius - 1] + in[x + radius + 1], fw);
            }
            for (int x = edgeB; x <= lastx; x++) {
                acc += in[lastx] - in[x - radius - 1];
                out[x] = save(acc, ww, in[x - radius - 1] + in[lastx], fw);
            }
        } else {
            for (int x = 0; x < edgeB; x++) {
                acc += in[x + radius] - in[0];
                out[x] = save(acc, ww, in[0] + in[x + radius + 1], fw);
            }
            for (int x = edgeB; x < edgeA; x++) {
                acc += in[lastx] - in[0];
                out[x] = save(acc, ww, in[0] + in[lastx], fw);
            }
            for (int x = edgeA; x <= lastx; x++) {
                acc += in[lastx] - in[x - radius - 1];
                out[x] = save(acc, ww, in[x - radius - 1] + in[lastx], fw);
            }
        }
    }

    /** The box's sum with its two fractional outer samples, rounded from 8.24 fixed point to a byte. */
    private static int save(long acc, long ww, int outer, long fw) {
        long bulk = (acc * ww + outer * fw) & 0xffffffffL;
        return (int) (((bulk + (1 << 23)) & 0xffffffffL) >>> 24) & 0xff;
    }
}
