package dev.diffusion.pipeline;

/** Classifier-free guidance on one image's two noise predictions, with diffusers' optional rescale. */
final class Guidance {

    private Guidance() {
    }

    /**
     * ε = ε_u + w·(ε_c − ε_u); with {@code rescale} > 0 the result's standard deviation is pulled back toward the
     * conditional prediction's (Lin et al. 2023 §3.4, diffusers' {@code rescale_noise_cfg}).
     */
    static double[] combine(float[] rows, int uncondOffset, int condOffset, int length, double scale,
            double rescale) {
        double[] guided = new double[length];
        for (int i = 0; i < length; i++) {
            double uncond = rows[uncondOffset + i];
            guided[i] = uncond + scale * (rows[condOffset + i] - uncond);
        }
        if (rescale > 0) {
            double ratio = std(rows, condOffset, length) / std(guided);
            for (int i = 0; i < length; i++) {
                guided[i] = rescale * guided[i] * ratio + (1 - rescale) * guided[i];
            }
        }
        return guided;
    }

    /** One unguided prediction, widened for the scheduler. */
    static double[] single(float[] rows, int offset, int length) {
        double[] out = new double[length];
        for (int i = 0; i < length; i++) {
            out[i] = rows[offset + i];
        }
        return out;
    }

    /** Unbiased standard deviation, as torch.std. */
    private static double std(float[] values, int offset, int length) {
        double[] copy = single(values, offset, length);
        return std(copy);
    }

    private static double std(double[] values) {
        double mean = 0;
        for (double v : values) {
            mean += v;
        }
        mean /= values.length;
        double sum = 0;
        for (double v : values) {
            sum += (v - mean) * (v - mean);
        }
        return Math.sqrt(sum / (values.length - 1));
    }
}
