package dev.diffusion.pipeline;

/**
 * The guidance-scale embedding that a guidance-distilled UNet (LCM) takes as {@code timestep_cond}: diffusers'
 * {@code get_guidance_scale_embedding} (after VDM), sines then cosines of 1000·w at geometrically spaced frequencies,
 * in float32 arithmetic as torch computes it. The pipelines give it w = guidance_scale − 1, since they follow
 * Imagen's guidance formula, whose w is one more than the LCM paper's.
 */
final class GuidanceEmbedding {

    private GuidanceEmbedding() {
    }

    /** The embedding of the guidance scale {@code guidanceScale}, {@code dim} wide. */
    static float[] of(double guidanceScale, int dim) {
        float w = (float) (guidanceScale - 1) * 1000f;
        int half = dim / 2;
        float exponent = (float) Math.log(10000.0) / (half - 1);
        float[] out = new float[dim]; // an odd dim ends in a zero, as diffusers pads it
        for (int i = 0; i < half; i++) {
            float argument = w * (float) Math.exp(i * -exponent);
            out[i] = (float) Math.sin(argument);
            out[half + i] = (float) Math.cos(argument);
        }
        return out;
    }
}
