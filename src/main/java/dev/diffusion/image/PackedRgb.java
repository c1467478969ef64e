package dev.diffusion.image;

import java.awt.Transparency;
import java.awt.color.ColorSpace;
import java.awt.image.BufferedImage;
import java.awt.image.ComponentColorModel;
import java.awt.image.DataBuffer;
import java.awt.image.DataBufferByte;
import java.awt.image.Raster;
import java.awt.image.WritableRaster;

/** Packed 8-bit RGB pixels, row by row, as the pipeline hands them over. */
final class PackedRgb {

    static final int BYTES_PER_PIXEL = 3;

    private static final ComponentColorModel SRGB = new ComponentColorModel(
            ColorSpace.getInstance(ColorSpace.CS_sRGB), false, false, Transparency.OPAQUE, DataBuffer.TYPE_BYTE);

    private PackedRgb() {
    }

    static void check(int width, int height, byte[] rgb) {
        if (width < 1 || height < 1 || rgb.length != width * height * BYTES_PER_PIXEL) {
            throw new IllegalArgumentException("expected " + width + "×" + height + " RGB pixels");
        }
    }

    /** An sRGB image over the same bytes, not a copy, for ImageIO writers. */
    static BufferedImage wrap(int width, int height, byte[] rgb) {
        check(width, height, rgb);
        WritableRaster raster = Raster.createInterleavedRaster(new DataBufferByte(rgb, rgb.length), width, height,
                width * BYTES_PER_PIXEL, BYTES_PER_PIXEL, new int[] {0, 1, 2}, null);
        return new BufferedImage(SRGB, raster, false, null);
    }
}
