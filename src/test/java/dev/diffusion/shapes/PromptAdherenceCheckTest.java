package dev.diffusion.shapes;

import ai.djl.Device;
import dev.diffusion.model.LoadedModel;
import dev.diffusion.model.ModelFolder;
import dev.diffusion.pipeline.DiffusionPipeline;
import java.nio.file.Path;
import java.util.List;
import java.util.Locale;
import org.assertj.core.api.SoftAssertions;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * The short form of {@link PromptAdherenceTest}, in every build: each bundled model at its own defaults through the Java
 * engine on a few dozen prompts that neither the training's evaluation nor the full measurement uses, held to
 * thresholds a few points under the goals. A regression of the model, the engine or the judge turns the build red;
 * the full measurement ({@code -Padherence}) says whether the goals themselves are met.
 */
class PromptAdherenceCheckTest {

    private static final int PROMPTS = 48;
    private static final long PROMPT_SEED = 7031;
    private static final long IMAGE_SEED = 50_000;
    private static final AdherenceMeasurement.Thresholds THRESHOLDS =
            new AdherenceMeasurement.Thresholds(0.90, 0.85, 0.90, 0.80);

    @ParameterizedTest(name = "{0}")
    @ValueSource(strings = {"src/main/models/shapes", "src/main/models/shapes-lcm"})
    void eachBundledModelAtItsDefaultsDrawsWhatHeldOutPromptsAsk(Path folder) {
        AdherenceMeasurement measured;
        try (LoadedModel model = LoadedModel.load(ModelFolder.open(folder), Device.cpu());
                DiffusionPipeline pipeline = new DiffusionPipeline(model)) {
            measured = AdherenceMeasurement.measure(pipeline, SamplingSettings.defaults(pipeline.index()),
                    new ShapePrompts(PROMPT_SEED).next(PROMPTS), IMAGE_SEED);
        }
        System.out.println(AdherenceMeasurement.report(String.format(Locale.ROOT, "Prompt adherence check of %s: %d "
                + "held-out prompts (prompt seed %d, image seeds from %d)", folder, PROMPTS, PROMPT_SEED, IMAGE_SEED),
                List.of(measured), THRESHOLDS));
        SoftAssertions thresholds = new SoftAssertions();
        measured.check(thresholds, THRESHOLDS);
        thresholds.assertAll();
    }
}
