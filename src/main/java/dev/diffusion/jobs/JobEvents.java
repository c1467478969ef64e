package dev.diffusion.jobs;

import java.util.function.Consumer;

/** Publish/subscribe of job events, per job id: in one process, or across processes through Redis. */
public interface JobEvents {

    /** Starts listening to one job; closing the returned handle stops it. Listeners must be quick. */
    AutoCloseable subscribe(String jobId, Consumer<JobEvent> listener);

    void publish(JobEvent event);
}
