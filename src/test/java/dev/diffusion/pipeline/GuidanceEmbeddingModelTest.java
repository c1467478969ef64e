package dev.diffusion.pipeline;

import static org.assertj.core.api.Assertions.assertThat;
import static org.junit.jupiter.api.DynamicTest.dynamicTest;

import ai.djl.Device;
import dev.diffusion.model.LoadedModel;
import dev.diffusion.model.ModelFolder;
import java.nio.file.Path;
import java.util.List;
import java.util.stream.Stream;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.DynamicTest;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestFactory;
import tools.jackson.databind.ObjectMapper;
import tools.jackson.databind.PropertyNamingStrategies;
import tools.jackson.databind.json.JsonMapper;

/**
 * A guidance-distilled (LCM-style) model, whose UNet takes the guidance scale as {@code timestep_cond}: the
 * embedding and whole generations of the random-weight test model against diffusers' reference
 * ({@code src/test/resources/conformance/lcm_tiny.json}, made by {@code src/training/conformance/lcm_reference.py}).
 */
class GuidanceEmbeddingModelTest {

    static final Path TINY_LCM_MODEL = Path.of("src/test/resources/models/tiny-lcm");
    private static final Path REFERENCE = Path.of("src/test/resources/conformance/lcm_tiny.json");
    private static final ObjectMapper JSON = JsonMapper.builder()
            .propertyNamingStrategy(PropertyNamingStrategies.SNAKE_CASE).build();
    /** float32 sines of arguments up to 1000·w, whose last ulp moves them by up to about 1e-3. */
    private static final double EMBEDDING_TOLERANCE = 1e-3;

    record Embedding(double guidanceScale, int dim, double[] values) {
    }

    record Run(String name, String scheduler, String prompt, long seed, int steps, double guidanceScale, double eta,
            double[] timesteps, int width, int height, int[] rgb) {
    }

    record Reference(String model, List<Embedding> embeddings, List<Run> runs) {
    }

    private static LoadedModel model;
    private static DiffusionPipeline pipeline;
    private static Reference reference;

    @BeforeAll
    static void load() {
        reference = JSON.readValue(REFERENCE.toFile(), Reference.class);
        model = LoadedModel.load(ModelFolder.open(TINY_LCM_MODEL), Device.cpu());
        pipeline = new DiffusionPipeline(model);
    }

    @AfterAll
    static void close() {
        pipeline.close();
        model.close();
    }

    @TestFactory
    Stream<DynamicTest> theEmbeddingIsDiffusersGuidanceScaleEmbeddingOfWMinusOne() {
        return reference.embeddings().stream().map(e -> dynamicTest("w " + e.guidanceScale() + " dim " + e.dim(),
                () -> {
                    float[] actual = GuidanceEmbedding.of(e.guidanceScale(), e.dim());
                    assertThat(actual).hasSize(e.values().length);
                    double worst = 0;
                    for (int i = 0; i < actual.length; i++) {
                        worst = Math.max(worst, Math.abs(actual[i] - e.values()[i]));
                    }
                    assertThat(worst).isLessThanOrEqualTo(EMBEDDING_TOLERANCE);
                }));
    }

    @TestFactory
    Stream<DynamicTest> generationsMatchDiffusersDrivingTheSameNetworks() {
        return reference.runs().stream().map(run -> dynamicTest(run.name(), () -> {
            GenerationRequest request = new GenerationRequest(run.prompt(), "", run.width(), run.height(), run.steps(),
                    run.guidanceScale(), 0, run.scheduler(), run.seed(), 1, run.eta(), null, 1);
            byte[] rgb = pipeline.generate(request, StepListener.NONE).get(0).rgb();
            int worst = 0;
            long total = 0;
            for (int i = 0; i < rgb.length; i++) {
                int difference = Math.abs((rgb[i] & 0xff) - run.rgb()[i]);
                worst = Math.max(worst, difference);
                total += difference;
            }
            assertThat(worst).as("largest difference in levels").isLessThanOrEqualTo(1);
            assertThat((double) total / rgb.length).as("mean difference in levels").isLessThan(0.01);
        }));
    }

    @Test
    void thereIsNoUnconditionalPassSoTheNegativePromptChangesNothingButTheGuidanceScaleDoes() {
        byte[] plain = generate("", 2.0);
        byte[] negative = generate("a green background", 2.0);
        byte[] otherScale = generate("", 6.0);

        assertThat(negative).isEqualTo(plain);
        assertThat(otherScale).isNotEqualTo(plain);
    }

    @Test
    void imagesOfOtherGuidanceScalesSteppedTogetherComeOutAsAlone() {
        GenerationRequest weak = request("", 2.0);
        GenerationRequest strong = request("", 6.0);
        List<ImageSampling> together = List.of(pipeline.prepare(weak).get(0), pipeline.prepare(strong).get(0));
        while (!together.get(0).done()) {
            assertThat(pipeline.step(together)).isEmpty();
        }
        List<GeneratedImage> decoded = pipeline.decode(together, 64, 64);

        // a batch of two may take other kernels than one image alone: within 2 levels, as StepBatcherTest allows
        assertThat(largestDifference(decoded.get(0).rgb(), generate("", 2.0))).isLessThanOrEqualTo(2);
        assertThat(largestDifference(decoded.get(1).rgb(), generate("", 6.0))).isLessThanOrEqualTo(2);
        assertThat(largestDifference(decoded.get(0).rgb(), decoded.get(1).rgb())).isGreaterThan(2);
    }

    private static int largestDifference(byte[] a, byte[] b) {
        int worst = 0;
        for (int i = 0; i < a.length; i++) {
            worst = Math.max(worst, Math.abs((a[i] & 0xff) - (b[i] & 0xff)));
        }
        return worst;
    }

    private static GenerationRequest request(String negativePrompt, double guidanceScale) {
        return new GenerationRequest("a red circle", negativePrompt, 64, 64, 4, guidanceScale, 0, "lcm", 11, 1, 0,
                null, 1);
    }

    private static byte[] generate(String negativePrompt, double guidanceScale) {
        return pipeline.generate(request(negativePrompt, guidanceScale), StepListener.NONE).get(0).rgb();
    }
}
