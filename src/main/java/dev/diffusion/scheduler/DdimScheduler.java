package dev.diffusion.scheduler;

/**
 * Song et al. 2021, "Denoising Diffusion Implicit Models", as diffusers' {@code DDIMScheduler}: deterministic for
 * eta = 0, DDPM-like for eta = 1. eta is a per-request value (not a config key), so it is given here;
 * {@code use_clipped_model_output} is false, as in the pipelines.
 */
public final class DdimScheduler extends DiscreteTimeScheduler {

    private final PredictionType prediction;
    private final SampleClipping clipping;
    /** ᾱ after the last step: 1, or ᾱ at timestep 0 ({@code set_alpha_to_one}). */
    private final double finalAlphaProd;
    private final double eta;

    public DdimScheduler(SchedulerConfig config) {
        this(config, 0.0);
    }

    public DdimScheduler(SchedulerConfig config, double eta) {
        super(config, NoiseSchedule.from(config, true));
        if (!(eta >= 0)) {
            throw new IllegalArgumentException("eta must be 0 or more, not " + eta);
        }
        this.prediction = PredictionType.from(config, "DDIMScheduler",
                PredictionType.EPSILON, PredictionType.SAMPLE, PredictionType.V_PREDICTION);
        this.clipping = SampleClipping.from(config, true);
        this.finalAlphaProd = config.bool("set_alpha_to_one", true) ? 1.0 : alphaProduct(0);
        this.eta = eta;
    }

    @Override
    public double[] step(double[] modelOutput, double timestep, double[] sample, NoiseSource noise) {
        int t = wholeTimestep(timestep);
        int previous = t - stepRatio();
        double alphaProd = alphaProduct(t);
        double alphaProdPrev = previous >= 0 ? alphaProduct(previous) : finalAlphaProd;

        double[] x0 = clipping.apply(prediction.originalSample(modelOutput, sample, alphaProd));
        double[] epsilon = prediction.noise(modelOutput, sample, alphaProd);
        // σ_t(η), formula (16) of the paper
        double variance = (1 - alphaProdPrev) / (1 - alphaProd) * (1 - alphaProd / alphaProdPrev);
        double deviation = eta * Math.sqrt(variance);
        // formula (12): the predicted x0 plus the direction pointing to x_t
        double[] prev = Vectors.combine(Math.sqrt(alphaProdPrev), x0,
                Math.sqrt(1 - alphaProdPrev - deviation * deviation), epsilon);
        if (eta > 0) {
            prev = Vectors.combine(1, prev, deviation, noise.gaussian(sample.length));
        }
        return prev;
    }
}
