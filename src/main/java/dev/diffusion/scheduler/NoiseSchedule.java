package dev.diffusion.scheduler;

/**
 * The training noise schedule: betas and cumulative alphas over {@code num_train_timesteps}, computed as diffusers
 * computes them (float32 betas, cumulative product accumulated in double and stored as float32, as torch does on
 * the CPU), so that derived sigmas match the reference to float precision.
 */
public record NoiseSchedule(double[] betas, double[] alphas, double[] alphasCumprod) {

    /** diffusers' defaults shared by every scheduler class we implement. */
    static final int DEFAULT_TRAIN_TIMESTEPS = 1000;
    static final double DEFAULT_BETA_START = 0.0001;
    static final double DEFAULT_BETA_END = 0.02;
    static final String DEFAULT_BETA_SCHEDULE = "linear";

    /** Reads {@code trained_betas}, {@code beta_schedule}, its bounds, and (if {@code readZeroSnr}) the rescale flag. */
    public static NoiseSchedule from(SchedulerConfig config, boolean readZeroSnr) {
        return from(config, readZeroSnr, DEFAULT_BETA_START, DEFAULT_BETA_END);
    }

    /** As {@link #from(SchedulerConfig, boolean)}, for a class whose beta bounds default otherwise (Heun's). */
    static NoiseSchedule from(SchedulerConfig config, boolean readZeroSnr, double defaultBetaStart,
            double defaultBetaEnd) {
        return from(config, readZeroSnr, defaultBetaStart, defaultBetaEnd, DEFAULT_BETA_SCHEDULE);
    }

    /** As {@link #from(SchedulerConfig, boolean)}, for a class whose beta bounds and schedule default otherwise. */
    static NoiseSchedule from(SchedulerConfig config, boolean readZeroSnr, double defaultBetaStart,
            double defaultBetaEnd, String defaultBetaSchedule) {
        int trainSteps = config.integer("num_train_timesteps", DEFAULT_TRAIN_TIMESTEPS);
        double[] betas = config.numbers("trained_betas");
        if (betas == null) {
            betas = betas(config.string("beta_schedule", defaultBetaSchedule), trainSteps,
                    config.number("beta_start", defaultBetaStart), config.number("beta_end", defaultBetaEnd));
        } else {
            betas = toFloat32(betas);
        }
        if (readZeroSnr && config.bool("rescale_betas_zero_snr", false)) {
            betas = rescaleZeroTerminalSnr(betas);
        }
        return of(betas);
    }

    static NoiseSchedule of(double[] betas) {
        double[] alphas = new double[betas.length];
        double[] cumprod = new double[betas.length];
        double product = 1.0;
        for (int i = 0; i < betas.length; i++) {
            alphas[i] = (float) (1.0 - betas[i]);
            product *= alphas[i];
            cumprod[i] = (float) product;
        }
        return new NoiseSchedule(betas, alphas, cumprod);
    }

    /**
     * A copy whose last ᾱ is 2^-24 instead of 0: after a zero-terminal-SNR rescale, diffusers' Euler samplers do this
     * so that the first sigma is finite.
     */
    NoiseSchedule withFiniteTerminalSigma() {
        double[] cumprod = alphasCumprod.clone();
        cumprod[cumprod.length - 1] = 0x1p-24;
        return new NoiseSchedule(betas, alphas, cumprod);
    }

    public int trainTimesteps() {
        return betas.length;
    }

    /** The forward process at a training timestep: √ᾱ·x0 + √(1−ᾱ)·ε (diffusers' {@code add_noise} of DDPM and DDIM). */
    double[] addNoise(double[] original, double[] noise, int timestep) {
        double alphaProd = alphasCumprod[timestep];
        return Vectors.combine(Math.sqrt(alphaProd), original, Math.sqrt(1 - alphaProd), noise);
    }

    /** sqrt((1 - ᾱ) / ᾱ) per training timestep: the noise levels of sigma-based samplers. */
    public double[] sigmas() {
        double[] sigmas = new double[alphasCumprod.length];
        for (int i = 0; i < sigmas.length; i++) {
            sigmas[i] = (float) Math.sqrt((1 - alphasCumprod[i]) / alphasCumprod[i]);
        }
        return sigmas;
    }

    static double[] betas(String schedule, int n, double start, double end) {
        return switch (schedule) {
            case "linear" -> toFloat32(SigmaMath.linspace(start, end, n));
            case "scaled_linear" -> {
                double[] roots = toFloat32(SigmaMath.linspace(Math.sqrt(start), Math.sqrt(end), n));
                for (int i = 0; i < n; i++) {
                    roots[i] = (float) (roots[i] * roots[i]);
                }
                yield roots;
            }
            case "squaredcos_cap_v2" -> cosineBetas(n);
            default -> throw new IllegalArgumentException("unsupported beta_schedule '" + schedule
                    + "' (linear, scaled_linear, squaredcos_cap_v2 or trained_betas)");
        };
    }

    /** Nichol & Dhariwal's cosine schedule, as diffusers' {@code betas_for_alpha_bar} with max beta 0.999. */
    private static double[] cosineBetas(int n) {
        double[] betas = new double[n];
        for (int i = 0; i < n; i++) {
            double t1 = (double) i / n;
            double t2 = (double) (i + 1) / n;
            betas[i] = (float) Math.min(1 - alphaBar(t2) / alphaBar(t1), 0.999);
        }
        return betas;
    }

    private static double alphaBar(double t) {
        double c = Math.cos((t + 0.008) / 1.008 * Math.PI / 2);
        return c * c;
    }

    /** Lin et al. 2023, "Common Diffusion Noise Schedules and Sample Steps are Flawed", Algorithm 1. */
    static double[] rescaleZeroTerminalSnr(double[] betas) {
        int n = betas.length;
        double[] sqrtBar = new double[n];
        double product = 1.0;
        for (int i = 0; i < n; i++) {
            product *= (float) (1.0 - betas[i]);
            sqrtBar[i] = (float) Math.sqrt((float) product);
        }
        double first = sqrtBar[0];
        double last = sqrtBar[n - 1];
        double[] bar = new double[n];
        for (int i = 0; i < n; i++) {
            double shifted = (float) ((float) (sqrtBar[i] - last) * (float) (first / (first - last)));
            bar[i] = (float) (shifted * shifted);
        }
        double[] rescaled = new double[n];
        rescaled[0] = (float) (1 - bar[0]);
        for (int i = 1; i < n; i++) {
            rescaled[i] = (float) (1 - (float) (bar[i] / bar[i - 1]));
        }
        return rescaled;
    }

    private static double[] toFloat32(double[] values) {
        double[] out = new double[values.length];
        for (int i = 0; i < values.length; i++) {
            out[i] = (float) values[i];
        }
        return out;
    }
}
