package dev.diffusion.catalog;

/**
 * What the API needs to know of a served model to validate a request, fill in its defaults and estimate its cost.
 *
 * @param sizeMultiple       width and height must be multiples of this (8 latent positions)
 * @param guidanceEmbedding  the UNet takes the guidance scale as an input (LCM): one row per image, guided or not
 */
public record ModelInfo(
        String name,
        int sampleSize,
        int sizeMultiple,
        int vaeScaleFactor,
        int defaultSteps,
        double defaultGuidanceScale,
        String defaultScheduler,
        boolean imageToImage,
        boolean guidanceEmbedding) {
}
