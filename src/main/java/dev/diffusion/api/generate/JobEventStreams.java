package dev.diffusion.api.generate;

import dev.diffusion.ServesApi;
import dev.diffusion.jobs.Job;
import dev.diffusion.jobs.JobEvent;
import dev.diffusion.jobs.JobService;
import dev.diffusion.jobs.JobStatus;
import java.io.IOException;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Base64;
import java.util.List;
import java.util.Map;
import java.util.Queue;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.atomic.AtomicBoolean;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.springframework.beans.factory.DisposableBean;
import org.springframework.stereotype.Component;
import org.springframework.web.servlet.mvc.method.annotation.SseEmitter;

/**
 * Server-sent event streams of jobs. Events are handed to a sender pool, never written on the worker's thread, so a
 * slow client cannot slow a generation; each stream sends in order and ends after the job's last event.
 */
@ServesApi
@Component
public class JobEventStreams implements DisposableBean {

    private static final Logger log = LoggerFactory.getLogger(JobEventStreams.class);
    private static final Duration STREAM_TIMEOUT = Duration.ofHours(1);

    private final JobService jobs;
    private final ExecutorService senders = Executors.newCachedThreadPool(runnable -> {
        Thread thread = new Thread(runnable, "sse-sender");
        thread.setDaemon(true);
        return thread;
    });

    public JobEventStreams(JobService jobs) {
        this.jobs = jobs;
    }

    public SseEmitter open(String jobId) {
        SseEmitter emitter = new SseEmitter(STREAM_TIMEOUT.toMillis());
        Stream stream = new Stream(emitter);
        try {
            AutoCloseable subscription = jobs.subscribe(jobId, stream::live);
            stream.onEnd(subscription);
        } catch (RuntimeException e) {
            emitter.completeWithError(e);
            return emitter;
        }
        // what has happened so far, after subscribing so that nothing falls between
        stream.replay(jobs.find(jobId).orElse(null));
        return emitter;
    }

    /** The events that tell a new client how {@code job} got to where it is now. */
    private static List<JobEvent> history(Job job) {
        List<JobEvent> events = new ArrayList<>();
        events.add(new JobEvent(JobEvent.QUEUED, job, null));
        if (job.status() != JobStatus.QUEUED) {
            events.add(new JobEvent(JobEvent.STARTED, job, null));
        }
        if (job.step() > 0) {
            events.add(new JobEvent(JobEvent.PROGRESS, job, null));
        }
        if (job.status().finished()) {
            events.add(JobEvent.finished(job));
        }
        return events;
    }

    /**
     * Whether {@code later} is a state of the job past {@code earlier}: a further status (in {@link JobStatus}'s order:
     * queued, running, then the endings), or a further step.
     */
    private static boolean isPast(Job later, Job earlier) {
        if (earlier.status().finished()) {
            return false;
        }
        return later.status() == earlier.status() ? later.step() > earlier.step()
                : later.status().ordinal() > earlier.status().ordinal();
    }

    private Object data(JobEvent event) {
        Job job = event.job();
        if (JobEvent.PROGRESS.equals(event.type())) {
            return event.preview() == null
                    ? Map.of("step", job.step(), "total_steps", job.totalSteps())
                    : Map.of("step", job.step(), "total_steps", job.totalSteps(),
                            "preview", "data:image/png;base64," + Base64.getEncoder().encodeToString(event.preview()));
        }
        return JobView.of(job, job.status() == JobStatus.QUEUED ? jobs.queuePosition(job.id()) : -1);
    }

    @Override
    public void destroy() {
        senders.shutdownNow();
    }

    /** One client's stream: a queue drained by at most one sender at a time, so events keep their order. */
    private final class Stream {

        private final SseEmitter emitter;
        private final Queue<JobEvent> pending = new ConcurrentLinkedQueue<>();
        private final AtomicBoolean draining = new AtomicBoolean();
        private final AtomicBoolean ended = new AtomicBoolean();
        private volatile AutoCloseable subscription;
        /** Live events that came while the history was being read; null once it has been queued. */
        private List<JobEvent> heldLive = new ArrayList<>();

        Stream(SseEmitter emitter) {
            this.emitter = emitter;
            emitter.onCompletion(this::end);
            emitter.onTimeout(this::end);
            emitter.onError(error -> end());
        }

        /** A live event of the job; held back until the history has been queued, so that it keeps its place. */
        synchronized void live(JobEvent event) {
            if (heldLive != null) {
                heldLive.add(event);
            } else {
                enqueue(event);
            }
        }

        /** Queues the history of {@code job} (null: gone), then the held live events that came after it. */
        synchronized void replay(Job job) {
            if (job != null) {
                history(job).forEach(this::enqueue);
                heldLive.stream().filter(event -> isPast(event.job(), job)).forEach(this::enqueue);
            }
            heldLive = null;
        }

        void onEnd(AutoCloseable handle) {
            this.subscription = handle;
            if (ended.get()) {
                closeQuietly(handle);
            }
        }

        void enqueue(JobEvent event) {
            if (!ended.get()) {
                pending.add(event);
                senders.execute(this::drain);
            }
        }

        private void drain() {
            if (!draining.compareAndSet(false, true)) {
                return;
            }
            try {
                for (JobEvent event = pending.poll(); event != null && !ended.get(); event = pending.poll()) {
                    emitter.send(SseEmitter.event().name(event.type()).data(data(event)));
                    if (event.last()) {
                        emitter.complete();
                        end();
                    }
                }
            } catch (IOException | IllegalStateException e) {
                log.debug("event stream ended: {}", e.toString());
                end();  // the client went away
            } finally {
                draining.set(false);
            }
            if (!pending.isEmpty() && !ended.get()) {
                senders.execute(this::drain);
            }
        }

        private void end() {
            if (ended.compareAndSet(false, true)) {
                pending.clear();
                if (subscription != null) {
                    closeQuietly(subscription);
                }
            }
        }

        private static void closeQuietly(AutoCloseable handle) {
            try {
                handle.close();
            } catch (Exception ignored) {
                // unsubscribing cannot fail in a way a client could act on
            }
        }
    }
}
