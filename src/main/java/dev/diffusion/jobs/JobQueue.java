package dev.diffusion.jobs;

import java.time.Duration;
import java.time.Instant;
import java.util.Optional;

/**
 * The bounded queue of job ids waiting for a worker, oldest first. A job a worker takes stays the worker's until
 * {@link #acknowledge}: a durable queue hands the jobs of a worker that died to another worker.
 */
public interface JobQueue {

    /** Adds a job at the back; false when the queue is full (the caller then refuses the job). */
    boolean offer(String jobId);

    /** The next job id, waiting up to {@code timeout}; empty if none came. */
    Optional<String> poll(Duration timeout) throws InterruptedException;

    /** The oldest waiting job id, left in the queue; empty if none waits. */
    Optional<String> peek();

    /** Takes a waiting job out (cancellation, or a worker taking the job {@link #peek} showed); false if it was no
     * longer waiting here. */
    boolean remove(String jobId);

    /** The job's outcome is stored (or it will never run): the queue forgets it. */
    void acknowledge(String jobId);

    /** This process gives a job up without ending it (shutdown): a durable queue lets another worker take it over. */
    void release(String jobId);

    /**
     * How many times the job has been handed to a worker, this time included: more than once when a worker died or
     * was lost while it held the job and another took it over (a graceful hand-over at shutdown does not count).
     */
    default int deliveries(String jobId) {
        return 1;
    }

    /** Whether waiting jobs outlive this process (so shutdown leaves them queued rather than failing them). */
    boolean durable();

    /** 0 for the next job to run, or -1 if the job is not waiting. */
    int position(String jobId);

    int depth();

    /** When the oldest waiting job was queued; empty if none waits. */
    Optional<Instant> oldestWaitingSince();

    int capacity();
}
