package dev.diffusion.shapes;

import dev.diffusion.model.ModelIndex;
import dev.diffusion.pipeline.GenerationRequest;

/** The sampler settings of one measured configuration. */
record SamplingSettings(String scheduler, int steps, double guidanceScale) {

    /** What a request that sets nothing gets: the model's own defaults from model_index.json. */
    static SamplingSettings defaults(ModelIndex index) {
        return new SamplingSettings(index.defaultScheduler(), index.defaultSteps(), index.defaultGuidanceScale());
    }

    /** One image of the model's native size for {@code prompt}, no negative prompt. */
    GenerationRequest request(ModelIndex index, String prompt, long seed) {
        return GenerationRequest.txt2img(prompt, "", index.sampleSize(), index.sampleSize(), steps, guidanceScale,
                scheduler, seed, 1);
    }

    @Override
    public String toString() {
        return scheduler + ", " + steps + " steps, guidance " + guidanceScale;
    }
}
