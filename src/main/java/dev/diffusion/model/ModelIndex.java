package dev.diffusion.model;

/**
 * A model folder's {@code model_index.json}: the sizes the pipeline needs and the model's generation defaults.
 * {@code sampleSize} is the default image side in pixels; latents are {@code sampleSize / vaeScaleFactor} wide.
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
        String defaultScheduler) {

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
    }

    private static void requirePositive(String key, int value) {
        if (value <= 0) {
            throw new IllegalArgumentException("model_index.json " + key + " must be positive, not " + value);
        }
    }
}
