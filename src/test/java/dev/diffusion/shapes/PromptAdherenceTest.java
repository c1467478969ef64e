package dev.diffusion.shapes;

import static org.assertj.core.api.Assumptions.assumeThat;

import ai.djl.Device;
import dev.diffusion.model.LoadedModel;
import dev.diffusion.model.ModelFolder;
import dev.diffusion.model.ModelIndex;
import dev.diffusion.pipeline.DiffusionPipeline;
import dev.diffusion.pipeline.GeneratedImage;
import dev.diffusion.pipeline.StepListener;
import dev.diffusion.shapes.ShapeJudge.Judgement;
import dev.diffusion.shapes.ShapePrompts.Prompt;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import org.assertj.core.api.SoftAssertions;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;

/**
 * Does the bundled model draw what the prompt asks? Random grammar prompts go through the Java engine, once with the
 * model's defaults and once with DPM-Solver++ 2M at 12 steps, and {@link ShapeJudge} reads every image. The figures
 * are printed and written to {@code target/adherence.txt}.
 * <p>
 * {@code -Dadherence.model=DIR} measures another model folder instead of {@code src/main/models/shapes}.
 */
@Tag("adherence")
class PromptAdherenceTest {

    static final Path BUNDLED_MODEL = Path.of("src/main/models/shapes");
    private static final Path REPORT = Path.of("target/adherence.txt");
    private static final int PROMPTS = 200;
    private static final long PROMPT_SEED = 2024;
    /** Prompt i is drawn from seed IMAGE_SEED + i in every configuration. */
    private static final long IMAGE_SEED = 1000;

    private static final double COLOR_GOAL = 0.95;
    private static final double SHAPE_GOAL = 0.90;
    private static final double BACKGROUND_GOAL = 0.95;
    private static final double SIZE_GOAL = 0.90;

    @Test
    void theModelDrawsTheColourShapeBackgroundAndSizeThePromptNames() throws IOException {
        Path folder = modelFolder();
        List<Prompt> prompts = new ShapePrompts(PROMPT_SEED).next(PROMPTS);
        List<Measurement> measurements = new ArrayList<>();
        try (LoadedModel model = LoadedModel.load(ModelFolder.open(folder), Device.cpu());
                DiffusionPipeline pipeline = new DiffusionPipeline(model)) {
            ModelIndex index = pipeline.index();
            for (SamplingSettings settings : List.of(SamplingSettings.defaults(index),
                    new SamplingSettings("dpmpp_2m", 12, index.defaultGuidanceScale()))) {
                measurements.add(measure(pipeline, settings, prompts));
            }
        }

        String report = report(folder, measurements);
        System.out.println(report);
        Files.createDirectories(REPORT.getParent());
        Files.writeString(REPORT, report);
        SoftAssertions goals = new SoftAssertions();
        for (Measurement m : measurements) {
            goals.assertThat(m.color.fraction()).as("colour, " + m.settings).isGreaterThanOrEqualTo(COLOR_GOAL);
            goals.assertThat(m.shape.fraction()).as("shape, " + m.settings).isGreaterThanOrEqualTo(SHAPE_GOAL);
            goals.assertThat(m.background.fraction()).as("background, " + m.settings)
                    .isGreaterThanOrEqualTo(BACKGROUND_GOAL);
            goals.assertThat(m.size.fraction()).as("size, " + m.settings).isGreaterThanOrEqualTo(SIZE_GOAL);
        }
        goals.assertAll();
    }

    /** The folder to measure; the test skips only while the bundled model has not been trained yet. */
    private static Path modelFolder() {
        String property = System.getProperty("adherence.model", "");
        if (!property.isBlank()) {
            return Path.of(property);
        }
        assumeThat(BUNDLED_MODEL.resolve("model_index.json"))
                .as("no bundled model at %s yet (src/training/train.py makes it); -Dadherence.model=DIR measures "
                        + "another model folder", BUNDLED_MODEL)
                .isRegularFile();
        return BUNDLED_MODEL;
    }

    private static Measurement measure(DiffusionPipeline pipeline, SamplingSettings settings, List<Prompt> prompts) {
        Measurement m = new Measurement(settings);
        long start = System.nanoTime();
        for (int i = 0; i < prompts.size(); i++) {
            Prompt prompt = prompts.get(i);
            long seed = IMAGE_SEED + i;
            GeneratedImage image = pipeline.generate(settings.request(pipeline.index(), prompt.text(), seed),
                    StepListener.NONE).get(0);
            Judgement judged = ShapeJudge.judge(image.rgb(), image.width(), image.height());
            boolean right = m.color.count(judged.color() == prompt.color());
            right &= m.shape.count(judged.shape() == prompt.shape());
            if (prompt.background() != null) {
                right &= m.background.count(judged.background() == prompt.background());
            }
            if (prompt.size() != null) {
                right &= m.size.count(judged.size() == prompt.size());
            }
            if (!right) {
                m.misreadings.add(String.format(Locale.ROOT, "  seed %d  %-46s read as %s", seed, prompt.text(),
                        judged.words()));
            }
        }
        m.seconds = (System.nanoTime() - start) / 1e9;
        return m;
    }

    private static String report(Path folder, List<Measurement> measurements) {
        StringBuilder out = new StringBuilder();
        out.append(String.format(Locale.ROOT, "Prompt adherence of %s: %d random grammar prompts (prompt seed %d, "
                + "image seeds %d..%d), one image each, CPU%n", folder, PROMPTS, PROMPT_SEED, IMAGE_SEED,
                IMAGE_SEED + PROMPTS - 1));
        out.append(String.format(Locale.ROOT, "%-36s %-16s %-16s %-16s %-16s %s%n", "configuration", "colour",
                "shape", "background", "size", "time"));
        for (Measurement m : measurements) {
            out.append(String.format(Locale.ROOT, "%-36s %-16s %-16s %-16s %-16s %.0f s%n", m.settings, m.color,
                    m.shape, m.background, m.size, m.seconds));
        }
        out.append(String.format(Locale.ROOT, "goals: colour >= %.0f%%, shape >= %.0f%%, background >= %.0f%% "
                + "(prompts naming one), size >= %.0f%% (prompts naming one)%n", COLOR_GOAL * 100, SHAPE_GOAL * 100,
                BACKGROUND_GOAL * 100, SIZE_GOAL * 100));
        for (Measurement m : measurements) {
            out.append(String.format("%nmisread with %s (%d):%n", m.settings, m.misreadings.size()));
            m.misreadings.forEach(line -> out.append(line).append(System.lineSeparator()));
        }
        return out.toString();
    }

    /** Right answers out of the prompts that ask for one attribute. */
    private static final class Tally {
        private int right;
        private int total;

        boolean count(boolean isRight) {
            total++;
            if (isRight) {
                right++;
            }
            return isRight;
        }

        double fraction() {
            return total == 0 ? Double.NaN : right / (double) total;
        }

        @Override
        public String toString() {
            return String.format(Locale.ROOT, "%.1f%% (%d/%d)", 100 * fraction(), right, total);
        }
    }

    private static final class Measurement {
        final SamplingSettings settings;
        final Tally color = new Tally();
        final Tally shape = new Tally();
        final Tally background = new Tally();
        final Tally size = new Tally();
        final List<String> misreadings = new ArrayList<>();
        double seconds;

        Measurement(SamplingSettings settings) {
            this.settings = settings;
        }
    }
}
