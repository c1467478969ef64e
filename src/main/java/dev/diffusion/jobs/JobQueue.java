package dev.diffusion.jobs;

import java.time.Duration;
import java.util.Optional;

/** The bounded queue of job ids waiting for a worker, oldest first. */
public interface JobQueue {

    /** Adds a job at the back; false when the queue is full (the caller then refuses the job). */
    boolean offer(String jobId);

    /** The next job id, waiting up to {@code timeout}; empty if none came. */
    Optional<String> poll(Duration timeout) throws InterruptedException;

    /** The oldest waiting job id, left in the queue; empty if none waits. */
    Optional<String> peek();

    /** Takes a waiting job out (cancellation, or a worker taking the job {@link #peek} showed); false if it was no
     * longer waiting. */
    boolean remove(String jobId);

    /** 0 for the next job to run, or -1 if the job is not waiting. */
    int position(String jobId);

    int depth();

    int capacity();
}
