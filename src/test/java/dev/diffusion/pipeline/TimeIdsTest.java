package dev.diffusion.pipeline;

import static org.assertj.core.api.Assertions.assertThat;

import dev.diffusion.model.TimeIdPart;
import java.util.List;
import org.junit.jupiter.api.Test;

/** Expected values: diffusers 0.30's {@code _get_add_time_ids} with its pipelines' defaults. */
class TimeIdsTest {

    @Test
    void sdxlBaseTakesOriginalSizeCropAndTargetSizeAsHeightThenWidth() {
        List<TimeIdPart> parts = List.of(TimeIdPart.ORIGINAL_SIZE, TimeIdPart.CROPS_COORDS_TOP_LEFT,
                TimeIdPart.TARGET_SIZE);

        assertThat(TimeIds.of(parts, 96, 64, true)).containsExactly(64, 96, 0, 0, 64, 96);
        assertThat(TimeIds.of(parts, 96, 64, false)).containsExactly(64, 96, 0, 0, 64, 96);
    }

    @Test
    void theRefinerTakesAnAestheticScoreThatDiffersOnTheNegativeRow() {
        List<TimeIdPart> parts = List.of(TimeIdPart.ORIGINAL_SIZE, TimeIdPart.CROPS_COORDS_TOP_LEFT,
                TimeIdPart.AESTHETIC_SCORE);

        assertThat(TimeIds.of(parts, 1024, 768, true)).containsExactly(768, 1024, 0, 0, 6f);
        assertThat(TimeIds.of(parts, 1024, 768, false)).containsExactly(768, 1024, 0, 0, 2.5f);
    }
}
