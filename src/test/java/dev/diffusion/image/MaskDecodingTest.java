package dev.diffusion.image;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.awt.image.BufferedImage;
import java.io.ByteArrayOutputStream;
import javax.imageio.ImageIO;
import org.junit.jupiter.api.Test;

/** Masks read as diffusers (grey level) and OpenAI (transparency) read them. */
class MaskDecodingTest {

    @Test
    void aColourMaskIsReadByPillowsLuma() throws Exception {
        BufferedImage colours = new BufferedImage(3, 1, BufferedImage.TYPE_INT_RGB);
        colours.setRGB(0, 0, 0xffffff);
        colours.setRGB(1, 0, 0xff0000);
        colours.setRGB(2, 0, 0x10c080);

        Mask mask = ImageDecoder.decodeMask(file(colours, "png"), false, 100);

        // as Pillow 9.4 converts them: Image.new("RGB", (1, 1), colour).convert("L")
        assertThat(mask.values()).containsExactly(255, 76, (byte) 132);
    }

    @Test
    void aGreyMaskIsReadAsItsSamplesWithoutAGammaConversion() throws Exception {
        BufferedImage grey = new BufferedImage(2, 1, BufferedImage.TYPE_BYTE_GRAY);
        grey.getRaster().setSample(0, 0, 0, 100);
        grey.getRaster().setSample(1, 0, 0, 128);

        Mask mask = ImageDecoder.decodeMask(file(grey, "png"), false, 100);

        assertThat(mask.values()).containsExactly(100, (byte) 128);
    }

    @Test
    void byAlphaTransparentRepaintsAndOpaqueKeeps() throws Exception {
        BufferedImage alpha = new BufferedImage(3, 1, BufferedImage.TYPE_INT_ARGB);
        alpha.setRGB(0, 0, 0x00ffffff);
        alpha.setRGB(1, 0, 0xff000000);
        alpha.setRGB(2, 0, 0x40123456);

        Mask mask = ImageDecoder.decodeMask(file(alpha, "png"), true, 100);

        assertThat(mask.values()).containsExactly((byte) 255, 0, (byte) (255 - 0x40));
    }

    @Test
    void aMaskWithoutAlphaCannotBeReadByAlpha() throws Exception {
        byte[] jpeg = file(new BufferedImage(4, 4, BufferedImage.TYPE_INT_RGB), "jpeg");

        assertThatThrownBy(() -> ImageDecoder.decodeMask(jpeg, true, 100))
                .isInstanceOf(ImageDecoder.InvalidImageException.class).hasMessageContaining("no alpha channel");
        assertThat(ImageDecoder.header(jpeg).alpha()).isFalse();
    }

    private static byte[] file(BufferedImage image, String format) throws Exception {
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        assertThat(ImageIO.write(image, format, out)).isTrue();
        return out.toByteArray();
    }
}
