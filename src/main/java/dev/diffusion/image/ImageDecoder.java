package dev.diffusion.image;

import java.awt.color.ColorSpace;
import java.awt.image.BufferedImage;
import java.awt.image.ColorModel;
import java.awt.image.IndexColorModel;
import java.awt.image.Raster;
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
        return Samples.rgb(Samples.bicubic(read(data, maxSourcePixels), width, height));
    }

    /**
     * Decodes a mask at its own size: by its grey level ({@code byAlpha} false: white 255 repaints, black 0 keeps;
     * colours weighed as Pillow's {@code convert("L")} weighs them) or by its transparency ({@code byAlpha} true:
     * fully transparent 255 repaints, opaque 0 keeps).
     *
     * @throws InvalidImageException when the bytes are not a readable PNG or JPEG, the picture is too large, or it is
     *                               read by an alpha channel it lacks
     */
    public static Mask decodeMask(byte[] data, boolean byAlpha, long maxSourcePixels) {
        BufferedImage source = read(data, maxSourcePixels);
        ColorModel model = source.getColorModel();
        if (byAlpha && !model.hasAlpha()) {
            throw new InvalidImageException("the mask has no alpha channel to read");
        }
        int width = source.getWidth();
        int height = source.getHeight();
        byte[] values = new byte[width * height];
        // a grey PNG's samples as they are: Java2D would convert them from linear grey to sRGB
        boolean grey = model.getColorSpace().getType() == ColorSpace.TYPE_GRAY && !(model instanceof IndexColorModel);
        Raster raster = source.getRaster();
        for (int y = 0; y < height; y++) {
            for (int x = 0; x < width; x++) {
                int value;
                if (grey) {
                    int band = byAlpha ? raster.getNumBands() - 1 : 0;
                    value = to8Bits(raster.getSample(x, y, band), model.getComponentSize(band));
                } else {
                    int argb = source.getRGB(x, y);
                    value = byAlpha ? argb >>> 24 : luminance(argb);
                }
                values[y * width + x] = (byte) (byAlpha ? 255 - value : value);
            }
        }
        return new Mask(width, height, values);
    }

    /** Pillow's ITU-R 601-2 luma in fixed point ({@code L24} in its Convert.c). */
    private static int luminance(int rgb) {
        return ((rgb >> 16 & 0xff) * 19595 + (rgb >> 8 & 0xff) * 38470 + (rgb & 0xff) * 7471 + 0x8000) >> 16;
    }

    private static int to8Bits(int sample, int bits) {
        return bits == 8 ? sample : (int) Math.round(sample * 255.0 / ((1 << bits) - 1));
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
