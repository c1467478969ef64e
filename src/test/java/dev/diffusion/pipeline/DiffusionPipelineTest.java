package dev.diffusion.pipeline;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import ai.djl.Device;
import dev.diffusion.model.LoadedModel;
import dev.diffusion.model.ModelFolder;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/** End to end through DJL on the random-weight test model (same signatures as a real one). */
class DiffusionPipelineTest {

    static final Path TINY_MODEL = Path.of("src/test/resources/models/tiny");

    private static LoadedModel model;
    private static DiffusionPipeline pipeline;

    @BeforeAll
    static void load() {
        model = LoadedModel.load(ModelFolder.open(TINY_MODEL), Device.cpu());
        pipeline = new DiffusionPipeline(model);
    }

    @AfterAll
    static void close() {
        pipeline.close();
        model.close();
    }

    private static GenerationRequest request(String scheduler, long seed, int images, double guidance) {
        return GenerationRequest.txt2img("a red circle on a blue background", "", 64, 64, 4, guidance, scheduler,
                seed, images);
    }

    @Test
    void generatesOneImagePerSeedWithTheRequestedSize() {
        List<GeneratedImage> images = pipeline.generate(request("ddim", 42, 2, 5.0), StepListener.NONE);

        assertThat(images).hasSize(2);
        assertThat(images).extracting(GeneratedImage::seed).containsExactly(42L, 43L);
        for (GeneratedImage image : images) {
            assertThat(image.width()).isEqualTo(64);
            assertThat(image.height()).isEqualTo(64);
            assertThat(image.rgb()).hasSize(64 * 64 * 3);
            assertThat(distinctValues(image.rgb())).as("a real picture, not a flat fill").isGreaterThan(16);
        }
        assertThat(images.get(0).rgb()).isNotEqualTo(images.get(1).rgb());
    }

    @Test
    void theSameSeedGivesTheSamePixels() {
        byte[] first = pipeline.generate(request("euler_ancestral", 7, 1, 5.0), StepListener.NONE).get(0).rgb();
        byte[] second = pipeline.generate(request("euler_ancestral", 7, 1, 5.0), StepListener.NONE).get(0).rgb();
        byte[] otherSeed = pipeline.generate(request("euler_ancestral", 8, 1, 5.0), StepListener.NONE).get(0).rgb();

        assertThat(second).isEqualTo(first);
        assertThat(otherSeed).isNotEqualTo(first);
    }

    @Test
    void imageOfSeedSPlusIIsTheSameAloneOrSecondInARequest() {
        byte[] alone = pipeline.generate(request("dpmpp_2m", 101, 1, 5.0), StepListener.NONE).get(0).rgb();
        byte[] second = pipeline.generate(request("dpmpp_2m", 100, 2, 5.0), StepListener.NONE).get(1).rgb();

        assertThat(second).isEqualTo(alone);
    }

    @Test
    void guidanceChangesTheImageAndScaleOneSkipsTheUnconditionalPass() {
        byte[] unguided = pipeline.generate(request("ddim", 3, 1, 1.0), StepListener.NONE).get(0).rgb();
        byte[] guided = pipeline.generate(request("ddim", 3, 1, 7.0), StepListener.NONE).get(0).rgb();

        assertThat(guided).isNotEqualTo(unguided);
    }

    @Test
    void reportsEveryStepAndStopsWhenTheListenerCancels() {
        List<Integer> seen = new ArrayList<>();
        pipeline.generate(request("heun", 1, 1, 5.0), (step, total) -> seen.add(step * 100 + total));
        // Heun takes two model calls per step: 4 steps are 7 timesteps
        assertThat(seen).containsExactly(107, 207, 307, 407, 507, 607, 707);

        assertThatThrownBy(() -> pipeline.generate(request("ddim", 1, 1, 5.0), (step, total) -> step < 2))
                .isInstanceOf(GenerationCancelledException.class)
                .hasMessageContaining("after step 2 of 4");
    }

    @Test
    void tellsItsListenerEveryNetworkCallWithItsImagesAndTime() {
        List<String> calls = new ArrayList<>();
        try (DiffusionPipeline listened = new DiffusionPipeline(model, (network, images, nanos) -> {
            assertThat(nanos).as("time of the %s call", network).isPositive();
            calls.add(network.folderName() + " x" + images);
        })) {
            listened.generate(request("ddim", 3, 2, 5.0), StepListener.NONE);
        }

        assertThat(calls).containsExactly("text_encoder x2", "unet x2", "unet x2", "unet x2", "unet x2",
                "vae_decoder x2");
    }

    @Test
    void imageToImageStartsFromTheGivenPicture() {
        byte[] init = new byte[64 * 64 * 3];
        for (int p = 0; p < 64 * 64; p++) {
            init[p * 3] = (byte) 220;
            init[p * 3 + 1] = 40;
            init[p * 3 + 2] = 40;
        }
        GenerationRequest img2img = new GenerationRequest("a red square", "", 64, 64, 8, 5.0, 0, "euler", 5, 1, 0,
                init, 0.5);
        List<Integer> steps = new ArrayList<>();

        List<GeneratedImage> images = pipeline.generate(img2img, (step, total) -> steps.add(total));

        assertThat(images).hasSize(1);
        assertThat(steps).as("strength 0.5 of 8 steps runs the last 4").hasSize(4).containsOnly(4);
    }

    @Test
    void aStepReportsTheImageThatWentWrongAndAdvancesItsBatchMates() {
        ImageSampling healthy = pipeline.prepare(request("ddim", 4, 1, 5.0)).get(0);
        ImageSampling broken = pipeline.prepare(request("ddim", 5, 1, Double.POSITIVE_INFINITY)).get(0);

        Map<ImageSampling, RuntimeException> failures = pipeline.step(List.of(broken, healthy));

        assertThat(failures).containsOnlyKeys(broken);
        assertThat(failures.get(broken)).isInstanceOf(GenerationException.class).hasMessageContaining("NaN");
        assertThat(healthy.stepsDone()).isEqualTo(1);
    }

    @Test
    void anUnknownSchedulerIsRejected() {
        assertThatThrownBy(() -> pipeline.generate(request("no_such_sampler", 1, 1, 5.0), StepListener.NONE))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("no_such_sampler");
    }

    private static long distinctValues(byte[] rgb) {
        boolean[] seen = new boolean[256];
        long count = 0;
        for (byte b : rgb) {
            if (!seen[b & 0xff]) {
                seen[b & 0xff] = true;
                count++;
            }
        }
        return count;
    }
}
