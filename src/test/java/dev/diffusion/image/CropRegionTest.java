package dev.diffusion.image;

import static org.assertj.core.api.Assertions.assertThat;

import org.junit.jupiter.api.Test;

/** Inpainting's "only masked" region, worked out by hand from diffusers' {@code get_crop_region}. */
class CropRegionTest {

    @Test
    void theMasksBoxIsPaddedAndGrownAboutItsCentreToTheJobsAspectRatio() {
        // the box 20..28 × 30..34, padded by 4 to 16..32 × 26..38 (16 × 12), grown to square: 2 rows each way
        assertThat(CropRegion.around(block(64, 64, 20, 30, 28, 34), 64, 64, 4))
                .contains(new CropRegion(16, 24, 32, 40));
    }

    @Test
    void anOddGrowthPutsTheExtraPixelAfter() {
        // 6 × 3 grown to 6 × 6: one row before, two after
        assertThat(CropRegion.around(block(64, 64, 10, 10, 16, 13), 64, 64, 0))
                .contains(new CropRegion(10, 9, 16, 15));
    }

    @Test
    void aRegionThatWouldLeaveThePictureIsShiftedBackInside() {
        // 52..64 × 54..64 (12 × 10) grown to 2:1 is 20 wide: 48..68, shifted left by 4
        assertThat(CropRegion.around(block(64, 64, 60, 62, 64, 64), 64, 32, 8))
                .contains(new CropRegion(44, 54, 64, 64));
    }

    @Test
    void aRegionLargerThanThePictureIsThePicture() {
        assertThat(CropRegion.around(block(64, 64, 0, 0, 64, 64), 64, 32, 0))
                .contains(new CropRegion(0, 0, 64, 64));
    }

    @Test
    void greyPixelsCountAsMaskedAndAnEmptyMaskHasNoRegion() {
        Mask faint = block(32, 32, 8, 8, 9, 9);
        faint.values()[8 * 32 + 8] = 1;
        assertThat(CropRegion.around(faint, 32, 32, 0)).contains(new CropRegion(8, 8, 9, 9));
        assertThat(CropRegion.around(Mask.filled(32, 32, 0), 32, 32, 16)).isEmpty();
    }

    /** 255 over {@code [x1, x2) × [y1, y2)}, 0 elsewhere. */
    static Mask block(int width, int height, int x1, int y1, int x2, int y2) {
        byte[] values = new byte[width * height];
        for (int y = y1; y < y2; y++) {
            for (int x = x1; x < x2; x++) {
                values[y * width + x] = (byte) 255;
            }
        }
        return new Mask(width, height, values);
    }
}
