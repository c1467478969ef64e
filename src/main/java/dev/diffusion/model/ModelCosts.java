package dev.diffusion.model;

/**
 * What a model's calls cost on one device: native memory at the peak of a call (bytes) and its time (seconds), of
 * one UNet call by its rows and latent area, and of one VAE decoder call by its images and latent area.
 */
public record ModelCosts(CallCost unetBytes, CallCost unetSeconds, CallCost vaeBytes, CallCost vaeSeconds) {
}
