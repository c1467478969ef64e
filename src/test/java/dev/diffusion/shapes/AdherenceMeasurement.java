package dev.diffusion.shapes;

import dev.diffusion.pipeline.DiffusionPipeline;
import dev.diffusion.pipeline.GeneratedImage;
import dev.diffusion.pipeline.StepListener;
import dev.diffusion.shapes.ShapeJudge.Judgement;
import dev.diffusion.shapes.ShapePrompts.Prompt;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import org.assertj.core.api.SoftAssertions;

/**
 * How often the images of one sampling configuration show what their prompts ask, as {@link ShapeJudge} reads them:
 * colour, shape, and background and size where the prompt names them. Prompt i is drawn with seed
 * {@code firstImageSeed + i}.
 */
final class AdherenceMeasurement {

    /** The fractions an attribute must reach. */
    record Thresholds(double color, double shape, double background, double size) {

        @Override
        public String toString() {
            return String.format(Locale.ROOT, "colour >= %.0f%%, shape >= %.0f%%, background >= %.0f%% (prompts "
                    + "naming one), size >= %.0f%% (prompts naming one)", color * 100, shape * 100, background * 100,
                    size * 100);
        }
    }

    /** The bundled model's goals. */
    static final Thresholds GOALS = new Thresholds(0.95, 0.90, 0.95, 0.90);

    final SamplingSettings settings;
    final Tally color = new Tally();
    final Tally shape = new Tally();
    final Tally background = new Tally();
    final Tally size = new Tally();
    final List<String> misreadings = new ArrayList<>();
    double seconds;

    private AdherenceMeasurement(SamplingSettings settings) {
        this.settings = settings;
    }

    static AdherenceMeasurement measure(DiffusionPipeline pipeline, SamplingSettings settings, List<Prompt> prompts,
            long firstImageSeed) {
        AdherenceMeasurement m = new AdherenceMeasurement(settings);
        long start = System.nanoTime();
        for (int i = 0; i < prompts.size(); i++) {
            Prompt prompt = prompts.get(i);
            long seed = firstImageSeed + i;
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

    /** Adds a failed assertion for every attribute below its threshold. */
    void check(SoftAssertions assertions, Thresholds thresholds) {
        assertions.assertThat(color.fraction()).as("colour, " + settings).isGreaterThanOrEqualTo(thresholds.color());
        assertions.assertThat(shape.fraction()).as("shape, " + settings).isGreaterThanOrEqualTo(thresholds.shape());
        assertions.assertThat(background.fraction()).as("background, " + settings)
                .isGreaterThanOrEqualTo(thresholds.background());
        assertions.assertThat(size.fraction()).as("size, " + settings).isGreaterThanOrEqualTo(thresholds.size());
    }

    /** A table of the measurements, the thresholds, then every misread prompt. */
    static String report(String title, List<AdherenceMeasurement> measurements, Thresholds thresholds) {
        StringBuilder out = new StringBuilder(title).append(System.lineSeparator());
        out.append(String.format(Locale.ROOT, "%-36s %-16s %-16s %-16s %-16s %s%n", "configuration", "colour",
                "shape", "background", "size", "time"));
        for (AdherenceMeasurement m : measurements) {
            out.append(String.format(Locale.ROOT, "%-36s %-16s %-16s %-16s %-16s %.0f s%n", m.settings, m.color,
                    m.shape, m.background, m.size, m.seconds));
        }
        out.append("thresholds: ").append(thresholds).append(System.lineSeparator());
        for (AdherenceMeasurement m : measurements) {
            out.append(String.format("%nmisread with %s (%d):%n", m.settings, m.misreadings.size()));
            m.misreadings.forEach(line -> out.append(line).append(System.lineSeparator()));
        }
        return out.toString();
    }

    /** Right answers out of the prompts that ask for one attribute. */
    static final class Tally {
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
}
