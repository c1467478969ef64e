package dev.diffusion.image;

import java.awt.image.BufferedImage;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.util.Map;
import javax.imageio.IIOImage;
import javax.imageio.ImageIO;
import javax.imageio.ImageTypeSpecifier;
import javax.imageio.ImageWriter;
import javax.imageio.metadata.IIOMetadata;
import javax.imageio.metadata.IIOMetadataNode;
import javax.imageio.stream.ImageOutputStream;

/** Writes packed RGB pixels as PNG, with text chunks such as AUTOMATIC1111's {@code parameters}. */
public final class PngEncoder {

    private PngEncoder() {
    }

    public static byte[] encode(int width, int height, byte[] rgb, Map<String, String> text) {
        BufferedImage image = toImage(width, height, rgb);
        ImageWriter writer = ImageIO.getImageWritersByFormatName("png").next();
        try (ByteArrayOutputStream bytes = new ByteArrayOutputStream();
                ImageOutputStream out = ImageIO.createImageOutputStream(bytes)) {
            writer.setOutput(out);
            IIOMetadata metadata = writer.getDefaultImageMetadata(ImageTypeSpecifier.createFromRenderedImage(image),
                    writer.getDefaultWriteParam());
            if (!text.isEmpty()) {
                metadata.mergeTree("javax_imageio_png_1.0", textChunks(text));
            }
            writer.write(new IIOImage(image, null, metadata));
            out.flush();
            return bytes.toByteArray();
        } catch (IOException e) {
            throw new UncheckedIOException("PNG encoding failed", e);
        } finally {
            writer.dispose();
        }
    }

    static BufferedImage toImage(int width, int height, byte[] rgb) {
        if (rgb.length != width * height * 3) {
            throw new IllegalArgumentException("expected " + width + "×" + height + " RGB pixels");
        }
        BufferedImage image = new BufferedImage(width, height, BufferedImage.TYPE_INT_RGB);
        int[] packed = new int[width * height];
        for (int p = 0; p < packed.length; p++) {
            packed[p] = (rgb[p * 3] & 0xff) << 16 | (rgb[p * 3 + 1] & 0xff) << 8 | (rgb[p * 3 + 2] & 0xff);
        }
        image.setRGB(0, 0, width, height, packed, 0, width);
        return image;
    }

    /**
     * {@code tEXt} holds Latin-1 only; text beyond it (a prompt in Chinese, say) goes into an {@code iTXt} chunk,
     * which holds UTF-8 — as AUTOMATIC1111 does.
     */
    private static IIOMetadataNode textChunks(Map<String, String> text) {
        IIOMetadataNode latin1 = new IIOMetadataNode("tEXt");
        IIOMetadataNode unicode = new IIOMetadataNode("iTXt");
        text.forEach((key, value) -> {
            if (StandardCharsets.ISO_8859_1.newEncoder().canEncode(value)) {
                IIOMetadataNode entry = new IIOMetadataNode("tEXtEntry");
                entry.setAttribute("keyword", key);
                entry.setAttribute("value", value);
                latin1.appendChild(entry);
            } else {
                IIOMetadataNode entry = new IIOMetadataNode("iTXtEntry");
                entry.setAttribute("keyword", key);
                entry.setAttribute("compressionFlag", "FALSE");
                entry.setAttribute("compressionMethod", "0");
                entry.setAttribute("languageTag", "");
                entry.setAttribute("translatedKeyword", "");
                entry.setAttribute("text", value);
                unicode.appendChild(entry);
            }
        });
        IIOMetadataNode root = new IIOMetadataNode("javax_imageio_png_1.0");
        for (IIOMetadataNode chunk : new IIOMetadataNode[] {latin1, unicode}) {
            if (chunk.getLength() > 0) {
                root.appendChild(chunk);
            }
        }
        return root;
    }
}
