package dev.diffusion.scheduler;

/**
 * Euler ancestral sampling (k-diffusion's {@code sample_euler_ancestral}), as diffusers'
 * {@code EulerAncestralDiscreteScheduler}: an Euler step down to σ_down, then fresh noise of scale σ_up, where
 * σ_down² + σ_up² = σ_next². Draws noise at every step.
 */
public final class EulerAncestralScheduler extends SigmaScheduler {

    public EulerAncestralScheduler(SchedulerConfig config) {
        super(config, zeroSnrAwareSchedule(config), SigmaSpacing.TIMESTEPS, PredictionType.from(config,
                "EulerAncestralDiscreteScheduler", PredictionType.EPSILON, PredictionType.V_PREDICTION));
    }

    @Override
    public double[] step(double[] modelOutput, double timestep, double[] sample, NoiseSource noise) {
        int index = stepIndex(timestep);
        double sigma = sigmas[index];
        double sigmaNext = sigmas[index + 1];
        double[] x0 = prediction.originalSampleAtSigma(modelOutput, sample, sigma);
        double sigmaUp = Math.sqrt(sigmaNext * sigmaNext * (sigma * sigma - sigmaNext * sigmaNext) / (sigma * sigma));
        double sigmaDown = Math.sqrt(sigmaNext * sigmaNext - sigmaUp * sigmaUp);
        double[] prev = Vectors.combine(1, sample, sigmaDown - sigma, derivative(sample, x0, sigma));
        prev = Vectors.combine(1, prev, sigmaUp, noise.gaussian(sample.length));
        advance();
        return prev;
    }
}
