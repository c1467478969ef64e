package dev.diffusion.pipeline;

import dev.diffusion.scheduler.Scheduler;

/**
 * One image's inpainting state, as diffusers' {@code StableDiffusionInpaintPipeline} holds it: the latent mask (the
 * pixel mask binarised and downsampled to latent size), and for an ordinary UNet the known latents and the noise
 * they are re-noised with after each step, for an inpainting UNet the masked image's latents that it takes beside
 * the latents and the mask. Read-only.
 */
final class LatentInpainting {

    /** {@code [h, w]}: 1 where the image is repainted, 0 where it is kept. */
    private final float[] mask;
    /** Ordinary UNet: the init image's scaled latents and the starting noise; else null. */
    private final double[] knownLatents;
    private final double[] noise;
    /** Inpainting UNet: the masked image's scaled latents; else null. */
    private final double[] maskedImageLatents;

    private LatentInpainting(float[] mask, double[] knownLatents, double[] noise, double[] maskedImageLatents) {
        this.mask = mask;
        this.knownLatents = knownLatents;
        this.noise = noise;
        this.maskedImageLatents = maskedImageLatents;
    }

    /** An ordinary UNet's: the known region is blended back into the latents after every step. */
    static LatentInpainting blending(float[] mask, double[] knownLatents, double[] noise) {
        return new LatentInpainting(mask, knownLatents, noise, null);
    }

    /** An inpainting UNet's: the mask and the masked image's latents are part of its input. */
    static LatentInpainting conditioning(float[] mask, double[] maskedImageLatents) {
        return new LatentInpainting(mask, null, null, maskedImageLatents);
    }

    /**
     * The UNet's input for {@code scaledLatents}: the latents themselves, or for an inpainting UNet the latents, the
     * mask and the masked image's latents on the channel axis (diffusers' {@code torch.cat(..., dim=1)}).
     */
    double[] unetInput(double[] scaledLatents) {
        if (maskedImageLatents == null) {
            return scaledLatents;
        }
        double[] input = new double[scaledLatents.length + mask.length + maskedImageLatents.length];
        System.arraycopy(scaledLatents, 0, input, 0, scaledLatents.length);
        for (int i = 0; i < mask.length; i++) {
            input[scaledLatents.length + i] = mask[i];
        }
        System.arraycopy(maskedImageLatents, 0, input, scaledLatents.length + mask.length,
                maskedImageLatents.length);
        return input;
    }

    /**
     * The latents after step {@code i} of {@code timesteps}: for an ordinary UNet, outside the mask the known
     * latents noised to the next timestep (after the last step, the known latents themselves), inside it the
     * step's; an inpainting UNet's latents as they are.
     */
    double[] afterStep(double[] latents, Scheduler scheduler, double[] timesteps, int i) {
        if (knownLatents == null) {
            return latents;
        }
        double[] known = i < timesteps.length - 1 ? scheduler.addNoise(knownLatents, noise, timesteps[i + 1])
                : knownLatents;
        int plane = mask.length;
        double[] blended = new double[latents.length];
        for (int j = 0; j < latents.length; j++) {
            double m = mask[j % plane];
            blended[j] = (1 - m) * known[j] + m * latents[j];
        }
        return blended;
    }
}
