package dev.diffusion.pipeline;

/** Checks on what the networks return, so a numerical failure is reported where it starts. */
final class ModelOutputs {

    private ModelOutputs() {
    }

    static float[] requireFinite(float[] output, String part) {
        requireFinite(output, 0, output.length, part);
        return output;
    }

    /** Checks one image's slice {@code [from, to)} of a batched output, so a bad image fails alone. */
    static void requireFinite(float[] output, int from, int to, String part) {
        for (int i = from; i < to; i++) {
            if (!Float.isFinite(output[i])) {
                throw new GenerationException("the " + part + " produced NaN or infinite values");
            }
        }
    }
}
