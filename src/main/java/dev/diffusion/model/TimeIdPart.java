package dev.diffusion.model;

import java.util.Arrays;

/**
 * A part of SDXL's time ids, as diffusers' {@code _get_add_time_ids} makes them with its pipelines' defaults:
 * model_index.json's {@code time_ids} lists the parts in order.
 */
public enum TimeIdPart {
    /** (height, width) of the image made: diffusers' default {@code original_size}. */
    ORIGINAL_SIZE("original_size"),
    /** (0, 0): no crop. */
    CROPS_COORDS_TOP_LEFT("crops_coords_top_left"),
    /** (height, width) of the image made. */
    TARGET_SIZE("target_size"),
    /** The SDXL refiner's aesthetic score: 6 on conditional rows, 2.5 on unconditional ones (diffusers' defaults). */
    AESTHETIC_SCORE("aesthetic_score");

    private final String key;

    TimeIdPart(String key) {
        this.key = key;
    }

    public String key() {
        return key;
    }

    public static TimeIdPart fromKey(String key) {
        return Arrays.stream(values()).filter(v -> v.key.equals(key)).findFirst().orElseThrow(() ->
                new IllegalArgumentException("model_index.json time_ids may name "
                        + Arrays.stream(values()).map(TimeIdPart::key).toList() + ", not " + key));
    }
}
