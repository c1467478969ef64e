package dev.diffusion.scheduler;

/**
 * What becomes of a predicted clean sample x0 before a step uses it: dynamic thresholding (null when off), clipping
 * to ±{@code range}, or nothing. Thresholding wins when both are set, as in diffusers.
 */
record SampleClipping(DynamicThresholding thresholding, boolean clip, double range) {

    /** DDPM's and DDIM's keys: {@code thresholding} and its parameters, {@code clip_sample}, {@code clip_sample_range}. */
    static SampleClipping from(SchedulerConfig config, boolean defaultClip) {
        return new SampleClipping(DynamicThresholding.from(config), config.bool("clip_sample", defaultClip),
                config.number("clip_sample_range", 1.0));
    }

    /** Heun's keys: clipping only. */
    static SampleClipping clipOnly(SchedulerConfig config, boolean defaultClip) {
        return new SampleClipping(null, config.bool("clip_sample", defaultClip), config.number("clip_sample_range", 1.0));
    }

    double[] apply(double[] x0) {
        if (thresholding != null) {
            return thresholding.apply(x0);
        }
        if (!clip) {
            return x0;
        }
        double[] out = new double[x0.length];
        for (int i = 0; i < x0.length; i++) {
            out[i] = Math.max(-range, Math.min(range, x0[i]));
        }
        return out;
    }
}
