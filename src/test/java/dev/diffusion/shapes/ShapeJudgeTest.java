package dev.diffusion.shapes;

import static org.assertj.core.api.Assertions.assertThat;

import dev.diffusion.shapes.ShapeGrammar.Color;
import dev.diffusion.shapes.ShapeGrammar.Shape;
import dev.diffusion.shapes.ShapeGrammar.Size;
import dev.diffusion.shapes.ShapeJudge.Judgement;
import dev.diffusion.shapes.ShapeRenderer.Scene;
import java.util.ArrayList;
import java.util.List;
import java.util.Random;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/** The judge reads rendered ground truth without a single mistake, sharp or softened as a decoder would. */
class ShapeJudgeTest {

    private static final int SIDE = 64;
    private static final int SCENES = 600;

    private record Truth(Scene scene, Size size, byte[] rgb) {

        Judgement expected() {
            return new Judgement(scene.color(), scene.shape(), scene.background(), size);
        }
    }

    private static List<Truth> truths;

    @BeforeAll
    static void renderScenes() {
        Random random = new Random(20240601);
        Color[] colors = Color.values();
        truths = new ArrayList<>(SCENES);
        for (int i = 0; i < SCENES; i++) {
            int color = random.nextInt(colors.length);
            Color background = colors[(color + 1 + random.nextInt(colors.length - 1)) % colors.length];
            Shape shape = Shape.values()[random.nextInt(Shape.values().length)];
            Size size = Size.values()[random.nextInt(Size.values().length)];
            Scene scene = Scene.random(random, colors[color], background, shape, size);
            truths.add(new Truth(scene, size, ShapeRenderer.render(scene, SIDE, SIDE)));
        }
    }

    @Test
    void readsEveryRenderedSceneRight() {
        assertThat(misreadings(false)).as("scenes the judge misread").isEmpty();
        assertThat(truths).extracting(t -> t.scene().shape()).containsAll(List.of(Shape.values()));
        assertThat(truths).extracting(Truth::size).containsAll(List.of(Size.values()));
    }

    @Test
    void readsTheSameScenesSoftenedByABoxBlur() {
        assertThat(misreadings(true)).as("blurred scenes the judge misread").isEmpty();
    }

    @Test
    void aFlatImageHasABackgroundAndNoShape() {
        byte[] rgb = fill(SIDE, SIDE, Color.PURPLE);

        assertThat(ShapeJudge.judge(rgb, SIDE, SIDE)).isEqualTo(new Judgement(null, null, Color.PURPLE, null));
    }

    @Test
    void aHandDrawnSquareWithStrayPixelsOnTheBorder() {
        byte[] rgb = fill(SIDE, SIDE, Color.BLUE);
        paint(rgb, SIDE, 20, 44, 22, 46, Color.RED); // 24 × 24: 0.375 of the width
        // a few stray pixels of other colours: the border's median and the most frequent colour ignore them
        paint(rgb, SIDE, 0, 2, 0, 10, Color.WHITE);
        paint(rgb, SIDE, 60, 62, 5, 8, Color.GREEN);

        assertThat(ShapeJudge.judge(rgb, SIDE, SIDE)).isEqualTo(new Judgement(Color.RED, Shape.SQUARE, Color.BLUE,
                Size.SMALL));
    }

    @Test
    void theSizeSplitsAt049OfTheWidth() {
        byte[] below = ShapeRenderer.render(new Scene(Color.BLACK, Color.WHITE, Shape.SQUARE, 0.46, 0.5, 0.5), SIDE,
                SIDE);
        byte[] above = ShapeRenderer.render(new Scene(Color.BLACK, Color.WHITE, Shape.SQUARE, 0.52, 0.5, 0.5), SIDE,
                SIDE);

        assertThat(ShapeJudge.judge(below, SIDE, SIDE).size()).isEqualTo(Size.SMALL);
        assertThat(ShapeJudge.judge(above, SIDE, SIDE).size()).isEqualTo(Size.LARGE);
    }

    @Test
    void readsImagesOfAnySizeWithTheExtentMeasuredAgainstTheWidth() {
        // 0.36 of a 100-pixel width is 36 pixels: small, although it is 0.6 of the 60-pixel height
        Scene wide = new Scene(Color.ORANGE, Color.GREEN, Shape.TRIANGLE, 0.36, 0.45, 0.5);

        assertThat(ShapeJudge.judge(ShapeRenderer.render(wide, 100, 60), 100, 60))
                .isEqualTo(new Judgement(Color.ORANGE, Shape.TRIANGLE, Color.GREEN, Size.SMALL));
    }

    private static List<String> misreadings(boolean blurred) {
        List<String> wrong = new ArrayList<>();
        for (Truth truth : truths) {
            byte[] rgb = blurred ? boxBlur(truth.rgb(), SIDE, SIDE) : truth.rgb();
            Judgement judged = ShapeJudge.judge(rgb, SIDE, SIDE);
            if (!judged.equals(truth.expected())) {
                wrong.add(truth.scene() + " read as " + judged);
            }
        }
        return wrong;
    }

    /** 3 × 3 mean, edges repeated: a stand-in for a VAE decoder's soft edges. */
    private static byte[] boxBlur(byte[] rgb, int width, int height) {
        byte[] out = new byte[rgb.length];
        for (int row = 0; row < height; row++) {
            for (int col = 0; col < width; col++) {
                for (int c = 0; c < 3; c++) {
                    int sum = 0;
                    for (int dy = -1; dy <= 1; dy++) {
                        for (int dx = -1; dx <= 1; dx++) {
                            int y = Math.min(Math.max(row + dy, 0), height - 1);
                            int x = Math.min(Math.max(col + dx, 0), width - 1);
                            sum += rgb[(y * width + x) * 3 + c] & 0xff;
                        }
                    }
                    out[(row * width + col) * 3 + c] = (byte) Math.rint(sum / 9.0);
                }
            }
        }
        return out;
    }

    private static byte[] fill(int width, int height, Color color) {
        byte[] rgb = new byte[width * height * 3];
        paint(rgb, width, 0, height, 0, width, color);
        return rgb;
    }

    /** Paints rows [top, bottom) × columns [left, right). */
    private static void paint(byte[] rgb, int width, int top, int bottom, int left, int right, Color color) {
        for (int row = top; row < bottom; row++) {
            for (int col = left; col < right; col++) {
                int p = (row * width + col) * 3;
                rgb[p] = (byte) color.r;
                rgb[p + 1] = (byte) color.g;
                rgb[p + 2] = (byte) color.b;
            }
        }
    }
}
