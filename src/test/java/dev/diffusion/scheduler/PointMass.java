package dev.diffusion.scheduler;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.within;

import java.util.Random;

/**
 * A stand-in denoiser for data that is one point x0: for it the probability-flow ODE has the closed-form path
 * x(sigma) = alpha·x0 + sigma_t·epsilon, and every exponential-integrator step of any order lands on that path
 * exactly, because the data prediction never changes. A sampler that follows it has its noise levels, step
 * coefficients and bookkeeping right.
 */
record PointMass(double[] x0, double[] epsilon) {

    static PointMass random(int size, long seed) {
        Random random = new Random(seed);
        double[] x0 = new double[size];
        double[] epsilon = new double[size];
        for (int i = 0; i < size; i++) {
            x0[i] = random.nextGaussian();
            epsilon[i] = random.nextGaussian();
        }
        return new PointMass(x0, epsilon);
    }

    static double alpha(double sigma) {
        return 1 / Math.sqrt(sigma * sigma + 1);
    }

    /** The path's latents at noise-to-signal ratio {@code sigma}. */
    double[] latentsAt(double sigma) {
        return Vectors.combine(alpha(sigma), x0, sigma * alpha(sigma), epsilon);
    }

    /** What a perfect model of this data outputs for {@code sample} at noise level {@code sigma}. */
    double[] output(String predictionType, double[] sample, double sigma) {
        double alpha = alpha(sigma);
        double sigmaT = sigma * alpha;
        return switch (predictionType) {
            case "epsilon" -> Vectors.combine(1 / sigmaT, sample, -alpha / sigmaT, x0);
            case "v_prediction" -> Vectors.combine(alpha, Vectors.combine(1 / sigmaT, sample, -alpha / sigmaT, x0),
                    -sigmaT, x0);
            case "sample" -> x0.clone();
            default -> throw new IllegalArgumentException(predictionType);
        };
    }

    /**
     * Runs {@code scheduler} over its timesteps from index {@code begin} (img2img when above 0), starting on the
     * path, and checks that every step lands on it.
     */
    void assertFollowedBy(Scheduler scheduler, String predictionType, int begin) {
        double[] timesteps = scheduler.timesteps();
        double[] sigmas = scheduler.sigmas();
        double[] latents = latentsAt(sigmas[begin]);
        for (int i = begin; i < timesteps.length; i++) {
            double[] output = output(predictionType, scheduler.scaleModelInput(latents, timesteps[i]), sigmas[i]);
            latents = scheduler.step(output, timesteps[i], latents, NoiseSource.NONE);
            assertClose(latents, latentsAt(sigmas[i + 1]), "step " + i);
        }
    }

    static void assertClose(double[] actual, double[] expected, String what) {
        assertThat(actual).as(what).hasSameSizeAs(expected);
        for (int i = 0; i < actual.length; i++) {
            assertThat(actual[i]).as(what + " [" + i + "]").isCloseTo(expected[i], within(1e-9));
        }
    }
}
