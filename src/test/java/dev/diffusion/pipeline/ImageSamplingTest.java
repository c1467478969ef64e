package dev.diffusion.pipeline;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.assertj.core.api.Assertions.within;

import dev.diffusion.scheduler.NoiseSource;
import dev.diffusion.scheduler.Scheduler;
import dev.diffusion.scheduler.SchedulerConfig;
import dev.diffusion.scheduler.Schedulers;
import java.util.List;
import org.junit.jupiter.api.Test;

class ImageSamplingTest {

    private static ImageSampling image(Conditioning conditioning, double guidance, double rescale) {
        Scheduler scheduler = Schedulers.create("ddim", SchedulerConfig.empty(), 0);
        scheduler.setTimesteps(2);
        return new ImageSampling(0, 9, scheduler, NoiseSource.NONE, scheduler.timesteps(), new long[] {1, 1, 2},
                new double[] {0.1, 0.2}, conditioning, guidance, rescale, null);
    }

    @Test
    void aNonFiniteModelOutputFailsTheGenerationInsteadOfMakingABlackImage() {
        ImageSampling image = image(new Conditioning(new Conditioning.Row(new float[1], List.of()), null, 1, 1), 1, 0);

        assertThatThrownBy(() -> image.advance(new float[] {Float.NaN, 0}, 0, 2))
                .isInstanceOf(GenerationException.class)
                .hasMessageContaining("NaN")
                .hasMessageContaining("step 1 of 2");
    }

    @Test
    void guidanceMovesFromTheUnconditionalTowardTheConditionalPrediction() {
        float[] rows = {1, 2, 3, 5};  // unconditional row [1, 2], conditional row [3, 5]

        double[] guided = Guidance.combine(rows, 0, 2, 2, 3.0, 0);

        assertThat(guided[0]).isCloseTo(1 + 3 * (3 - 1), within(1e-12));
        assertThat(guided[1]).isCloseTo(2 + 3 * (5 - 2), within(1e-12));
    }

    @Test
    void fullRescaleGivesTheGuidedPredictionTheConditionalOnesSpread() {
        float[] rows = {0, 0, 0, 1, -1, 2};  // conditional row [1, -1, 2]

        double[] guided = Guidance.combine(rows, 0, 3, 3, 4.0, 1.0);

        // guided = 4 · conditional; rescaled by std(cond) / std(guided) = 1/4, back to the conditional row
        assertThat(guided).containsExactly(new double[] {1, -1, 2}, within(1e-12));
    }
}
