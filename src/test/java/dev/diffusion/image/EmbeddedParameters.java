package dev.diffusion.image;

import com.twelvemonkeys.imageio.metadata.Directory;
import com.twelvemonkeys.imageio.metadata.Entry;
import com.twelvemonkeys.imageio.metadata.tiff.TIFFReader;
import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Optional;
import javax.imageio.ImageIO;
import javax.imageio.ImageReader;
import javax.imageio.metadata.IIOMetadataNode;
import javax.imageio.stream.ImageInputStream;

/**
 * Reads the infotext back out of a picture the way AUTOMATIC1111's PNG-info tab does (the PNG {@code parameters} text;
 * else EXIF {@code UserComment}, decoded by its 8-byte character-code prefix as piexif's {@code UserComment.load}),
 * through readers that are not ours: ImageIO's PNG and JPEG metadata, TwelveMonkeys' TIFF reader for the EXIF block.
 */
public final class EmbeddedParameters {

    private static final int TAG_EXIF_IFD = 0x8769;
    private static final int TAG_USER_COMMENT = 0x9286;

    private EmbeddedParameters() {
    }

    public static Optional<String> read(OutputFormat format, byte[] picture) throws IOException {
        return switch (format) {
            case PNG -> png(picture);
            case JPEG -> jpegApp1(picture).map(EmbeddedParameters::userComment);
            case WEBP -> webpChunks(picture).stream().filter(chunk -> chunk.fourCc().equals("EXIF")).findFirst()
                    .map(chunk -> userComment(chunk.data()));
        };
    }

    /** The chunks of a WebP file, in order, as its RIFF structure lists them. */
    static List<Chunk> webpChunks(byte[] webp) {
        ByteBuffer in = ByteBuffer.wrap(webp).order(ByteOrder.LITTLE_ENDIAN);
        if (!ascii(webp, 0).equals("RIFF") || !ascii(webp, 8).equals("WEBP") || in.getInt(4) != webp.length - 8) {
            throw new AssertionError("not a well-formed RIFF WEBP file");
        }
        List<Chunk> chunks = new ArrayList<>();
        for (int at = 12; at < webp.length; ) {
            int size = in.getInt(at + 4);
            chunks.add(new Chunk(ascii(webp, at), Arrays.copyOfRange(webp, at + 8, at + 8 + size)));
            at += 8 + size + (size & 1);
        }
        return chunks;
    }

    record Chunk(String fourCc, byte[] data) {
    }

    private static Optional<String> png(byte[] png) throws IOException {
        ImageReader reader = ImageIO.getImageReadersByFormatName("png").next();
        reader.setInput(ImageIO.createImageInputStream(new ByteArrayInputStream(png)));
        IIOMetadataNode tree = (IIOMetadataNode) reader.getImageMetadata(0).getAsTree("javax_imageio_png_1.0");
        for (String[] kind : new String[][] {{"tEXtEntry", "value"}, {"iTXtEntry", "text"}}) {
            var entries = tree.getElementsByTagName(kind[0]);
            for (int i = 0; i < entries.getLength(); i++) {
                IIOMetadataNode entry = (IIOMetadataNode) entries.item(i);
                if (entry.getAttribute("keyword").equals("parameters")) {
                    return Optional.of(entry.getAttribute(kind[1]));
                }
            }
        }
        return Optional.empty();
    }

    /** The TIFF bytes of the JPEG's EXIF APP1 segment, through ImageIO's JPEG metadata (an "unknown" marker). */
    private static Optional<byte[]> jpegApp1(byte[] jpeg) throws IOException {
        ImageReader reader = ImageIO.getImageReadersByFormatName("jpeg").next();
        reader.setInput(ImageIO.createImageInputStream(new ByteArrayInputStream(jpeg)));
        IIOMetadataNode tree = (IIOMetadataNode) reader.getImageMetadata(0)
                .getAsTree("javax_imageio_jpeg_image_1.0");
        var markers = tree.getElementsByTagName("unknown");
        for (int i = 0; i < markers.getLength(); i++) {
            IIOMetadataNode marker = (IIOMetadataNode) markers.item(i);
            byte[] data = (byte[]) marker.getUserObject();
            if (marker.getAttribute("MarkerTag").equals("225") && ascii(data, 0).equals("Exif")) {
                return Optional.of(Arrays.copyOfRange(data, 6, data.length));
            }
        }
        return Optional.empty();
    }

    private static String userComment(byte[] tiff) {
        try (ImageInputStream in = ImageIO.createImageInputStream(new ByteArrayInputStream(tiff))) {
            Directory ifd0 = new TIFFReader().read(in);
            Directory exif = (Directory) ifd0.getEntryById(TAG_EXIF_IFD).getValue();
            Entry comment = exif.getEntryById(TAG_USER_COMMENT);
            byte[] value = (byte[]) comment.getValue();
            String code = new String(value, 0, 8, StandardCharsets.US_ASCII);
            if (!code.equals("UNICODE\0")) {
                throw new AssertionError("UserComment character code " + code + ", not UNICODE");
            }
            return new String(value, 8, value.length - 8, StandardCharsets.UTF_16BE);
        } catch (IOException e) {
            throw new AssertionError("unreadable EXIF", e);
        }
    }

    private static String ascii(byte[] data, int at) {
        return new String(data, at, 4, StandardCharsets.US_ASCII);
    }
}
