package dev.diffusion.image;

/**
 * AUTOMATIC1111's "fill" for the masked area ({@code masking.fill}): what the mask repaints is replaced by the colours
 * around it, spread inwards by Gaussian blurs of shrinking radius of the kept pixels (alpha-weighted), each laid
 * over the last; what it keeps stays as it was. A rough start for a repaint below strength 1, not a picture.
 */
public final class MaskedFill {

    /** A1111's blur radii, largest first, and how often each is laid over the result. */
    private static final int[][] PASSES = {{256, 1}, {64, 1}, {16, 2}, {4, 4}, {2, 2}, {0, 1}};

    private MaskedFill() {
    }

    public static RgbImage fill(RgbImage image, Mask mask) {
        if (mask.width() != image.width() || mask.height() != image.height()) {
            throw new IllegalArgumentException("the mask and the picture must be of one size");
        }
        byte[] kept = PillowCompositing.keptPremultiplied(image.rgb(), mask);
        byte[] result = new byte[kept.length];
        for (int[] pass : PASSES) {
            byte[] blurred = PillowCompositing.unpremultiplied(blurred(kept, image.width(), image.height(), pass[0]));
            for (int i = 0; i < pass[1]; i++) {
                PillowCompositing.compositeOver(result, blurred);
            }
        }
        return new RgbImage(image.width(), image.height(), PillowCompositing.withoutAlpha(result));
    }

    /** Each of the four channels blurred alone, as Pillow blurs an RGBa picture. */
    private static byte[] blurred(byte[] rgba, int width, int height, int radius) {
        byte[] out = new byte[rgba.length];
        byte[] plane = new byte[width * height];
        for (int c = 0; c < 4; c++) {
            for (int p = 0; p < plane.length; p++) {
                plane[p] = rgba[p * 4 + c];
            }
            byte[] blurredPlane = GaussianBlur.blur(plane, width, height, radius);
            for (int p = 0; p < plane.length; p++) {
                out[p * 4 + c] = blurredPlane[p];
            }
        }
        return out;
    }
}
