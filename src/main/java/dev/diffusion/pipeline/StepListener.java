package dev.diffusion.pipeline;

/** Told after every denoising step of a job; the way progress reporting and cancellation reach the loop. */
@FunctionalInterface
public interface StepListener {

    /**
     * @return false to stop the run here (the job was cancelled); the pipeline then throws
     *         {@link GenerationCancelledException}
     */
    boolean onStep(int step, int totalSteps);

    StepListener NONE = (step, total) -> true;
}
