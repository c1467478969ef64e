package dev.diffusion.jobs;

/**
 * Cancellation asked for running jobs, seen by the worker that runs them at its next step — in one process, or
 * across processes through Redis.
 */
public interface CancelRequests {

    void request(String jobId);

    boolean requested(String jobId);

    /** Forgets the request once the job has ended. */
    void clear(String jobId);
}
