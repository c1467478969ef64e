package dev.diffusion.image;

/**
 * The few steps of Pillow's compositing that diffusers' and AUTOMATIC1111's inpainting use, in Pillow's integer
 * arithmetic ({@code Paste.c}, {@code Convert.c}, {@code AlphaComposite.c}) so that results match to the level. RGBA
 * pictures are interleaved 4-byte pixels, straight ("RGBA") or premultiplied ("RGBa") alpha as each method says.
 */
final class PillowCompositing {

    /** {@code AlphaComposite.c}'s extra bits of precision. */
    private static final int PRECISION_BITS = 7;

    private PillowCompositing() {
    }

    /**
     * {@code Image.new("RGBa").paste(rgb.convert("RGBA").convert("RGBa"), mask=ImageOps.invert(mask))}: the opaque
     * picture kept where the mask keeps it, as premultiplied RGBa whose alpha is the inverted mask.
     */
    static byte[] keptPremultiplied(byte[] rgb, Mask mask) {
        byte[] values = mask.values();
        byte[] rgba = new byte[values.length * 4];
        for (int p = 0; p < values.length; p++) {
            int keep = 255 - (values[p] & 0xff);
            for (int c = 0; c < 3; c++) {
                // paste with an "L" matte onto zeros: BLEND(keep, 0, in) = DIV255(in · keep)
                rgba[p * 4 + c] = (byte) div255((rgb[p * 3 + c] & 0xff) * keep);
            }
            rgba[p * 4 + 3] = (byte) div255(255 * keep);
        }
        return rgba;
    }

    /** {@code convert("RGBA")} of an RGBa picture: premultiplication undone, in place. */
    static byte[] unpremultiplied(byte[] rgba) {
        for (int p = 0; p < rgba.length; p += 4) {
            int alpha = rgba[p + 3] & 0xff;
            if (alpha != 0 && alpha != 255) {
                for (int c = 0; c < 3; c++) {
                    rgba[p + c] = (byte) Math.min(255, 255 * (rgba[p + c] & 0xff) / alpha);
                }
            }
        }
        return rgba;
    }

    /** {@code Image.alpha_composite(dst, src)}: straight-alpha {@code src} over {@code dst}, into {@code dst}. */
    static void compositeOver(byte[] dst, byte[] src) {
        for (int p = 0; p < dst.length; p += 4) {
            int srcAlpha = src[p + 3] & 0xff;
            if (srcAlpha == 0) {
                continue;
            }
            long blend = (long) (dst[p + 3] & 0xff) * (255 - srcAlpha);
            long outAlpha255 = srcAlpha * 255L + blend;
            long coef1 = srcAlpha * 255L * 255L * (1 << PRECISION_BITS) / outAlpha255;
            long coef2 = 255L * (1 << PRECISION_BITS) - coef1;
            for (int c = 0; c < 3; c++) {
                long tmp = (src[p + c] & 0xff) * coef1 + (dst[p + c] & 0xff) * coef2;
                dst[p + c] = (byte) (shiftForDiv255(tmp + (0x80L << PRECISION_BITS)) >> PRECISION_BITS);
            }
            dst[p + 3] = (byte) shiftForDiv255(outAlpha255 + 0x80);
        }
    }

    static byte[] opaque(byte[] rgb) {
        byte[] rgba = new byte[rgb.length / 3 * 4];
        for (int p = 0, q = 0; p < rgb.length; p += 3, q += 4) {
            rgba[q] = rgb[p];
            rgba[q + 1] = rgb[p + 1];
            rgba[q + 2] = rgb[p + 2];
            rgba[q + 3] = (byte) 255;
        }
        return rgba;
    }

    /** {@code convert("RGB")} of an RGBA picture: alpha dropped. */
    static byte[] withoutAlpha(byte[] rgba) {
        byte[] rgb = new byte[rgba.length / 4 * 3];
        for (int p = 0, q = 0; q < rgba.length; p += 3, q += 4) {
            rgb[p] = rgba[q];
            rgb[p + 1] = rgba[q + 1];
            rgb[p + 2] = rgba[q + 2];
        }
        return rgb;
    }

    private static int div255(int value) {
        return (int) shiftForDiv255(value + 128L);
    }

    private static long shiftForDiv255(long value) {
        return ((value >> 8) + value) >> 8;
    }
}
