package dev.diffusion.image;

import java.util.Random;

/** Pictures for encoder tests and benchmarks. */
public final class TestPictures {

    private TestPictures() {
    }

    /**
     * Smooth colour gradients with a little seeded noise, packed RGB: to an encoder, closer to a generated picture
     * than flat colour (too easy) or pure noise (incompressible).
     */
    public static byte[] gradients(int width, int height, long seed) {
        Random random = new Random(seed);
        byte[] rgb = new byte[width * height * 3];
        for (int y = 0; y < height; y++) {
            for (int x = 0; x < width; x++) {
                int p = (y * width + x) * 3;
                rgb[p] = clamp(255.0 * x / width + random.nextGaussian() * 4);
                rgb[p + 1] = clamp(255.0 * y / height + random.nextGaussian() * 4);
                rgb[p + 2] = clamp(128 + 100 * Math.sin((x + y) / 9.0) + random.nextGaussian() * 4);
            }
        }
        return rgb;
    }

    private static byte clamp(double value) {
        return (byte) Math.max(0, Math.min(255, Math.round(value)));
    }
}
