package dev.diffusion.catalog;

/** What the API needs to know of a served model to validate a request and fill in its defaults. */
public record ModelInfo(
        String name,
        int sampleSize,
        int sizeMultiple,
        int defaultSteps,
        double defaultGuidanceScale,
        String defaultScheduler,
        boolean imageToImage) {
}
