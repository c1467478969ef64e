package dev.diffusion.scheduler;

/**
 * Base of the samplers that work on variance-exploding latents x = x0 + σ·ε at decreasing noise levels σ (the
 * k-diffusion family: Euler, Euler ancestral, LMS, Heun). Holds what diffusers' classes share: the noise levels for a
 * run (float32, ending in the final level), the input scaling 1/√(σ²+1), and the step index, which is found from the
 * first timestep of a run or set by img2img's {@link #setBeginIndex}.
 */
abstract class SigmaScheduler implements Scheduler {

    protected final PredictionType prediction;
    private final TimestepSpacing spacing;
    private final int stepsOffset;
    private final SigmaSpacing sigmaSpacing;
    /** σ per training timestep, and its logs for mapping a noise level back to a timestep. */
    private final double[] trainSigmas;
    private final double[] logTrainSigmas;

    protected double[] timesteps = new double[0];
    protected double[] sigmas = new double[0];
    private Integer stepIndex;
    private Integer beginIndex;

    SigmaScheduler(SchedulerConfig config, NoiseSchedule schedule, SigmaSpacing sigmaSpacing,
            PredictionType prediction) {
        this.prediction = prediction;
        this.spacing = TimestepSpacing.from(config, "linspace");
        this.stepsOffset = config.integer("steps_offset", 0);
        this.sigmaSpacing = sigmaSpacing;
        this.trainSigmas = schedule.sigmas();
        this.logTrainSigmas = new double[trainSigmas.length];
        for (int i = 0; i < trainSigmas.length; i++) {
            logTrainSigmas[i] = (float) Math.log(trainSigmas[i]);
        }
    }

    /** The training schedule of a class that reads {@code rescale_betas_zero_snr} (the Euler samplers). */
    static NoiseSchedule zeroSnrAwareSchedule(SchedulerConfig config) {
        NoiseSchedule schedule = NoiseSchedule.from(config, true);
        return config.bool("rescale_betas_zero_snr", false) ? schedule.withFiniteTerminalSigma() : schedule;
    }

    @Override
    public void setTimesteps(int numInferenceSteps) {
        if (numInferenceSteps < 1) {
            throw new IllegalArgumentException("the number of inference steps must be at least 1, not "
                    + numInferenceSteps);
        }
        int n = numInferenceSteps;
        double[] steps = spacing.timesteps(trainSigmas.length, n, stepsOffset, false);
        double[] levels = SigmaMath.sigmasAt(steps, trainSigmas);
        if (sigmaSpacing != SigmaSpacing.TIMESTEPS) {
            levels = sigmaSpacing.between(lowestSigma(levels[n - 1]), highestSigma(levels[0]), n);
            for (int i = 0; i < n; i++) {
                steps[i] = SigmaMath.sigmaToT(levels[i], logTrainSigmas);
            }
        }
        timesteps = new double[n];
        sigmas = new double[n + 1];
        for (int i = 0; i < n; i++) {
            timesteps[i] = (float) steps[i];
            sigmas[i] = (float) levels[i];
        }
        sigmas[n] = (float) finalSigma();
        stepIndex = null;
        beginIndex = null;
    }

    /** The lowest level of Karras or exponential spacing; Euler lets {@code sigma_min} override it. */
    protected double lowestSigma(double ofSchedule) {
        return ofSchedule;
    }

    /** The highest level of Karras or exponential spacing; Euler lets {@code sigma_max} override it. */
    protected double highestSigma(double ofSchedule) {
        return ofSchedule;
    }

    /** The noise level after the last step. */
    protected double finalSigma() {
        return 0;
    }

    /** σ at a training timestep. */
    protected double trainSigma(int timestep) {
        return trainSigmas[timestep];
    }

    @Override
    public double[] timesteps() {
        return timesteps.clone();
    }

    @Override
    public double[] sigmas() {
        return sigmas.clone();
    }

    /** The highest noise level; for {@code leading} spacing, the standard deviation of x at it, √(σ²+1). */
    @Override
    public double initNoiseSigma() {
        if (sigmas.length == 0) {
            throw new IllegalStateException("setTimesteps must be called first");
        }
        double max = 0;
        for (double sigma : sigmas) {
            max = Math.max(max, sigma);
        }
        return spacing == TimestepSpacing.LEADING ? Math.sqrt(max * max + 1) : max;
    }

    @Override
    public double[] scaleModelInput(double[] sample, double timestep) {
        double sigma = sigmas[stepIndex(timestep)];
        return Vectors.scale(1 / Math.sqrt(sigma * sigma + 1), sample);
    }

    @Override
    public void setBeginIndex(int beginIndex) {
        this.beginIndex = beginIndex;
    }

    @Override
    public double[] addNoise(double[] original, double[] noise, double timestep) {
        int index = beginIndex == null ? indexForTimestep(timestep) : stepIndex != null ? stepIndex : beginIndex;
        return Vectors.combine(1, original, sigmas[index], noise);
    }

    /** The index of the current step into {@link #sigmas}, found at the first call of a run. */
    protected int stepIndex(double timestep) {
        if (stepIndex == null) {
            stepIndex = beginIndex != null ? beginIndex : indexForTimestep(timestep);
        }
        return stepIndex;
    }

    /** Ends a step: the next call is at the next index. */
    protected void advance() {
        stepIndex++;
    }

    /** The ODE's direction dx/dσ = (x − x0)/σ. */
    protected static double[] derivative(double[] sample, double[] x0, double sigma) {
        return Vectors.combine(1 / sigma, sample, -1 / sigma, x0);
    }

    private int indexForTimestep(double timestep) {
        int index = SigmaMath.indexOfTimestep(timesteps, timestep);
        if (index < 0) {
            throw new IllegalArgumentException("timestep " + timestep + " is not one of this run's timesteps");
        }
        return index;
    }
}
