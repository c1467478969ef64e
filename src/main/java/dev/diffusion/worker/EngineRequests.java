package dev.diffusion.worker;

import dev.diffusion.image.ImageDecoder;
import dev.diffusion.jobs.GenerationSpec;
import dev.diffusion.pipeline.GenerationRequest;

/** Turns a job's spec into the engine's request: the one place where the job format meets the engine's. */
final class EngineRequests {

    private final long maxInitImagePixels;

    /** @param maxInitImagePixels the largest init image, by its header, that is decoded at all */
    EngineRequests(long maxInitImagePixels) {
        this.maxInitImagePixels = maxInitImagePixels;
    }

    /**
     * @throws IllegalArgumentException when the spec cannot be run: its init image is gone or unreadable
     */
    GenerationRequest of(GenerationSpec spec) {
        byte[] initImage = null;
        double strength = 1;
        if (spec.imageToImage()) {
            if (spec.initImage().file() == null) {
                throw new IllegalArgumentException("the job's init image is no longer held");
            }
            try {
                initImage = ImageDecoder.decodeRgb(spec.initImage().file(), spec.width(), spec.height(),
                        maxInitImagePixels);
            } catch (ImageDecoder.InvalidImageException e) {
                throw new IllegalArgumentException("init_image: " + e.getMessage(), e);
            }
            strength = spec.initImage().strength();
        }
        return new GenerationRequest(spec.prompt(), spec.negativePrompt(), spec.width(), spec.height(), spec.steps(),
                spec.guidanceScale(), spec.guidanceRescale(), spec.scheduler(), spec.seed(), spec.numImages(),
                spec.eta(), initImage, strength);
    }
}
