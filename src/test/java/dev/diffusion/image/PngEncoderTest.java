package dev.diffusion.image;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.ByteArrayInputStream;
import java.util.LinkedHashMap;
import java.util.Map;
import javax.imageio.ImageIO;
import javax.imageio.ImageReader;
import javax.imageio.metadata.IIOMetadataNode;
import org.junit.jupiter.api.Test;
import org.w3c.dom.NodeList;

class PngEncoderTest {

    private static final byte[] RED_2X1 = {(byte) 220, 40, 40, (byte) 220, 40, 40};

    @Test
    void latinTextGoesIntoTextChunksAndOtherTextIntoUtf8Chunks() throws Exception {
        Map<String, String> text = new LinkedHashMap<>();
        text.put("parameters", "a red circle, Steps: 15");
        text.put("prompt", "一只红色的圆 — ÿ");

        IIOMetadataNode root = metadata(PngEncoder.encode(2, 1, RED_2X1, text));

        assertThat(entries(root, "tEXtEntry", "value")).containsExactly(Map.entry("parameters", "a red circle, Steps: 15"));
        assertThat(entries(root, "iTXtEntry", "text")).containsExactly(Map.entry("prompt", "一只红色的圆 — ÿ"));
    }

    private static IIOMetadataNode metadata(byte[] png) throws Exception {
        ImageReader reader = ImageIO.getImageReadersByFormatName("png").next();
        reader.setInput(ImageIO.createImageInputStream(new ByteArrayInputStream(png)));
        return (IIOMetadataNode) reader.getImageMetadata(0).getAsTree("javax_imageio_png_1.0");
    }

    private static Map<String, String> entries(IIOMetadataNode root, String tag, String valueAttribute) {
        Map<String, String> found = new LinkedHashMap<>();
        NodeList nodes = root.getElementsByTagName(tag);
        for (int i = 0; i < nodes.getLength(); i++) {
            IIOMetadataNode node = (IIOMetadataNode) nodes.item(i);
            found.put(node.getAttribute("keyword"), node.getAttribute(valueAttribute));
        }
        return found;
    }
}
