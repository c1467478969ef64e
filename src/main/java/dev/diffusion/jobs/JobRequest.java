package dev.diffusion.jobs;

import dev.diffusion.pipeline.GenerationRequest;

/**
 * What a job runs: the model by name and the generation with every default resolved (seed included), and who asked
 * for it: {@code owner} is an opaque, non-reversible id of the client's API key, or null when API keys are off. Only
 * the same owner may see or cancel the job.
 */
public record JobRequest(String model, GenerationRequest generation, String owner) {
}
