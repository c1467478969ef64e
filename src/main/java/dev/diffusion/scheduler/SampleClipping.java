package dev.diffusion.scheduler;

import java.util.Arrays;

/**
 * What becomes of a predicted clean sample x0 before a step uses it: dynamic thresholding (Saharia et al. 2022,
 * Imagen), clipping to ±{@code range}, or nothing. Thresholding wins when both are set, as in diffusers.
 */
record SampleClipping(boolean thresholding, double thresholdingRatio, double sampleMaxValue, boolean clip,
        double range) {

    /** DDPM's and DDIM's keys: {@code thresholding} and its parameters, {@code clip_sample}, {@code clip_sample_range}. */
    static SampleClipping from(SchedulerConfig config, boolean defaultClip) {
        return new SampleClipping(config.bool("thresholding", false),
                config.number("dynamic_thresholding_ratio", 0.995), config.number("sample_max_value", 1.0),
                config.bool("clip_sample", defaultClip), config.number("clip_sample_range", 1.0));
    }

    /** Heun's keys: clipping only. */
    static SampleClipping clipOnly(SchedulerConfig config, boolean defaultClip) {
        return new SampleClipping(false, 0, 0, config.bool("clip_sample", defaultClip),
                config.number("clip_sample_range", 1.0));
    }

    double[] apply(double[] x0) {
        if (thresholding) {
            // s = the ratio-quantile of |x0|, kept within [1, sample_max_value]; x0 is clamped to ±s and divided by s
            double s = Math.min(Math.max(quantile(abs(x0), thresholdingRatio), 1), sampleMaxValue);
            return Vectors.scale(1 / s, clamp(x0, s));
        }
        return clip ? clamp(x0, range) : x0;
    }

    private static double[] clamp(double[] x, double bound) {
        double[] out = new double[x.length];
        for (int i = 0; i < x.length; i++) {
            out[i] = Math.max(-bound, Math.min(bound, x[i]));
        }
        return out;
    }

    private static double[] abs(double[] x) {
        double[] out = new double[x.length];
        for (int i = 0; i < x.length; i++) {
            out[i] = Math.abs(x[i]);
        }
        return out;
    }

    /** torch.quantile's default: linear interpolation between the two nearest ranks. */
    private static double quantile(double[] values, double q) {
        double[] sorted = values.clone();
        Arrays.sort(sorted);
        double position = q * (sorted.length - 1);
        int below = (int) Math.floor(position);
        int above = Math.min(below + 1, sorted.length - 1);
        return sorted[below] + (sorted[above] - sorted[below]) * (position - below);
    }
}
