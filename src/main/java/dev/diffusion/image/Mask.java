package dev.diffusion.image;

import java.util.Arrays;

/**
 * An inpainting mask: one byte per pixel, row by row, from 0 (keep) to 255 (repaint), grey in between.
 */
public record Mask(int width, int height, byte[] values) {

    public Mask {
        Samples.checkSize(width, height, 1, values);
    }

    /** The same {@code value} everywhere. */
    public static Mask filled(int width, int height, int value) {
        byte[] values = new byte[width * height];
        Arrays.fill(values, (byte) value);
        return new Mask(width, height, values);
    }

    public int value(int x, int y) {
        return values[y * width + x] & 0xff;
    }

    /** What it keeps repainted and what it repaints kept (Pillow's {@code ImageOps.invert}). */
    public Mask inverted() {
        byte[] out = new byte[values.length];
        for (int i = 0; i < out.length; i++) {
            out[i] = (byte) (255 - (values[i] & 0xff));
        }
        return new Mask(width, height, out);
    }

    /** Blurred as diffusers' {@code VaeImageProcessor.blur(mask, radius)}, Pillow's Gaussian; 0 is no blur. */
    public Mask blurred(int radius) {
        return new Mask(width, height, GaussianBlur.blur(values, width, height, radius));
    }

    /** Repaints what either mask repaints: the larger value of each pixel. */
    public Mask union(Mask other) {
        requireSameSize(other);
        byte[] out = new byte[values.length];
        for (int i = 0; i < out.length; i++) {
            out[i] = (byte) Math.max(values[i] & 0xff, other.values[i] & 0xff);
        }
        return new Mask(width, height, out);
    }

    /** Whether it keeps everything. */
    public boolean isEmpty() {
        for (byte value : values) {
            if (value != 0) {
                return false;
            }
        }
        return true;
    }

    public Mask cropped(CropRegion region) {
        return new Mask(region.width(), region.height(), Samples.crop(values, width, 1, region));
    }

    /** Resized as uploads are ({@link ImageDecoder}), so that a mask stays over the picture it was drawn on. */
    public Mask resized(int newWidth, int newHeight) {
        return new Mask(newWidth, newHeight, Samples.resize(values, width, height, 1, newWidth, newHeight));
    }

    /** Resized in diffusers' "fill" mode (aspect ratio kept, edges stretched into the rest). */
    public Mask resizedToFill(int newWidth, int newHeight) {
        return new Mask(newWidth, newHeight, Samples.resizeToFill(values, width, height, 1, newWidth, newHeight));
    }

    void requireSameSize(Mask other) {
        if (other.width != width || other.height != height) {
            throw new IllegalArgumentException("masks of " + width + "×" + height + " and " + other.width + "×"
                    + other.height + " do not match");
        }
    }
}
