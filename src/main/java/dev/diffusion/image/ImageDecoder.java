package dev.diffusion.image;

import java.awt.Graphics2D;
import java.awt.RenderingHints;
import java.awt.image.BufferedImage;
import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.util.Iterator;
import javax.imageio.ImageIO;
import javax.imageio.ImageReader;
import javax.imageio.ImageTypeSpecifier;
import javax.imageio.stream.ImageInputStream;

/** Reads an uploaded PNG or JPEG into packed RGB at the size a generation needs. */
public final class ImageDecoder {

    private ImageDecoder() {
    }

    /**
     * Decodes {@code data} and resizes it to {@code width × height} (bicubic, no cropping). A picture whose header
     * claims more than {@code maxSourcePixels} is refused before it is decoded (decompression bombs).
     *
     * @throws InvalidImageException when the bytes are not a readable PNG or JPEG, or the picture is too large
     */
    public static byte[] decodeRgb(byte[] data, int width, int height, long maxSourcePixels) {
        BufferedImage source = read(data, maxSourcePixels);
        BufferedImage target = new BufferedImage(width, height, BufferedImage.TYPE_INT_RGB);
        Graphics2D g = target.createGraphics();
        try {
            g.setRenderingHint(RenderingHints.KEY_INTERPOLATION, RenderingHints.VALUE_INTERPOLATION_BICUBIC);
            g.setRenderingHint(RenderingHints.KEY_RENDERING, RenderingHints.VALUE_RENDER_QUALITY);
            g.drawImage(source, 0, 0, width, height, null);
        } finally {
            g.dispose();
        }
        int[] packed = target.getRGB(0, 0, width, height, null, 0, width);
        byte[] rgb = new byte[packed.length * 3];
        for (int p = 0; p < packed.length; p++) {
            rgb[p * 3] = (byte) (packed[p] >> 16);
            rgb[p * 3 + 1] = (byte) (packed[p] >> 8);
            rgb[p * 3 + 2] = (byte) packed[p];
        }
        return rgb;
    }

    /**
     * The width × height that the header of {@code data} claims, without decoding its pixels.
     *
     * @throws InvalidImageException when it is not a PNG or JPEG whose header reads
     */
    public static long claimedPixels(byte[] data) {
        return header(data).pixels();
    }

    /**
     * The size and kind of pixels that the header of {@code data} claims, without decoding its pixels.
     *
     * @throws InvalidImageException when it is not a PNG or JPEG whose header reads
     */
    public static Header header(byte[] data) {
        try (ImageInputStream in = ImageIO.createImageInputStream(new ByteArrayInputStream(data))) {
            ImageReader reader = reader(in);
            try {
                reader.setInput(in, true, true);
                ImageTypeSpecifier type = reader.getRawImageType(0);
                boolean alpha = type != null && type.getColorModel().hasAlpha();
                return new Header(reader.getWidth(0), reader.getHeight(0), alpha);
            } finally {
                reader.dispose();
            }
        } catch (IOException | RuntimeException e) {
            throw unreadable(e);
        }
    }

    /**
     * Checks that {@code data} is a PNG or JPEG that decodes, of at most {@code maxSourcePixels} by its header.
     *
     * @throws InvalidImageException when it is not
     */
    public static void check(byte[] data, long maxSourcePixels) {
        read(data, maxSourcePixels);
    }

    private static BufferedImage read(byte[] data, long maxPixels) {
        try (ImageInputStream in = ImageIO.createImageInputStream(new ByteArrayInputStream(data))) {
            ImageReader reader = reader(in);
            try {
                reader.setInput(in, true, true);
                long pixels = (long) reader.getWidth(0) * reader.getHeight(0);
                if (pixels > maxPixels) {
                    throw new InvalidImageException("the image is too large (" + reader.getWidth(0) + "×"
                            + reader.getHeight(0) + "); at most " + maxPixels + " pixels");
                }
                return reader.read(0);
            } finally {
                reader.dispose();
            }
        } catch (IOException | RuntimeException e) {
            throw unreadable(e);
        }
    }

    /** A PNG or JPEG reader for {@code in}, not yet given its input. */
    private static ImageReader reader(ImageInputStream in) throws IOException {
        Iterator<ImageReader> readers = in == null ? null : ImageIO.getImageReaders(in);
        if (readers == null || !readers.hasNext()) {
            throw new InvalidImageException("not a PNG or JPEG image");
        }
        ImageReader reader = readers.next();
        String format = reader.getFormatName().toLowerCase(java.util.Locale.ROOT);
        if (!format.equals("png") && !format.equals("jpeg")) {
            reader.dispose();
            throw new InvalidImageException("only PNG and JPEG images are accepted, not " + format);
        }
        return reader;
    }

    private static InvalidImageException unreadable(Exception e) {
        if (e instanceof InvalidImageException invalid) {
            return invalid;
        }
        return new InvalidImageException("the image cannot be decoded: it is corrupt, truncated or of an "
                + "unsupported kind");
    }

    /**
     * What a picture's header says: its size in pixels and whether it has an alpha channel (a PNG with transparency).
     */
    public record Header(int width, int height, boolean alpha) {

        public long pixels() {
            return (long) width * height;
        }

        /** {@code width×height}, as messages to clients name sizes. */
        public String size() {
            return width + "×" + height;
        }
    }

    /** The upload is not an image we can use; the message says why, for the client. */
    public static final class InvalidImageException extends RuntimeException {

        public InvalidImageException(String message) {
            super(message);
        }
    }
}
