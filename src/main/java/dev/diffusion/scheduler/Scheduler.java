package dev.diffusion.scheduler;

/**
 * A diffusion sampler shaped like diffusers' schedulers. One instance holds the state of one image's sampling run,
 * so it is never shared between jobs. Latents are flat row-major {@code double[]} arrays on the host: they are small
 * (4×16×16 to 4×128×128), and host arithmetic keeps every scheduler exact and independent of any tensor engine.
 */
public interface Scheduler {

    /** Prepares the timesteps (and sigmas) for a run of {@code numInferenceSteps} steps. */
    void setTimesteps(int numInferenceSteps);

    /** The timesteps the loop visits, in order; for second-order samplers some appear twice. */
    double[] timesteps();

    /**
     * The noise levels of sigma-based samplers, one per timestep and then the final one (length steps + 1, Heun's
     * 2·steps); empty for the others.
     */
    default double[] sigmas() {
        return new double[0];
    }

    /** How much the unit-normal starting noise is scaled by. */
    double initNoiseSigma();

    /** How many timesteps one denoising step takes (2 for Heun); img2img starts at {@code tStart * order()}. */
    default int order() {
        return 1;
    }

    /** The model input for {@code sample} at {@code timestep} (identity except for sigma-based samplers). */
    default double[] scaleModelInput(double[] sample, double timestep) {
        return sample;
    }

    /** One sampling step: the latents after {@code timestep}, given the model's output at it. */
    double[] step(double[] modelOutput, double timestep, double[] sample, NoiseSource noise);

    /** img2img starts the run part-way; sigma-based samplers need the index of the first timestep to be run. */
    default void setBeginIndex(int beginIndex) {
    }

    /** {@code original} noised to the level of {@code timestep} (img2img's starting latents). */
    double[] addNoise(double[] original, double[] noise, double timestep);
}
