package dev.diffusion.scheduler;

import java.util.ArrayDeque;
import java.util.Deque;
import java.util.Iterator;

/**
 * Linear multistep sampling of order 4 (k-diffusion's {@code sample_lms}), as diffusers'
 * {@code LMSDiscreteScheduler}: each step integrates the Lagrange polynomial through the last derivatives over
 * [σ, σ_next].
 */
public final class LmsScheduler extends SigmaScheduler {

    private static final int ORDER = 4;
    /** Three-point Gauss–Legendre nodes and weights on [−1, 1]: exact for polynomials up to degree 5. */
    private static final double[] GAUSS_NODES = {-Math.sqrt(0.6), 0, Math.sqrt(0.6)};
    private static final double[] GAUSS_WEIGHTS = {5.0 / 9, 8.0 / 9, 5.0 / 9};

    /** The latest derivatives, newest last. */
    private final Deque<double[]> derivatives = new ArrayDeque<>();

    public LmsScheduler(SchedulerConfig config) {
        super(config, NoiseSchedule.from(config, false), SigmaSpacing.from(config), PredictionType.from(config,
                "LMSDiscreteScheduler", PredictionType.EPSILON, PredictionType.SAMPLE, PredictionType.V_PREDICTION));
    }

    @Override
    public void setTimesteps(int numInferenceSteps) {
        super.setTimesteps(numInferenceSteps);
        derivatives.clear();
    }

    @Override
    public double[] step(double[] modelOutput, double timestep, double[] sample, NoiseSource noise) {
        int index = stepIndex(timestep);
        double sigma = sigmas[index];
        double[] x0 = prediction.originalSampleAtSigma(modelOutput, sample, sigma);
        derivatives.addLast(derivative(sample, x0, sigma));
        if (derivatives.size() > ORDER) {
            derivatives.removeFirst();
        }
        // the order follows the step index, not the derivatives at hand: after img2img's setBeginIndex the first
        // steps pair high-order coefficients with fewer derivatives, and (like zip) stop at the shorter list
        int order = Math.min(index + 1, ORDER);
        double[] prev = sample;
        Iterator<double[]> newestFirst = derivatives.descendingIterator();
        for (int j = 0; j < order && newestFirst.hasNext(); j++) {
            prev = Vectors.combine(1, prev, coefficient(order, index, j), newestFirst.next());
        }
        advance();
        return prev;
    }

    /**
     * ∫ from σ_index to σ_index+1 of the Lagrange basis polynomial through σ_index, σ_index−1, … that is 1 at
     * σ_index−j. diffusers integrates it with scipy's quad; its degree is below 4, so Gauss–Legendre is exact.
     */
    private double coefficient(int order, int index, int j) {
        double from = sigmas[index];
        double to = sigmas[index + 1];
        double half = (to - from) / 2;
        double integral = 0;
        for (int g = 0; g < GAUSS_NODES.length; g++) {
            double tau = from + half * (GAUSS_NODES[g] + 1);
            double basis = 1;
            for (int k = 0; k < order; k++) {
                if (k != j) {
                    basis *= (tau - sigmas[index - k]) / (sigmas[index - j] - sigmas[index - k]);
                }
            }
            integral += GAUSS_WEIGHTS[g] * basis;
        }
        return integral * half;
    }
}
