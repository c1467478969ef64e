package dev.diffusion.jobs;

/**
 * Something that happened to a job, as its server-sent event stream tells it. {@code type} is one of
 * {@code queued, started, progress, succeeded, failed, cancelled}; {@code preview} is an optional PNG of a progress
 * step, else null.
 */
public record JobEvent(String type, Job job, byte[] preview) {

    public static final String QUEUED = "queued";
    public static final String STARTED = "started";
    public static final String PROGRESS = "progress";

    /** The event that ends a job's stream: its final status. */
    public static JobEvent finished(Job job) {
        return new JobEvent(job.status().name().toLowerCase(java.util.Locale.ROOT), job, null);
    }

    /** The final event of a job's stream: its ending, not any replay of earlier ones. */
    public boolean last() {
        return !QUEUED.equals(type) && !STARTED.equals(type) && !PROGRESS.equals(type);
    }
}
