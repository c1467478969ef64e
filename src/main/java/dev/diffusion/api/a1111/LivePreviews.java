package dev.diffusion.api.a1111;

import dev.diffusion.ServesApi;
import dev.diffusion.jobs.JobEvent;
import dev.diffusion.jobs.JobService;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.springframework.stereotype.Component;

/**
 * The latest preview of each running job that {@code GET /sdapi/v1/progress} was asked about. A worker decodes
 * previews only for watched jobs, so the first progress call about a job starts watching it (and has no picture
 * yet); the watch ends with the job. Previews are seen by the API instance that watches, so with several API
 * replicas a progress call may find none.
 */
@ServesApi
@Component
public class LivePreviews {

    private static final Logger log = LoggerFactory.getLogger(LivePreviews.class);

    private final JobService jobs;
    private final Map<String, Watch> watches = new ConcurrentHashMap<>();

    LivePreviews(JobService jobs) {
        this.jobs = jobs;
    }

    /** The job's latest preview PNG, or null; watches the job from now on if nothing does yet. */
    byte[] latest(String jobId) {
        Watch existing = watches.get(jobId);
        if (existing != null) {
            return existing.preview;
        }
        Watch watch = new Watch();
        if (watches.putIfAbsent(jobId, watch) != null) {
            return null;
        }
        watch.attach(jobs.subscribe(jobId, event -> onEvent(jobId, watch, event)));
        // the job may have ended before the subscription: then no ending will come to end the watch
        if (jobs.find(jobId).map(job -> job.status().finished()).orElse(true)) {
            stop(jobId);
        }
        return null;
    }

    /** Ends the watch of the job, if any. */
    void stop(String jobId) {
        Watch watch = watches.remove(jobId);
        if (watch != null) {
            watch.end();
        }
    }

    private void onEvent(String jobId, Watch watch, JobEvent event) {
        if (event.preview() != null) {
            watch.preview = event.preview();
        }
        if (event.last()) {
            stop(jobId);
        }
    }

    private static void close(AutoCloseable handle) {
        try {
            handle.close();
        } catch (Exception e) {
            log.debug("could not stop watching a job: {}", e.toString());
        }
    }

    /** One job's watch; its subscription is closed once, whether the job ends before or after it is attached. */
    private static final class Watch {

        volatile byte[] preview;
        private AutoCloseable handle;
        private boolean ended;

        synchronized void attach(AutoCloseable subscription) {
            if (ended) {
                close(subscription);
            } else {
                handle = subscription;
            }
        }

        synchronized void end() {
            ended = true;
            if (handle != null) {
                close(handle);
                handle = null;
            }
        }
    }
}
