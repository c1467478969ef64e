package dev.diffusion.image;

import java.awt.Graphics2D;
import java.awt.RenderingHints;
import java.awt.image.BufferedImage;

/**
 * The geometry that masks and RGB pictures share, on interleaved 8-bit samples ({@code channels} per pixel, row by
 * row): cropping, pasting and resizing, the last as uploads are resized ({@link ImageDecoder}), and in diffusers'
 * "fill" and "crop" modes that keep the aspect ratio.
 */
final class Samples {

    private Samples() {
    }

    static byte[] crop(byte[] data, int width, int channels, CropRegion region) {
        byte[] out = new byte[region.width() * region.height() * channels];
        for (int y = 0; y < region.height(); y++) {
            System.arraycopy(data, ((region.y1() + y) * width + region.x1()) * channels, out,
                    y * region.width() * channels, region.width() * channels);
        }
        return out;
    }

    /** Copies {@code source} into {@code target} with its top left corner at (x, y); what falls outside is cut. */
    static void paste(byte[] source, int sourceWidth, int sourceHeight, byte[] target, int targetWidth,
            int targetHeight, int channels, int x, int y) {
        for (int row = Math.max(0, -y); row < sourceHeight && y + row < targetHeight; row++) {
            int from = Math.max(0, -x);
            int to = Math.min(sourceWidth, targetWidth - x);
            if (to > from) {
                System.arraycopy(source, (row * sourceWidth + from) * channels, target,
                        ((y + row) * targetWidth + x + from) * channels, (to - from) * channels);
            }
        }
    }

    /** Resized to {@code newWidth × newHeight} as {@link ImageDecoder} resizes uploads; the same size is a copy. */
    static byte[] resize(byte[] data, int width, int height, int channels, int newWidth, int newHeight) {
        if (width == newWidth && height == newHeight) {
            return data.clone();
        }
        byte[] rgb = channels == 3 ? data : new byte[width * height * 3];
        if (channels == 1) {
            for (int p = 0; p < data.length; p++) {
                rgb[p * 3] = data[p];
                rgb[p * 3 + 1] = data[p];
                rgb[p * 3 + 2] = data[p];
            }
        }
        byte[] resized = rgb(bicubic(PackedRgb.wrap(width, height, rgb), newWidth, newHeight));
        if (channels == 3) {
            return resized;
        }
        byte[] out = new byte[newWidth * newHeight];
        for (int p = 0; p < out.length; p++) {
            out[p] = resized[p * 3];
        }
        return out;
    }

    /**
     * diffusers' {@code VaeImageProcessor} resize mode "fill": resized to fit inside, keeping the aspect ratio,
     * centred, and the rest filled by stretching the picture's edge rows (or columns) outwards.
     */
    static byte[] resizeToFill(byte[] data, int width, int height, int channels, int newWidth, int newHeight) {
        long target = (long) newWidth * height;
        long source = (long) width * newHeight;
        // the ratios compared without rounding: newWidth / newHeight against width / height
        int fitWidth = target < source ? newWidth : width * newHeight / height;
        int fitHeight = target >= source ? newHeight : height * newWidth / width;
        byte[] fitted = resize(data, width, height, channels, fitWidth, fitHeight);
        byte[] out = new byte[newWidth * newHeight * channels];
        int x = newWidth / 2 - fitWidth / 2;
        int y = newHeight / 2 - fitHeight / 2;
        paste(fitted, fitWidth, fitHeight, out, newWidth, newHeight, channels, x, y);
        int rowLength = fitWidth * channels;
        for (int row = 0; row < newHeight; row++) {
            for (int column = 0; column < newWidth; column++) {
                if (row >= y && row < y + fitHeight && column >= x && column < x + fitWidth) {
                    continue;
                }
                int fromRow = Math.min(Math.max(row - y, 0), fitHeight - 1);
                int fromColumn = Math.min(Math.max(column - x, 0), fitWidth - 1);
                System.arraycopy(fitted, fromRow * rowLength + fromColumn * channels, out,
                        (row * newWidth + column) * channels, channels);
            }
        }
        return out;
    }

    /**
     * diffusers' resize mode "crop": resized to cover, keeping the aspect ratio, centred, and what sticks out cut.
     */
    static byte[] resizeToCover(byte[] data, int width, int height, int channels, int newWidth, int newHeight) {
        long target = (long) newWidth * height;
        long source = (long) width * newHeight;
        int coverWidth = target > source ? newWidth : width * newHeight / height;
        int coverHeight = target <= source ? newHeight : height * newWidth / width;
        byte[] covered = resize(data, width, height, channels, coverWidth, coverHeight);
        byte[] out = new byte[newWidth * newHeight * channels];
        paste(covered, coverWidth, coverHeight, out, newWidth, newHeight, channels,
                newWidth / 2 - coverWidth / 2, newHeight / 2 - coverHeight / 2);
        return out;
    }

    static void checkSize(int width, int height, int channels, byte[] data) {
        if (width < 1 || height < 1 || data.length != width * height * channels) {
            throw new IllegalArgumentException("expected " + width + "×" + height + " pixels of " + channels
                    + " bytes");
        }
    }

    /** The pixels of a {@code TYPE_INT_RGB} image as packed RGB bytes. */
    static byte[] rgb(BufferedImage image) {
        int[] packed = image.getRGB(0, 0, image.getWidth(), image.getHeight(), null, 0, image.getWidth());
        byte[] rgb = new byte[packed.length * 3];
        for (int p = 0; p < packed.length; p++) {
            rgb[p * 3] = (byte) (packed[p] >> 16);
            rgb[p * 3 + 1] = (byte) (packed[p] >> 8);
            rgb[p * 3 + 2] = (byte) packed[p];
        }
        return rgb;
    }

    /** Java2D's bicubic, as uploads have always been resized. */
    static BufferedImage bicubic(BufferedImage source, int width, int height) {
        BufferedImage target = new BufferedImage(width, height, BufferedImage.TYPE_INT_RGB);
        Graphics2D g = target.createGraphics();
        try {
            g.setRenderingHint(RenderingHints.KEY_INTERPOLATION, RenderingHints.VALUE_INTERPOLATION_BICUBIC);
            g.setRenderingHint(RenderingHints.KEY_RENDERING, RenderingHints.VALUE_RENDER_QUALITY);
            g.drawImage(source, 0, 0, width, height, null);
        } finally {
            g.dispose();
        }
        return target;
    }
}
