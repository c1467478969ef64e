package dev.diffusion.jobs;

import java.time.Instant;
import java.util.List;

/**
 * A snapshot of a job: immutable, so readers never see a half-updated one. The store replaces it as the job moves
 * on; {@code step}/{@code totalSteps} are the progress of the running job.
 *
 * @param owner an opaque, non-reversible id of the client's API key, or null when API keys are off; only the same
 *              owner may see or cancel the job
 */
public record Job(
        String id,
        JobStatus status,
        GenerationSpec spec,
        String owner,
        Instant createdAt,
        Instant startedAt,
        Instant finishedAt,
        int step,
        int totalSteps,
        List<JobImage> images,
        JobError error) {

    public Job {
        images = List.copyOf(images);
    }

    static Job queued(String id, GenerationSpec spec, String owner, Instant now) {
        return new Job(id, JobStatus.QUEUED, spec, owner, now, null, null, 0, spec.steps(), List.of(), null);
    }

    /** Running from its first step; a job taken over from a lost worker keeps its start, and so its deadline. */
    Job started(Instant now) {
        return new Job(id, JobStatus.RUNNING, spec, owner, createdAt, startedAt != null ? startedAt : now, null, 0,
                totalSteps, images, null);
    }

    Job progressed(int newStep, int newTotal) {
        return new Job(id, status, spec, owner, createdAt, startedAt, null, newStep, newTotal, images, null);
    }

    Job succeeded(List<JobImage> result, Instant now) {
        return ended(JobStatus.SUCCEEDED, totalSteps, result, null, now);
    }

    Job failed(JobError reason, Instant now) {
        return ended(JobStatus.FAILED, step, List.of(), reason, now);
    }

    Job cancelled(Instant now) {
        return ended(JobStatus.CANCELLED, step, List.of(), null, now);
    }

    /** This snapshot without the init image file and the images' bytes (their index and seed stay). */
    Job withoutFiles() {
        List<JobImage> refs = images.stream()
                .map(image -> new JobImage(image.index(), image.seed(), image.mediaType(), null)).toList();
        return new Job(id, status, spec.withoutInitImageFile(), owner, createdAt, startedAt, finishedAt, step,
                totalSteps, refs, error);
    }

    /** An ending keeps what the job made and why, not the init image it no longer needs. */
    private Job ended(JobStatus ending, int lastStep, List<JobImage> result, JobError reason, Instant now) {
        return new Job(id, ending, spec.withoutInitImageFile(), owner, createdAt, startedAt, now, lastStep, totalSteps,
                result, reason);
    }
}
