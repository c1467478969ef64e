package dev.diffusion.image;

import java.util.SplittableRandom;

/**
 * Outpainting's starting picture: a larger canvas with the picture inside it and the new border filled, and the mask
 * that repaints the border (with the picture's own mask, if any, inside).
 *
 * @param image  the canvas
 * @param mask   255 over the new border; inside, the picture's mask or 0
 * @param border 255 over the new border, 0 inside
 */
public record OutpaintCanvas(RgbImage image, Mask mask, Mask border) {

    /** What the new border starts as. */
    public enum Fill {
        /** Each new pixel takes the colour of the picture's nearest edge pixel. */
        EDGE,
        /** Uniformly random colours from the seed. */
        NOISE
    }

    /**
     * {@code inner} extended by {@code left}, {@code right}, {@code up} and {@code down} pixels.
     *
     * @param innerMask the picture's own mask, its size; null for none
     * @param seed      the random colours' seed, for {@link Fill#NOISE}
     */
    public static OutpaintCanvas extend(RgbImage inner, Mask innerMask, int left, int right, int up, int down,
            Fill fill, long seed) {
        if (left < 0 || right < 0 || up < 0 || down < 0) {
            throw new IllegalArgumentException("extensions must not be negative");
        }
        if (innerMask != null && (innerMask.width() != inner.width() || innerMask.height() != inner.height())) {
            throw new IllegalArgumentException("the picture's mask must be its size");
        }
        int width = inner.width() + left + right;
        int height = inner.height() + up + down;
        byte[] rgb = new byte[width * height * 3];
        byte[] mask = new byte[width * height];
        byte[] border = new byte[width * height];
        SplittableRandom random = new SplittableRandom(seed);
        byte[] source = inner.rgb();
        for (int y = 0; y < height; y++) {
            for (int x = 0; x < width; x++) {
                int p = y * width + x;
                int innerX = x - left;
                int innerY = y - up;
                boolean inside = innerX >= 0 && innerX < inner.width() && innerY >= 0 && innerY < inner.height();
                if (inside) {
                    mask[p] = innerMask == null ? 0 : (byte) innerMask.value(innerX, innerY);
                } else {
                    mask[p] = (byte) 255;
                    border[p] = (byte) 255;
                }
                if (inside || fill == Fill.EDGE) {
                    int from = (clamp(innerY, inner.height()) * inner.width() + clamp(innerX, inner.width())) * 3;
                    System.arraycopy(source, from, rgb, p * 3, 3);
                } else {
                    int colour = random.nextInt(1 << 24);
                    rgb[p * 3] = (byte) (colour >> 16);
                    rgb[p * 3 + 1] = (byte) (colour >> 8);
                    rgb[p * 3 + 2] = (byte) colour;
                }
            }
        }
        return new OutpaintCanvas(new RgbImage(width, height, rgb), new Mask(width, height, mask),
                new Mask(width, height, border));
    }

    private static int clamp(int value, int size) {
        return Math.max(0, Math.min(size - 1, value));
    }
}
