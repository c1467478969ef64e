package dev.diffusion.jobs;

import java.time.Instant;
import java.util.List;

/**
 * A snapshot of a job: immutable, so readers never see a half-updated one. The store replaces it as the job moves
 * on; {@code step}/{@code totalSteps} are the progress of the running job.
 */
public record Job(
        String id,
        JobStatus status,
        JobRequest request,
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

    static Job queued(String id, JobRequest request, Instant now) {
        return new Job(id, JobStatus.QUEUED, request, now, null, null, 0, request.generation().steps(), List.of(),
                null);
    }

    Job started(Instant now) {
        return new Job(id, JobStatus.RUNNING, request, createdAt, now, null, 0, totalSteps, images, null);
    }

    Job progressed(int newStep, int newTotal) {
        return new Job(id, status, request, createdAt, startedAt, null, newStep, newTotal, images, null);
    }

    Job succeeded(List<JobImage> result, Instant now) {
        return new Job(id, JobStatus.SUCCEEDED, request, createdAt, startedAt, now, totalSteps, totalSteps, result,
                null);
    }

    Job failed(JobError reason, Instant now) {
        return new Job(id, JobStatus.FAILED, request, createdAt, startedAt, now, step, totalSteps, List.of(), reason);
    }

    Job cancelled(Instant now) {
        return new Job(id, JobStatus.CANCELLED, request, createdAt, startedAt, now, step, totalSteps, List.of(),
                null);
    }
}
