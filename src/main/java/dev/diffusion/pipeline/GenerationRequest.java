package dev.diffusion.pipeline;

import java.util.Objects;

/**
 * One generation with every setting resolved (the service fills in the model's defaults before it gets here).
 * Image {@code i} of the request uses seed {@code seed + i}.
 *
 * @param initImage img2img's starting picture as packed RGB bytes of {@code width × height}, or null for txt2img
 * @param strength    img2img only: how far into the noise schedule the run starts (1 = from pure noise)
 * @param mask        inpainting: what to repaint, one byte per pixel of {@code width × height} (0 keep .. 255
 *                    repaint; binarised at 128 as diffusers does), or null for the whole picture
 * @param maskedStart inpainting: what the latents inside the mask start from
 */
public record GenerationRequest(
        String prompt,
        String negativePrompt,
        int width,
        int height,
        int steps,
        double guidanceScale,
        double guidanceRescale,
        String scheduler,
        long seed,
        int numImages,
        double eta,
        byte[] initImage,
        double strength,
        byte[] mask,
        MaskedStart maskedStart) {

    public GenerationRequest {
        Objects.requireNonNull(prompt, "prompt");
        Objects.requireNonNull(scheduler, "scheduler");
        negativePrompt = negativePrompt == null ? "" : negativePrompt;
        if (width <= 0 || height <= 0 || steps <= 0 || numImages <= 0) {
            throw new IllegalArgumentException("width, height, steps and numImages must be positive");
        }
        if (initImage != null && initImage.length != width * height * 3) {
            throw new IllegalArgumentException("initImage must hold width × height RGB pixels");
        }
        if (mask != null && (initImage == null || mask.length != width * height)) {
            throw new IllegalArgumentException("mask must hold width × height bytes and comes with an init image");
        }
        maskedStart = maskedStart == null ? MaskedStart.IMAGE : maskedStart;
    }

    /** Text-to-image ({@code initImage} null) or img2img of the whole picture. */
    public GenerationRequest(String prompt, String negativePrompt, int width, int height, int steps,
            double guidanceScale, double guidanceRescale, String scheduler, long seed, int numImages, double eta,
            byte[] initImage, double strength) {
        this(prompt, negativePrompt, width, height, steps, guidanceScale, guidanceRescale, scheduler, seed, numImages,
                eta, initImage, strength, null, MaskedStart.IMAGE);
    }

    /** A text-to-image request. */
    public static GenerationRequest txt2img(String prompt, String negativePrompt, int width, int height, int steps,
            double guidanceScale, String scheduler, long seed, int numImages) {
        return new GenerationRequest(prompt, negativePrompt, width, height, steps, guidanceScale, 0, scheduler, seed,
                numImages, 0, null, 1);
    }

    /** Classifier-free guidance needs the unconditional pass only when it changes the result. */
    public boolean guided() {
        return guidanceScale > 1;
    }

    public boolean imageToImage() {
        return initImage != null;
    }

    public boolean inpainting() {
        return mask != null;
    }
}
