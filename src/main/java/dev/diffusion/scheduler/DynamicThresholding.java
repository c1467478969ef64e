package dev.diffusion.scheduler;

import java.util.Arrays;

/**
 * Imagen's dynamic thresholding of a predicted clean sample (Saharia et al. 2022), as diffusers'
 * {@code _threshold_sample}: take the {@code ratio} quantile s of |x0|, clamp it to [1, maxValue], then clip x0 to
 * [-s, s] and divide by s. One scheduler holds one image, so the quantile is over the whole latent, as diffusers
 * takes it per batch item.
 */
record DynamicThresholding(double ratio, double maxValue) {

    /** The config's {@code thresholding} options, or null when thresholding is off. */
    static DynamicThresholding from(SchedulerConfig config) {
        if (!config.bool("thresholding", false)) {
            return null;
        }
        return new DynamicThresholding(config.number("dynamic_thresholding_ratio", 0.995),
                config.number("sample_max_value", 1.0));
    }

    double[] apply(double[] x0) {
        double s = Math.min(Math.max(quantileOfAbs(x0), 1.0), maxValue);
        double[] out = new double[x0.length];
        for (int i = 0; i < out.length; i++) {
            out[i] = Math.max(-s, Math.min(s, x0[i])) / s;
        }
        return out;
    }

    /** torch.quantile's default (linear interpolation between the two nearest ranks). */
    private double quantileOfAbs(double[] x) {
        double[] sorted = new double[x.length];
        for (int i = 0; i < x.length; i++) {
            sorted[i] = Math.abs(x[i]);
        }
        Arrays.sort(sorted);
        double position = ratio * (sorted.length - 1);
        int below = (int) Math.floor(position);
        int above = Math.min(below + 1, sorted.length - 1);
        return sorted[below] + (sorted[above] - sorted[below]) * (position - below);
    }
}
