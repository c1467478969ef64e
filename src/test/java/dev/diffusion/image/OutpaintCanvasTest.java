package dev.diffusion.image;

import static org.assertj.core.api.Assertions.assertThat;

import org.junit.jupiter.api.Test;

/** Outpainting's canvas: the picture in place, the border filled and masked, the picture's own mask inside. */
class OutpaintCanvasTest {

    /** 2 × 2: red, green / blue, white. */
    private static final RgbImage PICTURE = new RgbImage(2, 2, new byte[] {
        (byte) 255, 0, 0, 0, (byte) 255, 0,
        0, 0, (byte) 255, (byte) 255, (byte) 255, (byte) 255});

    @Test
    void theBorderTakesTheNearestEdgePixelsColourAndIsRepainted() {
        OutpaintCanvas canvas = OutpaintCanvas.extend(PICTURE, null, 1, 2, 1, 0, OutpaintCanvas.Fill.EDGE, 0);

        assertThat(canvas.image().width()).isEqualTo(5);
        assertThat(canvas.image().height()).isEqualTo(3);
        // row 0 is new: it repeats the picture's first row, its corners the corner pixels
        assertThat(pixel(canvas.image(), 0, 0)).isEqualTo(0xff0000);
        assertThat(pixel(canvas.image(), 4, 0)).isEqualTo(0x00ff00);
        assertThat(pixel(canvas.image(), 0, 2)).isEqualTo(0x0000ff);
        assertThat(pixel(canvas.image(), 4, 2)).isEqualTo(0xffffff);
        // the picture itself at (1, 1)
        assertThat(pixel(canvas.image(), 1, 1)).isEqualTo(0xff0000);
        assertThat(pixel(canvas.image(), 2, 2)).isEqualTo(0xffffff);
        for (int y = 0; y < 3; y++) {
            for (int x = 0; x < 5; x++) {
                boolean inside = x >= 1 && x < 3 && y >= 1;
                assertThat(canvas.mask().value(x, y)).as("(%d, %d)", x, y).isEqualTo(inside ? 0 : 255);
            }
        }
    }

    @Test
    void thePicturesOwnMaskIsPlacedInside() {
        Mask mask = new Mask(2, 2, new byte[] {0, 100, (byte) 200, 0});

        OutpaintCanvas canvas = OutpaintCanvas.extend(PICTURE, mask, 0, 0, 0, 2, OutpaintCanvas.Fill.EDGE, 0);

        assertThat(canvas.mask().values()).containsExactly(0, 100, (byte) 200, 0, (byte) 255, (byte) 255,
                (byte) 255, (byte) 255);
    }

    @Test
    void noiseIsSeededAndLeavesThePictureAlone() {
        OutpaintCanvas one = OutpaintCanvas.extend(PICTURE, null, 8, 8, 0, 0, OutpaintCanvas.Fill.NOISE, 7);
        OutpaintCanvas again = OutpaintCanvas.extend(PICTURE, null, 8, 8, 0, 0, OutpaintCanvas.Fill.NOISE, 7);
        OutpaintCanvas other = OutpaintCanvas.extend(PICTURE, null, 8, 8, 0, 0, OutpaintCanvas.Fill.NOISE, 8);

        assertThat(again.image().rgb()).isEqualTo(one.image().rgb());
        assertThat(other.image().rgb()).isNotEqualTo(one.image().rgb());
        assertThat(pixel(one.image(), 8, 0)).isEqualTo(0xff0000);
        assertThat(pixel(one.image(), 9, 1)).isEqualTo(0xffffff);
        long distinct = java.util.stream.IntStream.range(0, 8).map(x -> pixel(one.image(), x, 0)).distinct().count();
        assertThat(distinct).as("random colours, not one").isGreaterThan(4);
    }

    static int pixel(RgbImage image, int x, int y) {
        int p = (y * image.width() + x) * 3;
        return (image.rgb()[p] & 0xff) << 16 | (image.rgb()[p + 1] & 0xff) << 8 | image.rgb()[p + 2] & 0xff;
    }
}
