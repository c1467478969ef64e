package dev.diffusion.image;

import java.awt.image.BufferedImage;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.util.Map;
import javax.imageio.IIOImage;
import javax.imageio.ImageIO;
import javax.imageio.ImageTypeSpecifier;
import javax.imageio.ImageWriter;
import javax.imageio.metadata.IIOMetadata;
import javax.imageio.metadata.IIOMetadataNode;
import javax.imageio.stream.ImageOutputStream;

/** Writes packed RGB pixels as PNG, with {@code tEXt} chunks such as AUTOMATIC1111's {@code parameters}. */
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

    private static IIOMetadataNode textChunks(Map<String, String> text) {
        IIOMetadataNode entries = new IIOMetadataNode("tEXt");
        text.forEach((key, value) -> {
            IIOMetadataNode entry = new IIOMetadataNode("tEXtEntry");
            entry.setAttribute("keyword", key);
            entry.setAttribute("value", value);
            entries.appendChild(entry);
        });
        IIOMetadataNode root = new IIOMetadataNode("javax_imageio_png_1.0");
        root.appendChild(entries);
        return root;
    }
}
