package dev.diffusion.pipeline;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import ai.djl.Device;
import ai.djl.ndarray.NDManager;
import dev.diffusion.model.LoadedModel;
import dev.diffusion.model.ModelFolder;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * The pipeline leaves no live native arrays behind: after generations of every kind (guided and not, several
 * images, img2img, inpainting, several requests in one step, cancelled, failed), neither the pipeline's managers nor
 * the model's hold any array besides the model's weights, so native memory cannot grow from one job to the next.
 */
class NativeArraysTest {

    private static LoadedModel model;
    private static DiffusionPipeline pipeline;

    @BeforeAll
    static void load() {
        model = LoadedModel.load(ModelFolder.open(DiffusionPipelineTest.TINY_MODEL), Device.cpu());
        pipeline = new DiffusionPipeline(model);
    }

    @AfterAll
    static void close() {
        pipeline.close();
        model.close();
    }

    @Test
    void theManagersThatAreCountedReallyCountArraysOfTheirSubManagers() {
        try (NDManager root = NDManager.newBaseManager(Device.cpu(), "PyTorch")) {
            NDManager step = root.newSubManager();
            step.create(new float[] {1, 2, 3});
            assertThat(root.getManagedArrays()).hasSize(1);
            step.close();
            assertThat(root.getManagedArrays()).isEmpty();
        }
    }

    @Test
    void noArrayOutlivesAnyKindOfGeneration() {
        assertThat(pipeline.liveArrays()).isZero();
        assertThat(model.liveArrays()).isZero();

        for (int round = 0; round < 3; round++) {
            pipeline.generate(txt2img("dpmpp_2m", round, 2, 5.0), StepListener.NONE);
            pipeline.generate(txt2img("euler_ancestral", round, 1, 1.0), StepListener.NONE);
            pipeline.generate(img2img(round), StepListener.NONE);
            pipeline.generate(inpainting(round), StepListener.NONE);
            assertThatThrownBy(() -> pipeline.generate(txt2img("ddim", 1, 1, 5.0), (step, total) -> step < 2))
                    .isInstanceOf(GenerationCancelledException.class);
            assertThatThrownBy(() -> pipeline.generate(txt2img("ddim", 1, 1, Double.POSITIVE_INFINITY),
                    StepListener.NONE)).isInstanceOf(GenerationException.class);
            stepTogether(txt2img("heun", round, 1, 5.0), txt2img("unipc", round + 1, 2, 3.0));
            stepTogether(inpainting(round), txt2img("euler", round, 1, 5.0));

            assertThat(pipeline.liveArrays()).as("pipeline arrays after round %d", round).isZero();
            assertThat(model.liveArrays()).as("model arrays after round %d", round).isZero();
        }
    }

    /** As the batcher runs them: the images of several requests advanced by shared UNet calls, then decoded. */
    private static void stepTogether(GenerationRequest first, GenerationRequest second) {
        List<ImageSampling> images = new ArrayList<>(pipeline.prepare(first));
        images.addAll(pipeline.prepare(second));
        while (images.stream().anyMatch(image -> !image.done())) {
            assertThat(pipeline.step(images.stream().filter(image -> !image.done()).toList())).isEmpty();
        }
        pipeline.decode(images, 64, 64);
    }

    private static GenerationRequest txt2img(String scheduler, long seed, int images, double guidance) {
        return GenerationRequest.txt2img("a red circle on a blue background", "blurry", 64, 64, 4, guidance,
                scheduler, seed, images);
    }

    private static GenerationRequest img2img(long seed) {
        byte[] init = new byte[64 * 64 * 3];
        Arrays.fill(init, (byte) 128);
        return new GenerationRequest("a grey square", "", 64, 64, 6, 5.0, 0, "euler", seed, 1, 0, init, 0.5);
    }

    private static GenerationRequest inpainting(long seed) {
        byte[] init = new byte[64 * 64 * 3];
        Arrays.fill(init, (byte) 128);
        byte[] mask = new byte[64 * 64];
        Arrays.fill(mask, 0, mask.length / 2, (byte) 255);
        return new GenerationRequest("a grey square", "", 64, 64, 4, 5.0, 0, "euler_ancestral", seed, 2, 0, init,
                0.75, mask, MaskedStart.NOISE);
    }
}
