package dev.diffusion.pipeline;

import dev.diffusion.model.TimeIdPart;
import java.util.List;

/** SDXL's {@code time_ids} UNet input, as diffusers' {@code _get_add_time_ids} makes it from its defaults. */
final class TimeIds {

    /** diffusers' default aesthetic scores of the SDXL refiner's pipelines. */
    private static final float AESTHETIC_SCORE = 6f;
    private static final float NEGATIVE_AESTHETIC_SCORE = 2.5f;

    private TimeIds() {
    }

    /**
     * The time ids of an image of {@code width × height} pixels: original size and target size are that size (as
     * height, width), the crop is none. {@code conditional}: the prompt's row, else the negative prompt's.
     */
    static float[] of(List<TimeIdPart> parts, int width, int height, boolean conditional) {
        float[] ids = new float[parts.stream().mapToInt(TimeIds::length).sum()];
        int i = 0;
        for (TimeIdPart part : parts) {
            switch (part) {
                case ORIGINAL_SIZE, TARGET_SIZE -> {
                    ids[i++] = height;
                    ids[i++] = width;
                }
                case CROPS_COORDS_TOP_LEFT -> i += 2;
                case AESTHETIC_SCORE -> ids[i++] = conditional ? AESTHETIC_SCORE : NEGATIVE_AESTHETIC_SCORE;
            }
        }
        return ids;
    }

    private static int length(TimeIdPart part) {
        return part == TimeIdPart.AESTHETIC_SCORE ? 1 : 2;
    }
}
