package dev.diffusion.scheduler;

/** Element-wise arithmetic on flat latents, so that every sampler's update reads like its formula. */
public final class Vectors {

    private Vectors() {
    }

    /** a·x + b·y */
    public static double[] combine(double a, double[] x, double b, double[] y) {
        double[] out = new double[x.length];
        for (int i = 0; i < out.length; i++) {
            out[i] = a * x[i] + b * y[i];
        }
        return out;
    }

    /** a·x + b·y + c·z */
    public static double[] combine(double a, double[] x, double b, double[] y, double c, double[] z) {
        double[] out = new double[x.length];
        for (int i = 0; i < out.length; i++) {
            out[i] = a * x[i] + b * y[i] + c * z[i];
        }
        return out;
    }

    /** a·x */
    public static double[] scale(double a, double[] x) {
        double[] out = new double[x.length];
        for (int i = 0; i < out.length; i++) {
            out[i] = a * x[i];
        }
        return out;
    }

    /** max |x| */
    public static double maxAbs(double[] x) {
        double max = 0;
        for (double v : x) {
            max = Math.max(max, Math.abs(v));
        }
        return max;
    }
}
