package dev.diffusion.shapes;

import static org.assertj.core.api.Assertions.assertThat;
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
import java.awt.Font;
import java.awt.Graphics2D;
import java.awt.RenderingHints;
import java.awt.image.BufferedImage;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import javax.imageio.ImageIO;
import org.junit.jupiter.api.Test;

/**
 * Writes a grid of images of random grammar prompts, drawn through the Java engine with the model's defaults, each
 * captioned with its prompt, and the prompts, seeds and the judge's reading to a text file beside it:
 * <pre>./mvnw -q -B -o test -Dtest=SampleGridWriter -Dgrid.out=docs/samples.png [-Dgrid.model=DIR]</pre>
 * Skipped unless {@code grid.out} is given.
 */
class SampleGridWriter {

    private static final int ROWS = 4;
    private static final int COLUMNS = 6;
    private static final long PROMPT_SEED = 7;
    /** Tile i is drawn from seed IMAGE_SEED + i. */
    private static final long IMAGE_SEED = 500;
    /** Each 64-pixel image is shown 3 times as large, in nearest-neighbour pixels, so its edges can be seen. */
    private static final int SCALE = 3;
    private static final int GAP = 8;
    private static final int CAPTION_HEIGHT = 36;
    private static final int LINE_HEIGHT = 15;

    @Test
    void writesTheGridWhenAskedTo() throws IOException {
        String out = System.getProperty("grid.out", "");
        assumeThat(out).as("-Dgrid.out=docs/samples.png writes the sample grid").isNotBlank();
        Path png = Path.of(out);
        Path model = Path.of(System.getProperty("grid.model", PromptAdherenceTest.BUNDLED_MODEL.toString()));
        List<Prompt> prompts = new ShapePrompts(PROMPT_SEED).next(ROWS * COLUMNS);
        List<GeneratedImage> images = new ArrayList<>();
        SamplingSettings settings;
        try (LoadedModel loaded = LoadedModel.load(ModelFolder.open(model), Device.cpu());
                DiffusionPipeline pipeline = new DiffusionPipeline(loaded)) {
            ModelIndex index = pipeline.index();
            settings = SamplingSettings.defaults(index);
            for (int i = 0; i < prompts.size(); i++) {
                images.add(pipeline.generate(settings.request(index, prompts.get(i).text(), IMAGE_SEED + i),
                        StepListener.NONE).get(0));
            }
        }

        if (png.getParent() != null) {
            Files.createDirectories(png.getParent());
        }
        ImageIO.write(grid(prompts, images), "png", png.toFile());
        Path text = png.resolveSibling(png.getFileName().toString().replaceFirst("\\.png$", "") + ".txt");
        Files.writeString(text, legend(model, settings, prompts, images));

        assertThat(ImageIO.read(png.toFile()).getWidth()).isEqualTo(tileWidth(images.get(0)) * COLUMNS + GAP);
    }

    private static BufferedImage grid(List<Prompt> prompts, List<GeneratedImage> images) {
        int tileWidth = tileWidth(images.get(0));
        int imageHeight = images.get(0).height() * SCALE;
        int tileHeight = imageHeight + CAPTION_HEIGHT + GAP;
        BufferedImage grid = new BufferedImage(tileWidth * COLUMNS + GAP, tileHeight * ROWS + GAP,
                BufferedImage.TYPE_INT_RGB);
        Graphics2D g = grid.createGraphics();
        g.setRenderingHint(RenderingHints.KEY_TEXT_ANTIALIASING, RenderingHints.VALUE_TEXT_ANTIALIAS_ON);
        g.setColor(java.awt.Color.WHITE);
        g.fillRect(0, 0, grid.getWidth(), grid.getHeight());
        g.setColor(java.awt.Color.DARK_GRAY);
        g.setFont(new Font(Font.SANS_SERIF, Font.PLAIN, 12));
        for (int i = 0; i < images.size(); i++) {
            int x = GAP + (i % COLUMNS) * tileWidth;
            int y = GAP + (i / COLUMNS) * tileHeight;
            GeneratedImage image = images.get(i);
            g.drawImage(pixels(image), x, y, image.width() * SCALE, imageHeight, null);
            List<String> lines = captionLines(prompts.get(i).text());
            for (int line = 0; line < lines.size(); line++) {
                g.drawString(lines.get(line), x, y + imageHeight + LINE_HEIGHT * (line + 1));
            }
        }
        g.dispose();
        return grid;
    }

    private static int tileWidth(GeneratedImage image) {
        return image.width() * SCALE + GAP;
    }

    /** "a small red circle" above "on a blue background": a prompt is too wide for one line under its image. */
    private static List<String> captionLines(String prompt) {
        int split = prompt.indexOf(" on a ");
        return split < 0 ? List.of(prompt) : List.of(prompt.substring(0, split), prompt.substring(split + 1));
    }

    private static BufferedImage pixels(GeneratedImage image) {
        BufferedImage out = new BufferedImage(image.width(), image.height(), BufferedImage.TYPE_INT_RGB);
        byte[] rgb = image.rgb();
        for (int p = 0; p < image.width() * image.height(); p++) {
            out.setRGB(p % image.width(), p / image.width(),
                    (rgb[p * 3] & 0xff) << 16 | (rgb[p * 3 + 1] & 0xff) << 8 | (rgb[p * 3 + 2] & 0xff));
        }
        return out;
    }

    private static String legend(Path model, SamplingSettings settings, List<Prompt> prompts,
            List<GeneratedImage> images) {
        StringBuilder out = new StringBuilder(String.format(Locale.ROOT,
                "Model %s through the Java engine on CPU, its defaults (%s), one image per prompt; row by row:%n",
                model, settings));
        for (int i = 0; i < prompts.size(); i++) {
            GeneratedImage image = images.get(i);
            Judgement judged = ShapeJudge.judge(image.rgb(), image.width(), image.height());
            out.append(String.format(Locale.ROOT, "%d,%d  seed %d  %-46s judge: %s%n",
                    i / COLUMNS + 1, i % COLUMNS + 1, image.seed(), prompts.get(i).text(), judged.words()));
        }
        return out.toString();
    }
}
