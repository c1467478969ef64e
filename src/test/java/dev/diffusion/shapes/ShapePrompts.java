package dev.diffusion.shapes;

import static dev.diffusion.shapes.ShapeGrammar.word;

import dev.diffusion.shapes.ShapeGrammar.Color;
import dev.diffusion.shapes.ShapeGrammar.Shape;
import dev.diffusion.shapes.ShapeGrammar.Size;
import java.util.ArrayList;
import java.util.List;
import java.util.Random;

/**
 * Random grammar prompts from a fixed seed: uniform over the three caption forms and over every attribute value,
 * the background drawn from the seven colours other than the shape's.
 */
final class ShapePrompts {

    /**
     * One prompt and what it asks for.
     *
     * @param background null when the caption names no background
     * @param size       null when the caption names no size (only the longest form names one)
     */
    record Prompt(Color color, Shape shape, Color background, Size size) {

        Prompt {
            if (background == color) {
                throw new IllegalArgumentException("the background is never the shape's colour");
            }
            if (size != null && background == null) {
                throw new IllegalArgumentException("only the caption that names a background names a size");
            }
        }

        /** The caption, worded exactly as the training captions are. */
        String text() {
            if (size != null) {
                return "a " + word(size) + " " + word(color) + " " + word(shape) + " on a " + word(background)
                        + " background";
            }
            if (background != null) {
                return "a " + word(color) + " " + word(shape) + " on a " + word(background) + " background";
            }
            return "a " + word(color) + " " + word(shape);
        }
    }

    private static final int CAPTION_FORMS = 3;

    private final Random random;

    ShapePrompts(long seed) {
        this.random = new Random(seed);
    }

    Prompt next() {
        Color[] colors = Color.values();
        int form = random.nextInt(CAPTION_FORMS);
        int color = random.nextInt(colors.length);
        Color background = colors[(color + 1 + random.nextInt(colors.length - 1)) % colors.length];
        Shape shape = Shape.values()[random.nextInt(Shape.values().length)];
        Size size = Size.values()[random.nextInt(Size.values().length)];
        return new Prompt(colors[color], shape, form < 2 ? background : null, form == 0 ? size : null);
    }

    List<Prompt> next(int count) {
        List<Prompt> prompts = new ArrayList<>(count);
        for (int i = 0; i < count; i++) {
            prompts.add(next());
        }
        return prompts;
    }
}
