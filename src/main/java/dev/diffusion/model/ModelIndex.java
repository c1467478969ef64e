package dev.diffusion.model;

import java.util.List;

/**
 * A model folder's {@code model_index.json}: the sizes the pipeline needs, the model's generation defaults, and how
 * its text and UNet inputs are made. {@code sampleSize} is the default image side in pixels; latents are
 * {@code sampleSize / vaeScaleFactor} wide. The keys after {@code defaultScheduler} are optional in the file, with
 * defaults that mean what folders written before them did.
 *
 * @param padTokenId2               the second tokenizer's pad id (SDXL's pads with {@code !}, id 0)
 * @param textCleaning              how the tokenizers clean a prompt
 * @param forceZerosForEmptyPrompt  an empty negative prompt gives zero embeddings, not the encoded "" (SDXL)
 * @param unetExtraInputs           what the UNet takes after (sample, timestep, context), in order
 * @param timeIds                   the parts of the {@code time_ids} input, in order
 * @param timeCondProjDim           the width of the {@code timestep_cond} input (diffusers' UNet config key)
 * @param unetInChannels            the UNet's input channels: {@code latentChannels}, or for an inpainting UNet
 *                                  (diffusers' StableDiffusionInpaintPipeline) {@code 2 × latentChannels + 1}, the
 *                                  latents, the mask and the masked image's latents
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
        long padTokenId2,
        TextCleaning textCleaning,
        boolean forceZerosForEmptyPrompt,
        List<UnetExtraInput> unetExtraInputs,
        List<TimeIdPart> timeIds,
        int timeCondProjDim,
        int unetInChannels) {

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
        timeIds = List.copyOf(timeIds);
        if (unetExtraInputs.stream().distinct().count() != unetExtraInputs.size()) {
            throw new IllegalArgumentException("model_index.json unet_extra_inputs names an input twice");
        }
        if (unetExtraInputs.contains(UnetExtraInput.TIME_IDS) && timeIds.isEmpty()) {
            throw new IllegalArgumentException("model_index.json needs time_ids, the parts of the UNet's time_ids");
        }
        if (unetExtraInputs.contains(UnetExtraInput.TIMESTEP_COND)) {
            requirePositive("time_cond_proj_dim", timeCondProjDim);
        }
        if (unetInChannels != latentChannels && unetInChannels != 2 * latentChannels + 1) {
            throw new IllegalArgumentException("model_index.json unet_in_channels must be latent_channels ("
                    + latentChannels + ") or, for an inpainting UNet, " + (2 * latentChannels + 1) + ", not "
                    + unetInChannels);
        }
    }

    /**
     * Whether the UNet is an inpainting UNet, which takes the mask and the masked image's latents beside the latents
     * (runwayml/stable-diffusion-inpainting and its kind).
     */
    public boolean inpaintingUnet() {
        return unetInChannels != latentChannels;
    }

    /**
     * Whether the UNet takes the guidance scale as an embedding (a guidance-distilled model): then, as in diffusers'
     * pipelines for a UNet with {@code time_cond_proj_dim}, there is no unconditional pass.
     */
    public boolean takesGuidanceEmbedding() {
        return unetExtraInputs.contains(UnetExtraInput.TIMESTEP_COND);
    }

    private static void requirePositive(String key, int value) {
        if (value <= 0) {
            throw new IllegalArgumentException("model_index.json " + key + " must be positive, not " + value);
        }
    }
}
