package dev.diffusion.image;

import static dev.diffusion.image.OutpaintCanvasTest.pixel;
import static org.assertj.core.api.Assertions.assertThat;

import org.junit.jupiter.api.Test;

/**
 * The overlay with a crop region, and AUTOMATIC1111's fill ({@link PillowReferencesTest} checks the overlay's
 * arithmetic against Pillow).
 */
class OverlayTest {

    @Test
    void aCroppedResultIsScaledBackIntoItsRegionAndTheRestIsTheInput() {
        RgbImage input = uniform(8, 8, 0x204060);
        RgbImage generated = uniform(4, 4, 0xf0a010);  // made at 4 × 4 for the 2 × 2 region
        Mask mask = CropRegionTest.block(8, 8, 3, 3, 5, 5);

        RgbImage result = Overlay.apply(mask, input, generated, new CropRegion(3, 3, 5, 5));

        for (int y = 0; y < 8; y++) {
            for (int x = 0; x < 8; x++) {
                boolean masked = x >= 3 && x < 5 && y >= 3 && y < 5;
                assertThat(pixel(result, x, y)).as("(%d, %d)", x, y).isEqualTo(masked ? 0xf0a010 : 0x204060);
            }
        }
    }

    @Test
    void greyMaskValuesBlendTheTwo() {
        Mask half = Mask.filled(1, 1, 128);

        RgbImage result = Overlay.apply(half, uniform(1, 1, 0x000000), uniform(1, 1, 0xfefefe), null);

        assertThat(pixel(result, 0, 0) & 0xff).isBetween(126, 129);
    }

    @Test
    void theFillReplacesTheMaskedAreaByTheColoursAroundIt() {
        RgbImage picture = uniform(32, 16, 0xff0000);
        for (int y = 0; y < 16; y++) {
            for (int x = 16; x < 32; x++) {
                int p = (y * 32 + x) * 3;
                picture.rgb()[p] = 0;
                picture.rgb()[p + 2] = (byte) 255;  // blue under the mask, which the fill must not show
            }
        }
        Mask rightHalf = CropRegionTest.block(32, 16, 16, 0, 32, 16);

        RgbImage filled = MaskedFill.fill(picture, rightHalf);

        assertThat(pixel(filled, 3, 5)).as("kept as it was").isEqualTo(0xff0000);
        assertThat(pixel(filled, 28, 9)).as("red from around it, no blue").isEqualTo(0xff0000);
    }

    private static RgbImage uniform(int width, int height, int rgb) {
        byte[] pixels = new byte[width * height * 3];
        for (int p = 0; p < width * height; p++) {
            pixels[p * 3] = (byte) (rgb >> 16);
            pixels[p * 3 + 1] = (byte) (rgb >> 8);
            pixels[p * 3 + 2] = (byte) rgb;
        }
        return new RgbImage(width, height, pixels);
    }
}
