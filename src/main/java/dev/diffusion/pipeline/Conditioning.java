package dev.diffusion.pipeline;

import java.util.List;

/**
 * What the UNet takes for one image besides its latents and timestep, row by row: the text context
 * ({@code tokens × hiddenSize} floats) and the model's extra inputs (model_index.json's {@code unet_extra_inputs},
 * in order), for the prompt and, when guidance needs the unconditional pass, for the negative prompt (else null).
 * Shared by the images of one job; read-only.
 */
record Conditioning(Row conditional, Row unconditional, int tokens, int hiddenSize) {

    /** One UNet row's inputs after the latents and timestep. */
    record Row(float[] context, List<float[]> extras) {

        Row {
            extras = List.copyOf(extras);
        }
    }

    boolean guided() {
        return unconditional != null;
    }

    /** How many extra inputs each row has. */
    int extraCount() {
        return conditional.extras().size();
    }
}
