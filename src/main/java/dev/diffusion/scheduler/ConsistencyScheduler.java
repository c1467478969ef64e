package dev.diffusion.scheduler;

/**
 * Base of the samplers for consistency-distilled models (diffusers' {@code LCMScheduler} and {@code TCDScheduler}):
 * they visit only timesteps the model was distilled on, the {@code original_inference_steps} training timesteps
 * k − 1, 2k − 1, …, T − 1 (k = T / original steps), of which a run of n steps takes n evenly spaced by index from
 * T − 1 down. Their defaults are Stable Diffusion's schedule; {@code timestep_spacing} and {@code steps_offset} do
 * not apply to them.
 */
abstract class ConsistencyScheduler extends DiscreteTimeScheduler {

    protected final PredictionType prediction;
    private final int originalSteps;

    ConsistencyScheduler(SchedulerConfig config, String diffusersClass) {
        super(config, NoiseSchedule.from(config, true, 0.00085, 0.012, "scaled_linear"));
        this.prediction = PredictionType.from(config, diffusersClass,
                PredictionType.EPSILON, PredictionType.SAMPLE, PredictionType.V_PREDICTION);
        this.originalSteps = config.integer("original_inference_steps", 50);
    }

    @Override
    public void setTimesteps(int numInferenceSteps) {
        int trainSteps = trainTimesteps();
        if (originalSteps < 1 || originalSteps > trainSteps) {
            throw new IllegalArgumentException("original_inference_steps must be within 1.." + trainSteps + ", not "
                    + originalSteps);
        }
        if (numInferenceSteps < 1 || numInferenceSteps > originalSteps) {
            throw new IllegalArgumentException("the number of inference steps must be within 1.." + originalSteps
                    + " (the model's original_inference_steps), not " + numInferenceSteps);
        }
        int k = trainSteps / originalSteps;
        // the distillation timesteps from the highest down, at floor(numpy.linspace(0, originalSteps, n, endpoint=False))
        double spacing = (double) originalSteps / numInferenceSteps;
        double[] selected = new double[numInferenceSteps];
        for (int i = 0; i < numInferenceSteps; i++) {
            int fromTop = (int) Math.floor(i * spacing);
            selected[i] = (double) (originalSteps - fromTop) * k - 1;
        }
        this.numInferenceSteps = numInferenceSteps;
        this.timesteps = selected;
    }

    /** Where {@code timestep} is in this run (each appears once), as diffusers' step index. */
    protected int indexOf(int timestep) {
        requireTimesteps();
        for (int i = 0; i < timesteps.length; i++) {
            if (timesteps[i] == timestep) {
                return i;
            }
        }
        throw new IllegalArgumentException("timestep " + timestep + " is not one of this run's timesteps");
    }
}
