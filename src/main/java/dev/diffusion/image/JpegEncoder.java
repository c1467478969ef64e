package dev.diffusion.image;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import javax.imageio.IIOImage;
import javax.imageio.ImageIO;
import javax.imageio.ImageWriteParam;
import javax.imageio.ImageWriter;
import javax.imageio.stream.MemoryCacheImageOutputStream;

/**
 * JPEG through the JDK's ImageIO writer (baseline, YCbCr with 4:2:0 chroma, as Pillow writes by default). The
 * compression is the IJG quality scale that Pillow's {@code quality=} and libjpeg's {@code -quality} use: 100 the
 * finest quantisation (still lossy), 75 libjpeg's default, 0 the coarsest. The infotext goes where AUTOMATIC1111's
 * {@code piexif.insert} puts it: an EXIF APP1 segment right after the start of image, in place of the JFIF APP0
 * segment.
 */
final class JpegEncoder implements ImageEncoder {

    /** The longest infotext one APP1 segment (at most 65,533 bytes of content) carries as UTF-16. */
    static final int MAX_PARAMETERS_LENGTH = (65_533 - 6 - ExifUserComment.tiff("").length) / 2;

    private static final byte MARKER = (byte) 0xff;
    private static final byte APP0 = (byte) 0xe0;
    private static final byte APP1 = (byte) 0xe1;
    private static final byte[] EXIF_HEADER = "Exif\0\0".getBytes(StandardCharsets.US_ASCII);

    @Override
    public String mediaType() {
        return "image/jpeg";
    }

    @Override
    public String fileExtension() {
        return "jpg";
    }

    /** @throws IllegalArgumentException also for an infotext longer than {@link #MAX_PARAMETERS_LENGTH} */
    @Override
    public byte[] encode(int width, int height, byte[] rgb, String parameters, int compression) {
        OutputFormat.checkCompression(compression);
        if (parameters != null && parameters.length() > MAX_PARAMETERS_LENGTH) {
            throw new IllegalArgumentException("a JPEG carries at most " + MAX_PARAMETERS_LENGTH
                    + " characters of parameters, not " + parameters.length());
        }
        ImageWriter writer = ImageIO.getImageWritersByFormatName("jpeg").next();
        ByteArrayOutputStream jpeg = new ByteArrayOutputStream(rgb.length / 8 + 1024);
        try (MemoryCacheImageOutputStream out = new MemoryCacheImageOutputStream(jpeg)) {
            ImageWriteParam param = writer.getDefaultWriteParam();
            param.setCompressionMode(ImageWriteParam.MODE_EXPLICIT);
            param.setCompressionQuality(compression / 100f);
            writer.setOutput(out);
            writer.write(null, new IIOImage(PackedRgb.wrap(width, height, rgb), null, null), param);
        } catch (IOException e) {
            throw new UncheckedIOException("JPEG encoding failed", e);
        } finally {
            writer.dispose();
        }
        return parameters == null ? jpeg.toByteArray() : withExif(jpeg.toByteArray(), parameters);
    }

    private static byte[] withExif(byte[] jpeg, String parameters) {
        byte[] tiff = ExifUserComment.tiff(parameters);
        int rest = 2; // after the start of image
        if (jpeg[2] == MARKER && jpeg[3] == APP0) {
            rest = 4 + ((jpeg[4] & 0xff) << 8 | (jpeg[5] & 0xff));
        }
        int segmentLength = 2 + EXIF_HEADER.length + tiff.length;
        ByteArrayOutputStream out = new ByteArrayOutputStream(jpeg.length + segmentLength + 2);
        out.write(jpeg, 0, 2);
        out.writeBytes(new byte[] {MARKER, APP1, (byte) (segmentLength >> 8), (byte) segmentLength});
        out.writeBytes(EXIF_HEADER);
        out.writeBytes(tiff);
        out.write(jpeg, rest, jpeg.length - rest);
        return out.toByteArray();
    }
}
