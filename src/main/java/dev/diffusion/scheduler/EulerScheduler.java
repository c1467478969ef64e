package dev.diffusion.scheduler;

/**
 * Karras et al. 2022, Algorithm 2 with no churn (s_churn = 0): Euler steps of the probability-flow ODE
 * dx/dσ = (x − x0)/σ, as diffusers' {@code EulerDiscreteScheduler}.
 */
public final class EulerScheduler extends SigmaScheduler {

    private final Double sigmaMin;
    private final Double sigmaMax;
    private final boolean finalSigmaIsMin;
    /** {@code timestep_type} continuous (with v-prediction): the model is given 0.25·ln σ instead of a timestep. */
    private final boolean continuousTimesteps;

    public EulerScheduler(SchedulerConfig config) {
        super(config, zeroSnrAwareSchedule(config), SigmaSpacing.from(config), PredictionType.from(config,
                "EulerDiscreteScheduler", PredictionType.EPSILON, PredictionType.SAMPLE, PredictionType.V_PREDICTION));
        String interpolation = config.string("interpolation_type", "linear");
        if (!interpolation.equals("linear")) {
            throw new IllegalArgumentException("unsupported interpolation_type '" + interpolation + "' (linear)");
        }
        this.sigmaMin = config.optionalNumber("sigma_min");
        this.sigmaMax = config.optionalNumber("sigma_max");
        String finalSigmas = config.string("final_sigmas_type", "zero");
        this.finalSigmaIsMin = switch (finalSigmas) {
            case "zero" -> false;
            case "sigma_min" -> true;
            default -> throw new IllegalArgumentException(
                    "unsupported final_sigmas_type '" + finalSigmas + "' (zero or sigma_min)");
        };
        String timestepType = config.string("timestep_type", "discrete");
        this.continuousTimesteps = switch (timestepType) {
            case "discrete" -> false;
            case "continuous" -> prediction == PredictionType.V_PREDICTION;
            default -> throw new IllegalArgumentException(
                    "unsupported timestep_type '" + timestepType + "' (discrete or continuous)");
        };
    }

    @Override
    public void setTimesteps(int numInferenceSteps) {
        super.setTimesteps(numInferenceSteps);
        if (continuousTimesteps) {
            for (int i = 0; i < timesteps.length; i++) {
                timesteps[i] = (float) (0.25 * Math.log(sigmas[i]));
            }
        }
    }

    @Override
    protected double lowestSigma(double ofSchedule) {
        return sigmaMin != null ? sigmaMin : ofSchedule;
    }

    @Override
    protected double highestSigma(double ofSchedule) {
        return sigmaMax != null ? sigmaMax : ofSchedule;
    }

    @Override
    protected double finalSigma() {
        return finalSigmaIsMin ? trainSigma(0) : 0;
    }

    @Override
    public double[] step(double[] modelOutput, double timestep, double[] sample, NoiseSource noise) {
        int index = stepIndex(timestep);
        double sigma = sigmas[index];
        double[] x0 = prediction.originalSampleAtSigma(modelOutput, sample, sigma);
        double[] prev = Vectors.combine(1, sample, sigmas[index + 1] - sigma, derivative(sample, x0, sigma));
        advance();
        return prev;
    }
}
