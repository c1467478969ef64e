package dev.diffusion.jobs;

import java.util.Locale;

/**
 * Something that happened to a job, as its server-sent event stream tells it. {@code type} is one of
 * {@code queued, started, progress, succeeded, failed, cancelled}. A progress event carries the progress only
 * ({@code job} is null) and an optional preview PNG; the others carry the job as it then stood.
 */
public record JobEvent(String type, String jobId, int step, int totalSteps, Job job, byte[] preview) {

    public static final String QUEUED = "queued";
    public static final String STARTED = "started";
    public static final String PROGRESS = "progress";

    /** A change of the job's status: queued or started. */
    public static JobEvent of(String type, Job job) {
        return new JobEvent(type, job.id(), job.step(), job.totalSteps(), job, null);
    }

    /** The running job reached {@code job.step()}; {@code preview} may be null. */
    public static JobEvent progress(Job job, byte[] preview) {
        return new JobEvent(PROGRESS, job.id(), job.step(), job.totalSteps(), null, preview);
    }

    /** The event that ends a job's stream: its final status. */
    public static JobEvent finished(Job job) {
        return of(job.status().name().toLowerCase(Locale.ROOT), job);
    }

    /** The final event of a job's stream: its ending, not any replay of earlier ones. */
    public boolean last() {
        return !QUEUED.equals(type) && !STARTED.equals(type) && !PROGRESS.equals(type);
    }

    /** The job's status at this event (a progress event's job is running). */
    public JobStatus status() {
        return job != null ? job.status() : JobStatus.RUNNING;
    }

    /**
     * The event as it crosses processes: no init image and no image bytes, which a listener reads from the store when
     * it needs them (their URLs, index and seed stay).
     */
    public JobEvent withoutFiles() {
        return job == null ? this : new JobEvent(type, jobId, step, totalSteps, job.withoutFiles(), preview);
    }
}
