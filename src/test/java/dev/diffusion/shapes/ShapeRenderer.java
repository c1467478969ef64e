package dev.diffusion.shapes;

import dev.diffusion.shapes.ShapeGrammar.Color;
import dev.diffusion.shapes.ShapeGrammar.Shape;
import dev.diffusion.shapes.ShapeGrammar.Size;
import java.util.Random;

/** Draws ground-truth scenes the way the training data is drawn (shapes_data.render): antialiased by supersampling. */
final class ShapeRenderer {

    /** Each pixel is the mean of SUPERSAMPLE × SUPERSAMPLE sub-pixel samples. */
    private static final int SUPERSAMPLE = 4;

    /**
     * One scene.
     *
     * @param extent  side or diameter as a fraction of the image width (an upright triangle's base and height)
     * @param centerX centre of the shape's bounding box as a fraction of the width
     * @param centerY centre of the shape's bounding box as a fraction of the height
     */
    record Scene(Color color, Color background, Shape shape, double extent, double centerX, double centerY) {

        /** A scene with these attributes at a random extent within the size's range and a random centre. */
        static Scene random(Random random, Color color, Color background, Shape shape, Size size) {
            double extent = size.minExtent + random.nextDouble() * (size.maxExtent - size.minExtent);
            return new Scene(color, background, shape, extent, jitteredCentre(random), jitteredCentre(random));
        }

        private static double jitteredCentre(Random random) {
            return 0.5 + (2 * random.nextDouble() - 1) * ShapeGrammar.CENTER_JITTER;
        }
    }

    private ShapeRenderer() {
    }

    /** Packed RGB, row-major. */
    static byte[] render(Scene scene, int width, int height) {
        double half = scene.extent() * width / 2;
        double centerX = scene.centerX() * width;
        double centerY = scene.centerY() * height;
        byte[] rgb = new byte[width * height * 3];
        for (int row = 0; row < height; row++) {
            for (int col = 0; col < width; col++) {
                int covered = 0;
                for (int sy = 0; sy < SUPERSAMPLE; sy++) {
                    for (int sx = 0; sx < SUPERSAMPLE; sx++) {
                        double dx = col + (sx + 0.5) / SUPERSAMPLE - centerX;
                        double dy = row + (sy + 0.5) / SUPERSAMPLE - centerY;
                        if (inside(scene.shape(), dx, dy, half)) {
                            covered++;
                        }
                    }
                }
                double coverage = covered / (double) (SUPERSAMPLE * SUPERSAMPLE);
                int p = (row * width + col) * 3;
                rgb[p] = blend(scene.background().r, scene.color().r, coverage);
                rgb[p + 1] = blend(scene.background().g, scene.color().g, coverage);
                rgb[p + 2] = blend(scene.background().b, scene.color().b, coverage);
            }
        }
        return rgb;
    }

    /** Whether the point at (dx, dy) from the bounding box's centre is inside the shape. */
    private static boolean inside(Shape shape, double dx, double dy, double half) {
        return switch (shape) {
            case CIRCLE -> dx * dx + dy * dy <= half * half;
            case SQUARE -> Math.abs(dx) <= half && Math.abs(dy) <= half;
            // apex at the top, base at the bottom: the half-width grows from 0 to half
            case TRIANGLE -> Math.abs(dy) <= half && Math.abs(dx) <= (dy + half) / 2;
        };
    }

    private static byte blend(int background, int foreground, double coverage) {
        return (byte) Math.rint(background + coverage * (foreground - background));
    }
}
