package dev.diffusion.shapes;

import java.util.Locale;

/**
 * The world the bundled "shapes" model was trained on (src/training/shapes_data.py): one coloured circle, square or
 * upright triangle on a solid background, in an exact palette, at one of two sizes, near the centre.
 */
final class ShapeGrammar {

    /** The palette; a scene's background is never its shape's colour. */
    enum Color {
        RED(220, 40, 40), GREEN(40, 170, 60), BLUE(40, 80, 220), YELLOW(240, 210, 40), ORANGE(245, 140, 30),
        PURPLE(140, 60, 180), WHITE(240, 240, 240), BLACK(25, 25, 25);

        final int r;
        final int g;
        final int b;

        Color(int r, int g, int b) {
            this.r = r;
            this.g = g;
            this.b = b;
        }
    }

    enum Shape {
        CIRCLE, SQUARE, TRIANGLE;
    }

    /** Side or diameter as a fraction of the image width. */
    enum Size {
        SMALL(0.32, 0.40), LARGE(0.58, 0.72);

        final double minExtent;
        final double maxExtent;

        Size(double minExtent, double maxExtent) {
            this.minExtent = minExtent;
            this.maxExtent = maxExtent;
        }
    }

    /** The shape's centre lies within this fraction of the image size from the image centre, on each axis. */
    static final double CENTER_JITTER = 0.09;

    /** An attribute as the captions spell it. */
    static String word(Enum<?> value) {
        return value.name().toLowerCase(Locale.ROOT);
    }

    private ShapeGrammar() {
    }
}
