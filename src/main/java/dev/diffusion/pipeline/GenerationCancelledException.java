package dev.diffusion.pipeline;

/** The run was stopped between steps because its job was cancelled. */
public class GenerationCancelledException extends RuntimeException {

    public GenerationCancelledException(int step, int totalSteps) {
        super("cancelled after step " + step + " of " + totalSteps);
    }
}
