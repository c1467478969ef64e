package dev.diffusion.image;

import java.util.Optional;

/**
 * A rectangle of a picture, {@code [x1, x2) × [y1, y2)}: for inpainting "only masked" (AUTOMATIC1111's
 * {@code inpaint_full_res}, diffusers' {@code padding_mask_crop}), the part around the mask that is generated at full
 * resolution and pasted back.
 */
public record CropRegion(int x1, int y1, int x2, int y2) {

    public CropRegion {
        if (x1 < 0 || y1 < 0 || x2 <= x1 || y2 <= y1) {
            throw new IllegalArgumentException("not a region: " + x1 + "," + y1 + " to " + x2 + "," + y2);
        }
    }

    public int width() {
        return x2 - x1;
    }

    public int height() {
        return y2 - y1;
    }

    /**
     * diffusers' {@code VaeImageProcessor.get_crop_region(mask, width, height, pad)}: the bounding box of the mask's
     * non-zero pixels, {@code padding} pixels wider on every side within the picture, then grown about its centre to
     * the aspect ratio of {@code width × height} and shifted (then clamped) to stay within the picture. Empty when
     * the mask keeps everything.
     */
    public static Optional<CropRegion> around(Mask mask, int width, int height, int padding) {
        int w = mask.width();
        int h = mask.height();
        int left = 0;
        while (left < w && columnEmpty(mask, left)) {
            left++;
        }
        if (left == w) {
            return Optional.empty();
        }
        int right = 0;
        while (columnEmpty(mask, w - 1 - right)) {
            right++;
        }
        int top = 0;
        while (rowEmpty(mask, top)) {
            top++;
        }
        int bottom = 0;
        while (rowEmpty(mask, h - 1 - bottom)) {
            bottom++;
        }
        int x1 = Math.max(left - padding, 0);
        int y1 = Math.max(top - padding, 0);
        int x2 = Math.min(w - right + padding, w);
        int y2 = Math.min(h - bottom + padding, h);
        double cropRatio = (double) (x2 - x1) / (y2 - y1);
        double processingRatio = (double) width / height;
        if (cropRatio > processingRatio) {
            int grow = (int) ((x2 - x1) / processingRatio - (y2 - y1));
            int[] span = grown(y1, y2, grow, h);
            y1 = span[0];
            y2 = span[1];
        } else {
            int grow = (int) ((y2 - y1) * processingRatio - (x2 - x1));
            int[] span = grown(x1, x2, grow, w);
            x1 = span[0];
            x2 = span[1];
        }
        return Optional.of(new CropRegion(x1, y1, x2, y2));
    }

    /** diffusers' growing of one side by {@code grow} pixels, half before and half after, kept within {@code size}. */
    private static int[] grown(int from, int to, int grow, int size) {
        from -= Math.floorDiv(grow, 2);
        to += grow - Math.floorDiv(grow, 2);
        if (to >= size) {
            int diff = to - size;
            to -= diff;
            from -= diff;
        }
        if (from < 0) {
            to -= from;
            from = 0;
        }
        if (to >= size) {
            to = size;
        }
        return new int[] {from, to};
    }

    private static boolean columnEmpty(Mask mask, int x) {
        for (int y = 0; y < mask.height(); y++) {
            if (mask.value(x, y) != 0) {
                return false;
            }
        }
        return true;
    }

    private static boolean rowEmpty(Mask mask, int y) {
        for (int x = 0; x < mask.width(); x++) {
            if (mask.value(x, y) != 0) {
                return false;
            }
        }
        return true;
    }
}
