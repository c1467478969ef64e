package dev.diffusion.model;

import java.util.Arrays;

/**
 * An input the UNet takes after {@code (sample, timestep, context)}: model_index.json's {@code unet_extra_inputs}
 * lists them in the order the exported UNet takes them, each a {@code [rows, n]} float32 array with one row per
 * latent row, as diffusers' {@code added_cond_kwargs} (SDXL) and {@code timestep_cond} (LCM).
 */
public enum UnetExtraInput {
    /** The pooled, projected output of the last text encoder (the negative prompt's on unconditional rows). */
    TEXT_EMBEDS("text_embeds"),
    /** Size and crop conditioning, made as model_index.json's {@code time_ids} lists it ({@link TimeIdPart}). */
    TIME_IDS("time_ids"),
    /**
     * The guidance-scale embedding of a guidance-distilled UNet (LCM), {@code time_cond_proj_dim} wide: diffusers'
     * {@code timestep_cond}. Such a model makes no unconditional pass.
     */
    TIMESTEP_COND("timestep_cond");

    private final String key;

    UnetExtraInput(String key) {
        this.key = key;
    }

    public String key() {
        return key;
    }

    public static UnetExtraInput fromKey(String key) {
        return Arrays.stream(values()).filter(v -> v.key.equals(key)).findFirst().orElseThrow(() ->
                new IllegalArgumentException("model_index.json unet_extra_inputs may name "
                        + Arrays.stream(values()).map(UnetExtraInput::key).toList() + ", not " + key));
    }
}
