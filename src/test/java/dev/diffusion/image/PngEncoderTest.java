package dev.diffusion.image;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.awt.image.BufferedImage;
import java.io.ByteArrayInputStream;
import java.util.Map;
import java.util.Random;
import javax.imageio.ImageIO;
import javax.imageio.ImageReader;
import javax.imageio.metadata.IIOMetadataNode;
import org.junit.jupiter.api.Test;

/** The PNGs read back, through ImageIO's independent decoder, as the same pixels and text. */
class PngEncoderTest {

    @Test
    void everyPixelReadsBackAsWritten() throws Exception {
        int width = 37;
        int height = 23;
        byte[] rgb = new byte[width * height * 3];
        Random random = new Random(5);
        for (int p = 0; p < width * height; p++) {
            // noise over a gradient, so that every filter case (left, up, up-left) is taken
            for (int c = 0; c < 3; c++) {
                rgb[p * 3 + c] = (byte) ((p % width) * 7 + (p / width) * 11 * c + random.nextInt(40));
            }
        }

        BufferedImage image = ImageIO.read(new ByteArrayInputStream(PngEncoder.encode(width, height, rgb, Map.of())));

        assertThat(image.getWidth()).isEqualTo(width);
        assertThat(image.getHeight()).isEqualTo(height);
        for (int p = 0; p < width * height; p++) {
            int expected = (rgb[p * 3] & 0xff) << 16 | (rgb[p * 3 + 1] & 0xff) << 8 | (rgb[p * 3 + 2] & 0xff);
            assertThat(image.getRGB(p % width, p / width) & 0xffffff).as("pixel %d", p).isEqualTo(expected);
        }
    }

    @Test
    void latinOneTextIsATextChunkAndOtherTextAnInternationalOne() throws Exception {
        String parameters = "a red circle, café\nSteps: 15, Sampler: DPM++ 2M, CFG scale: 7.0, Seed: 42";
        String prompt = "一个红色的圆 ✓";

        byte[] png = PngEncoder.encode(2, 1, new byte[6], Map.of("parameters", parameters, "prompt", prompt));

        IIOMetadataNode metadata = metadata(png);
        assertThat(entry(metadata, "tEXtEntry", "parameters").getAttribute("value")).isEqualTo(parameters);
        assertThat(entry(metadata, "iTXtEntry", "prompt").getAttribute("text")).isEqualTo(prompt);
    }

    @Test
    void refusesPixelsThatDoNotFitTheSize() {
        assertThatThrownBy(() -> PngEncoder.encode(2, 2, new byte[11], Map.of()))
                .isInstanceOf(IllegalArgumentException.class);
    }

    private static IIOMetadataNode metadata(byte[] png) throws Exception {
        ImageReader reader = ImageIO.getImageReadersByFormatName("png").next();
        reader.setInput(ImageIO.createImageInputStream(new ByteArrayInputStream(png)));
        return (IIOMetadataNode) reader.getImageMetadata(0).getAsTree("javax_imageio_png_1.0");
    }

    private static IIOMetadataNode entry(IIOMetadataNode metadata, String tag, String keyword) {
        var entries = metadata.getElementsByTagName(tag);
        for (int i = 0; i < entries.getLength(); i++) {
            IIOMetadataNode entry = (IIOMetadataNode) entries.item(i);
            if (keyword.equals(entry.getAttribute("keyword"))) {
                return entry;
            }
        }
        throw new AssertionError("no " + tag + " for " + keyword);
    }
}
