package dev.diffusion.model;

import java.util.List;

/**
 * A model folder's {@code model_index.json}: the sizes the pipeline needs and the model's generation defaults.
 * {@code sampleSize} is the default image side in pixels; latents are {@code sampleSize / vaeScaleFactor} wide.
 *
 * @param unetExtraInputs the UNet's inputs after (sample, timestep, context), in order, each {@code [B, n]}; none
 *                        for Stable Diffusion 1.x. {@value #TIMESTEP_COND} is the guidance-scale embedding of a
 *                        guidance-distilled model (LCM), {@code timeCondProjDim} wide (diffusers' UNet config key)
 */
public record ModelIndex(
        String format,
        int sampleSize,
        int vaeScaleFactor,
        int latentChannels,
        double scalingFactor,
        int maxTextLength,
        long padTokenId,
        int defaultSteps,
        double defaultGuidanceScale,
        String defaultScheduler,
        List<String> unetExtraInputs,
        int timeCondProjDim) {

    /** The UNet input of diffusers' {@code timestep_cond}: the embedding of the guidance scale w − 1. */
    public static final String TIMESTEP_COND = "timestep_cond";

    public ModelIndex {
        if (!"torchscript".equals(format)) {
            throw new IllegalArgumentException("model_index.json format must be \"torchscript\", not " + format);
        }
        requirePositive("sample_size", sampleSize);
        requirePositive("vae_scale_factor", vaeScaleFactor);
        requirePositive("latent_channels", latentChannels);
        requirePositive("max_text_length", maxTextLength);
        requirePositive("default_steps", defaultSteps);
        if (!(scalingFactor > 0)) {
            throw new IllegalArgumentException("model_index.json scaling_factor must be positive");
        }
        if (sampleSize % vaeScaleFactor != 0) {
            throw new IllegalArgumentException("sample_size must be a multiple of vae_scale_factor");
        }
        unetExtraInputs = List.copyOf(unetExtraInputs);
        for (String input : unetExtraInputs) {
            if (!TIMESTEP_COND.equals(input)) {
                throw new IllegalArgumentException("model_index.json unet_extra_inputs has '" + input
                        + "', which this service does not supply (" + TIMESTEP_COND + ")");
            }
        }
        if (unetExtraInputs.contains(TIMESTEP_COND)) {
            requirePositive("time_cond_proj_dim", timeCondProjDim);
        }
    }

    /**
     * Whether the UNet takes the guidance scale as an embedding (a guidance-distilled model): then, as in diffusers'
     * pipelines for a UNet with {@code time_cond_proj_dim}, there is no unconditional pass.
     */
    public boolean takesGuidanceEmbedding() {
        return unetExtraInputs.contains(TIMESTEP_COND);
    }

    private static void requirePositive(String key, int value) {
        if (value <= 0) {
            throw new IllegalArgumentException("model_index.json " + key + " must be positive, not " + value);
        }
    }
}
