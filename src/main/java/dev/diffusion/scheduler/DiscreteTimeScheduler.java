package dev.diffusion.scheduler;

/**
 * Base of the samplers that step between whole training timesteps on the cumulative-alpha schedule, with
 * variance-preserving latents (DDPM, DDIM, PNDM, and LCM and TCD, which choose their own timesteps): unit initial
 * noise and no input scaling.
 */
abstract class DiscreteTimeScheduler implements Scheduler {

    protected final NoiseSchedule schedule;
    private final TimestepSpacing spacing;
    private final int stepsOffset;
    protected int numInferenceSteps;
    protected double[] timesteps = new double[0];

    DiscreteTimeScheduler(SchedulerConfig config, NoiseSchedule schedule) {
        this.schedule = schedule;
        this.spacing = TimestepSpacing.from(config, "leading");
        this.stepsOffset = config.integer("steps_offset", 0);
    }

    @Override
    public void setTimesteps(int numInferenceSteps) {
        if (numInferenceSteps < 1 || numInferenceSteps > trainTimesteps()) {
            throw new IllegalArgumentException("the number of inference steps must be within 1.."
                    + trainTimesteps() + ", not " + numInferenceSteps);
        }
        this.numInferenceSteps = numInferenceSteps;
        this.timesteps = spacing.timesteps(trainTimesteps(), numInferenceSteps, stepsOffset, true);
    }

    @Override
    public double[] timesteps() {
        return timesteps.clone();
    }

    @Override
    public double initNoiseSigma() {
        return 1.0;
    }

    @Override
    public double[] addNoise(double[] original, double[] noise, double timestep) {
        return schedule.addNoise(original, noise, wholeTimestep(timestep));
    }

    protected int trainTimesteps() {
        return schedule.trainTimesteps();
    }

    /** ᾱ at a training timestep. */
    protected double alphaProduct(int timestep) {
        return schedule.alphasCumprod()[timestep];
    }

    /** How far apart diffusers takes consecutive timesteps to be, whatever the spacing: T // steps. */
    protected int stepRatio() {
        requireTimesteps();
        return trainTimesteps() / numInferenceSteps;
    }

    protected void requireTimesteps() {
        if (numInferenceSteps == 0) {
            throw new IllegalStateException("setTimesteps must be called before step");
        }
    }

    protected static int wholeTimestep(double timestep) {
        if (timestep != Math.rint(timestep)) {
            throw new IllegalArgumentException("this scheduler steps between whole timesteps, not " + timestep);
        }
        return (int) timestep;
    }
}
