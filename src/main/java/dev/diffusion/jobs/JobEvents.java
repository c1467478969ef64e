package dev.diffusion.jobs;

import java.util.function.Consumer;

/** Publish/subscribe of job events, per job id: in one process, or across processes through Redis. */
public interface JobEvents {

    /** Starts listening to one job; closing the returned handle stops it. Listeners must be quick. */
    AutoCloseable subscribe(String jobId, Consumer<JobEvent> listener);

    void publish(JobEvent event);

    /**
     * Marks the job as watched by someone who shows its previews (an SSE stream) until the handle is closed: workers
     * decode previews only for watched jobs, since a preview costs a VAE call and a PNG.
     */
    AutoCloseable watch(String jobId);

    /** Whether anyone watches the job now (see {@link #watch}). */
    boolean watched(String jobId);
}
