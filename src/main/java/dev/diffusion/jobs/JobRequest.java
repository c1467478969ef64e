package dev.diffusion.jobs;

import dev.diffusion.pipeline.GenerationRequest;

/** What a job runs: the model by name and the generation with every default resolved (seed included). */
public record JobRequest(String model, GenerationRequest generation) {
}
