package dev.diffusion.jobs;

/** Why a job failed, in problem-detail terms: a short title and the specific reason. */
public record JobError(String title, String detail) {
}
