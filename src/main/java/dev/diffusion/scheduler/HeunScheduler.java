package dev.diffusion.scheduler;

/**
 * Karras et al. 2022, Algorithm 1 (Heun's second-order method) with no churn, as diffusers'
 * {@code HeunDiscreteScheduler}: every interval takes two model calls, an Euler step to σ_next and a correction
 * with the mean of both derivatives, so every timestep but the first appears twice and {@link #order()} is 2.
 */
public final class HeunScheduler extends SigmaScheduler {

    private final SampleClipping clipping;

    /** Between the two calls of an interval: its first derivative, its dσ and the sample it started from. */
    private double[] firstDerivative;
    private double dt;
    private double[] intervalStart;

    public HeunScheduler(SchedulerConfig config) {
        // Heun's own defaults for the beta bounds are Stable Diffusion's, unlike the other classes'
        super(config, NoiseSchedule.from(config, false, 0.00085, 0.012), SigmaSpacing.from(config),
                PredictionType.from(config, "HeunDiscreteScheduler",
                        PredictionType.EPSILON, PredictionType.SAMPLE, PredictionType.V_PREDICTION));
        this.clipping = SampleClipping.clipOnly(config, false);
    }

    @Override
    public int order() {
        return 2;
    }

    /** The levels σ0, σ1, σ1, σ2, σ2, …, 0 and the timesteps t0, t1, t1, t2, t2, …: one entry per model call. */
    @Override
    public void setTimesteps(int numInferenceSteps) {
        super.setTimesteps(numInferenceSteps);
        double[] once = sigmas;
        sigmas = new double[2 * (once.length - 1)];
        sigmas[0] = once[0];
        for (int i = 1; i < once.length - 1; i++) {
            sigmas[2 * i - 1] = once[i];
            sigmas[2 * i] = once[i];
        }
        sigmas[sigmas.length - 1] = once[once.length - 1];
        double[] steps = timesteps;
        timesteps = new double[2 * steps.length - 1];
        timesteps[0] = steps[0];
        for (int i = 1; i < steps.length; i++) {
            timesteps[2 * i - 1] = steps[i];
            timesteps[2 * i] = steps[i];
        }
        firstDerivative = null;
        intervalStart = null;
    }

    @Override
    public double[] step(double[] modelOutput, double timestep, double[] sample, NoiseSource noise) {
        int index = stepIndex(timestep);
        boolean firstCall = firstDerivative == null;
        // the first call is at the interval's start, the second at its end
        double sigma = firstCall ? sigmas[index] : sigmas[index - 1];
        double sigmaNext = firstCall ? sigmas[index + 1] : sigmas[index];
        double evaluatedAt = firstCall ? sigma : sigmaNext;
        double[] x0 = clipping.apply(prediction.originalSampleAtSigma(modelOutput, sample, evaluatedAt));
        double[] prev;
        if (firstCall) {
            firstDerivative = derivative(sample, x0, sigma);
            dt = sigmaNext - sigma;
            intervalStart = sample;
            prev = Vectors.combine(1, sample, dt, firstDerivative);
        } else {
            double[] meanDerivative = Vectors.combine(0.5, firstDerivative, 0.5, derivative(sample, x0, sigmaNext));
            prev = Vectors.combine(1, intervalStart, dt, meanDerivative);
            firstDerivative = null;
            intervalStart = null;
        }
        advance();
        return prev;
    }
}
