package dev.diffusion.shapes;

import dev.diffusion.shapes.ShapeGrammar.Color;
import dev.diffusion.shapes.ShapeGrammar.Shape;
import dev.diffusion.shapes.ShapeGrammar.Size;
import java.util.Arrays;

/**
 * Reads a scene back from its pixels with the rules of the training judge (src/training/judge.py), so that the
 * figures measured through the Java engine and through Python mean the same thing.
 * <ul>
 * <li>every pixel is labelled with its nearest palette colour;
 * <li>background: the palette colour nearest the per-channel median of the 2-pixel border;
 * <li>shape colour: the most frequent label among pixels not labelled as the background; the shape is the pixels of
 *     that colour (a blurred edge between two colours can read as a third one);
 * <li>size: the larger side of the bounding box of the rows and columns holding at least 2 shape pixels, small below
 *     0.49 of the width (the grammar's ranges are 0.32–0.40 and 0.58–0.72);
 * <li>shape: the template (circle, square, upright triangle) fitted to that box that overlaps the shape best
 *     (intersection over union), which tolerates soft edges and rounded corners.
 * </ul>
 */
final class ShapeJudge {

    /** What an image shows; a field is null where the image has no shape to read it from. */
    record Judgement(Color color, Shape shape, Color background, Size size) {

        /** In the captions' words, "?" where nothing was read: "small red circle on a blue background". */
        String words() {
            return orQuestionMark(size) + " " + orQuestionMark(color) + " " + orQuestionMark(shape) + " on a "
                    + orQuestionMark(background) + " background";
        }

        private static String orQuestionMark(Enum<?> value) {
            return value == null ? "?" : ShapeGrammar.word(value);
        }
    }

    static final double SIZE_SPLIT = 0.49;
    private static final int BORDER = 2;
    /** Fewer non-background pixels than this: no shape at all. */
    private static final int MIN_FOREGROUND = 4;
    /** A row or column belongs to the bounding box when it holds at least this many shape pixels. */
    private static final int MIN_LINE_PIXELS = 2;
    private static final Color[] PALETTE = Color.values();

    private ShapeJudge() {
    }

    /** Judges packed RGB, row-major, {@code width × height}. */
    static Judgement judge(byte[] rgb, int width, int height) {
        if (rgb.length != width * height * 3) {
            throw new IllegalArgumentException("expected " + width + "×" + height + " RGB pixels");
        }
        int[] labels = new int[width * height];
        for (int p = 0; p < labels.length; p++) {
            labels[p] = nearestPaletteIndex(rgb[p * 3] & 0xff, rgb[p * 3 + 1] & 0xff, rgb[p * 3 + 2] & 0xff);
        }
        int background = borderBackground(rgb, width, height);
        int[] counts = new int[PALETTE.length];
        int foreground = 0;
        for (int label : labels) {
            if (label != background) {
                counts[label]++;
                foreground++;
            }
        }
        if (foreground < MIN_FOREGROUND) {
            return new Judgement(null, null, PALETTE[background], null);
        }
        int color = 0;
        for (int c = 1; c < counts.length; c++) {
            if (counts[c] > counts[color]) {
                color = c;
            }
        }
        boolean[] mask = new boolean[labels.length];
        for (int p = 0; p < labels.length; p++) {
            mask[p] = labels[p] == color;
        }
        int[] rowCounts = new int[height];
        int[] colCounts = new int[width];
        for (int row = 0; row < height; row++) {
            for (int col = 0; col < width; col++) {
                if (mask[row * width + col]) {
                    rowCounts[row]++;
                    colCounts[col]++;
                }
            }
        }
        int top = firstWithAtLeast(rowCounts, MIN_LINE_PIXELS);
        int left = firstWithAtLeast(colCounts, MIN_LINE_PIXELS);
        if (top < 0 || left < 0) {
            return new Judgement(PALETTE[color], null, PALETTE[background], null);
        }
        int boxHeight = lastWithAtLeast(rowCounts, MIN_LINE_PIXELS) - top + 1;
        int boxWidth = lastWithAtLeast(colCounts, MIN_LINE_PIXELS) - left + 1;
        double extent = Math.max(boxHeight, boxWidth) / (double) width;
        Size size = extent < SIZE_SPLIT ? Size.SMALL : Size.LARGE;
        return new Judgement(PALETTE[color], bestTemplate(mask, width, top, left, boxHeight, boxWidth),
                PALETTE[background], size);
    }

    /** The palette colour nearest the per-channel median of the border (corners are counted twice, as in Python). */
    private static int borderBackground(byte[] rgb, int width, int height) {
        int count = 2 * BORDER * width + 2 * BORDER * height;
        double[][] channels = new double[3][count];
        int n = 0;
        for (int b = 0; b < BORDER; b++) {
            for (int col = 0; col < width; col++) {
                n = copyPixel(rgb, (b * width + col) * 3, channels, n);
                n = copyPixel(rgb, ((height - BORDER + b) * width + col) * 3, channels, n);
            }
            for (int row = 0; row < height; row++) {
                n = copyPixel(rgb, (row * width + b) * 3, channels, n);
                n = copyPixel(rgb, (row * width + width - BORDER + b) * 3, channels, n);
            }
        }
        return nearestPaletteIndex(median(channels[0]), median(channels[1]), median(channels[2]));
    }

    private static int copyPixel(byte[] rgb, int offset, double[][] channels, int n) {
        for (int c = 0; c < 3; c++) {
            channels[c][n] = rgb[offset + c] & 0xff;
        }
        return n + 1;
    }

    private static double median(double[] values) {
        double[] sorted = values.clone();
        Arrays.sort(sorted);
        int middle = sorted.length / 2;
        return sorted.length % 2 == 1 ? sorted[middle] : (sorted[middle - 1] + sorted[middle]) / 2;
    }

    /** Squared RGB distance; on a tie the palette's first colour wins (numpy's argmin). */
    private static int nearestPaletteIndex(double r, double g, double b) {
        int best = 0;
        double bestDistance = Double.MAX_VALUE;
        for (int i = 0; i < PALETTE.length; i++) {
            double dr = r - PALETTE[i].r;
            double dg = g - PALETTE[i].g;
            double db = b - PALETTE[i].b;
            double distance = dr * dr + dg * dg + db * db;
            if (distance < bestDistance) {
                best = i;
                bestDistance = distance;
            }
        }
        return best;
    }

    private static int firstWithAtLeast(int[] counts, int minimum) {
        for (int i = 0; i < counts.length; i++) {
            if (counts[i] >= minimum) {
                return i;
            }
        }
        return -1;
    }

    private static int lastWithAtLeast(int[] counts, int minimum) {
        for (int i = counts.length - 1; i >= 0; i--) {
            if (counts[i] >= minimum) {
                return i;
            }
        }
        return -1;
    }

    /** The shape whose template, stretched over the box, has the highest IoU with the mask; ties go to the first. */
    private static Shape bestTemplate(boolean[] mask, int width, int top, int left, int boxHeight, int boxWidth) {
        Shape best = null;
        double bestIou = -1;
        for (Shape shape : Shape.values()) {
            int intersection = 0;
            int union = 0;
            for (int i = 0; i < boxHeight; i++) {
                double y = (i + 0.5) / boxHeight;
                for (int j = 0; j < boxWidth; j++) {
                    double x = (j + 0.5) / boxWidth;
                    boolean inTemplate = inTemplate(shape, x, y);
                    boolean inMask = mask[(top + i) * width + left + j];
                    if (inTemplate && inMask) {
                        intersection++;
                    }
                    if (inTemplate || inMask) {
                        union++;
                    }
                }
            }
            double iou = intersection / (double) Math.max(1, union);
            if (iou > bestIou) {
                best = shape;
                bestIou = iou;
            }
        }
        return best;
    }

    /** The templates on the unit box, y from top (0) to bottom (1). */
    private static boolean inTemplate(Shape shape, double x, double y) {
        return switch (shape) {
            case CIRCLE -> (y - 0.5) * (y - 0.5) + (x - 0.5) * (x - 0.5) <= 0.25;
            case SQUARE -> true;
            case TRIANGLE -> Math.abs(x - 0.5) <= y / 2;
        };
    }
}
