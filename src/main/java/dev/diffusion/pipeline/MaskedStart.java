package dev.diffusion.pipeline;

/**
 * What the latents inside an inpainting mask start from, before they are noised to the first timestep (so it matters
 * only below strength 1): the init image's (diffusers), unit noise or zero (AUTOMATIC1111's "latent noise" and
 * "latent nothing").
 */
public enum MaskedStart {
    IMAGE, NOISE, ZERO
}
