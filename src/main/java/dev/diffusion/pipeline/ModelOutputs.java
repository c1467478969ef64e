package dev.diffusion.pipeline;

/** Checks on what the networks return, so a numerical failure is reported where it starts. */
final class ModelOutputs {

    private ModelOutputs() {
    }

    static float[] requireFinite(float[] output, String part) {
        for (float v : output) {
            if (!Float.isFinite(v)) {
                throw new GenerationException("the " + part + " produced NaN or infinite values");
            }
        }
        return output;
    }
}
