package dev.diffusion.scheduler;

/**
 * Ho et al. 2020, "Denoising Diffusion Probabilistic Models": ancestral sampling from the posterior
 * q(x_{t−1} | x_t, x0), as diffusers' {@code DDPMScheduler}. Every step but the one at timestep 0 draws fresh noise.
 */
public final class DdpmScheduler extends DiscreteTimeScheduler {

    private final PredictionType prediction;
    private final SampleClipping clipping;
    /** fixed_large: the step's β as variance; otherwise (fixed_small) the posterior variance. */
    private final boolean largeVariance;

    public DdpmScheduler(SchedulerConfig config) {
        super(config, NoiseSchedule.from(config, true));
        this.prediction = PredictionType.from(config, "DDPMScheduler",
                PredictionType.EPSILON, PredictionType.SAMPLE, PredictionType.V_PREDICTION);
        this.clipping = SampleClipping.from(config, true);
        this.largeVariance = largeVariance(config.string("variance_type", "fixed_small"));
    }

    private static boolean largeVariance(String varianceType) {
        return switch (varianceType) {
            // fixed_small_log draws with exp(log(variance) / 2), the same standard deviation as fixed_small
            case "fixed_small", "fixed_small_log" -> false;
            case "fixed_large" -> true;
            case "learned", "learned_range" -> throw new IllegalArgumentException("DDPM variance_type '"
                    + varianceType + "' needs a model that also predicts the variance, which this service's UNet"
                    + " interface does not carry (use fixed_small or fixed_large)");
            default -> throw new IllegalArgumentException("unsupported DDPM variance_type '" + varianceType
                    + "' (fixed_small, fixed_small_log or fixed_large)");
        };
    }

    @Override
    public double[] step(double[] modelOutput, double timestep, double[] sample, NoiseSource noise) {
        requireTimesteps();
        int t = wholeTimestep(timestep);
        int previous = previousTimestep(t);
        double alphaProd = alphaProduct(t);
        double alphaProdPrev = previous >= 0 ? alphaProduct(previous) : 1.0;
        double betaProd = 1 - alphaProd;
        double betaProdPrev = 1 - alphaProdPrev;
        double currentAlpha = alphaProd / alphaProdPrev;
        double currentBeta = 1 - currentAlpha;

        double[] x0 = clipping.apply(prediction.originalSample(modelOutput, sample, alphaProd));
        // the posterior mean, formula (7) of the paper
        double[] prev = Vectors.combine(Math.sqrt(alphaProdPrev) * currentBeta / betaProd, x0,
                Math.sqrt(currentAlpha) * betaProdPrev / betaProd, sample);
        if (t > 0) {
            double variance = largeVariance ? currentBeta : Math.max(betaProdPrev / betaProd * currentBeta, 1e-20);
            prev = Vectors.combine(1, prev, Math.sqrt(variance), noise.gaussian(sample.length));
        }
        return prev;
    }

    /** The next timestep of the run, or −1 after the last. */
    private int previousTimestep(int t) {
        for (int i = 0; i < timesteps.length; i++) {
            if (timesteps[i] == t) {
                return i + 1 < timesteps.length ? (int) timesteps[i + 1] : -1;
            }
        }
        throw new IllegalArgumentException("timestep " + t + " is not one of this run's timesteps");
    }
}
