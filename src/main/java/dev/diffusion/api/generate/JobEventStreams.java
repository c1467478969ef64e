package dev.diffusion.api.generate;

import dev.diffusion.ServesApi;
import dev.diffusion.jobs.Job;
import dev.diffusion.jobs.JobEvent;
import dev.diffusion.jobs.JobService;
import dev.diffusion.jobs.JobStatus;
import dev.diffusion.web.ServiceBusyException;
import dev.diffusion.web.TooManyRequestsException;
import java.io.IOException;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Base64;
import java.util.List;
import java.util.Map;
import java.util.Queue;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.ThreadFactory;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.springframework.beans.factory.DisposableBean;
import org.springframework.stereotype.Component;
import org.springframework.web.servlet.mvc.method.annotation.SseEmitter;

/**
 * Server-sent event streams of jobs. Events are handed to a bounded pool of senders, never written on the worker's
 * thread, so a slow client cannot slow a generation; each stream sends in order, gets a heartbeat while idle, and ends
 * after the job's last event. Streams are bounded per API key and in all, and a client that stops reading is cut off
 * once {@code max-pending} events wait for it (a write blocked on it ends with the connection's timeout).
 */
@ServesApi
@Component
public class JobEventStreams implements DisposableBean {

    private static final Logger log = LoggerFactory.getLogger(JobEventStreams.class);
    private static final Duration STREAM_TIMEOUT = Duration.ofHours(1);
    /** Streams end as jobs do: a client refused for the count is told to come back soon. */
    private static final Duration RETRY_AFTER = Duration.ofSeconds(5);
    /** What a heartbeat is in the queue of a stream: a comment line, which clients ignore. */
    private static final JobEvent HEARTBEAT = new JobEvent("heartbeat", "", 0, 0, null, null);

    private final JobService jobs;
    private final EventStreamsProperties settings;
    private final ExecutorService senders;
    private final ScheduledExecutorService heartbeats;
    private final Set<Stream> open = ConcurrentHashMap.newKeySet();
    private final Map<String, AtomicInteger> openByOwner = new ConcurrentHashMap<>();

    public JobEventStreams(JobService jobs, EventStreamsProperties settings) {
        this.jobs = jobs;
        this.settings = settings;
        this.senders = Executors.newFixedThreadPool(settings.senders(), daemon("sse-sender"));
        this.heartbeats = Executors.newSingleThreadScheduledExecutor(daemon("sse-heartbeat"));
        long every = settings.heartbeat().toMillis();
        heartbeats.scheduleWithFixedDelay(() -> open.forEach(stream -> stream.enqueue(HEARTBEAT)), every, every,
                TimeUnit.MILLISECONDS);
    }

    /** The streams open now; a stream a client has left counts until its next write finds the connection gone. */
    public int openStreams() {
        return open.size();
    }

    /**
     * A stream of the job's events for {@code owner} (null when API keys are off).
     *
     * @throws TooManyRequestsException when the owner already has {@code max-streams-per-key} open
     * @throws ServiceBusyException     when this instance already has {@code max-streams} open
     */
    public SseEmitter open(String jobId, String owner) {
        if (open.size() >= settings.maxStreams()) {
            throw new ServiceBusyException("this instance has " + settings.maxStreams()
                    + " event streams open, its limit; try again shortly or poll the job");
        }
        AtomicInteger ownersStreams = owner == null ? null : openByOwner.computeIfAbsent(owner, o -> new AtomicInteger());
        if (ownersStreams != null && ownersStreams.incrementAndGet() > settings.maxStreamsPerKey()) {
            release(owner, ownersStreams);
            throw new TooManyRequestsException("this API key has " + settings.maxStreamsPerKey()
                    + " event streams open, its limit; close one or poll the job", RETRY_AFTER);
        }
        SseEmitter emitter = new SseEmitter(STREAM_TIMEOUT.toMillis());
        Stream stream = new Stream(emitter, owner, ownersStreams);
        open.add(stream);
        try {
            AutoCloseable subscription = jobs.subscribe(jobId, stream::live);
            stream.onEnd(subscription);
        } catch (RuntimeException e) {
            stream.end();
            emitter.completeWithError(e);
            return emitter;
        }
        // what has happened so far, after subscribing so that nothing falls between
        stream.replay(jobs.find(jobId).orElse(null));
        return emitter;
    }

    private void release(String owner, AtomicInteger ownersStreams) {
        if (ownersStreams.decrementAndGet() <= 0) {
            openByOwner.remove(owner, ownersStreams);
        }
    }

    /** The events that tell a new client how {@code job} got to where it is now. */
    private static List<JobEvent> history(Job job) {
        List<JobEvent> events = new ArrayList<>();
        events.add(JobEvent.of(JobEvent.QUEUED, job));
        if (job.status() != JobStatus.QUEUED) {
            events.add(JobEvent.of(JobEvent.STARTED, job));
        }
        if (job.step() > 0) {
            events.add(JobEvent.progress(job, null));
        }
        if (job.status().finished()) {
            events.add(JobEvent.finished(job));
        }
        return events;
    }

    /**
     * Whether {@code event} tells of a state of the job past {@code earlier}: a further status (in {@link JobStatus}'s
     * order: queued, running, then the endings), or a further step.
     */
    private static boolean isPast(JobEvent event, Job earlier) {
        if (earlier.status().finished()) {
            return false;
        }
        return event.status() == earlier.status() ? event.step() > earlier.step()
                : event.status().ordinal() > earlier.status().ordinal();
    }

    private Object data(JobEvent event) {
        if (JobEvent.PROGRESS.equals(event.type())) {
            return event.preview() == null
                    ? Map.of("step", event.step(), "total_steps", event.totalSteps())
                    : Map.of("step", event.step(), "total_steps", event.totalSteps(),
                            "preview", "data:image/png;base64," + Base64.getEncoder().encodeToString(event.preview()));
        }
        Job job = event.job();
        return JobView.of(job, job.status() == JobStatus.QUEUED ? jobs.queuePosition(job.id()) : -1);
    }

    private static ThreadFactory daemon(String name) {
        return runnable -> {
            Thread thread = new Thread(runnable, name);
            thread.setDaemon(true);
            return thread;
        };
    }

    @Override
    public void destroy() {
        heartbeats.shutdownNow();
        senders.shutdownNow();
    }

    /** One client's stream: a bounded queue drained by at most one sender at a time, so events keep their order. */
    private final class Stream {

        private final SseEmitter emitter;
        private final String owner;
        private final AtomicInteger ownersStreams;
        private final Queue<JobEvent> pending = new ConcurrentLinkedQueue<>();
        private final AtomicInteger pendingCount = new AtomicInteger();
        private final AtomicBoolean draining = new AtomicBoolean();
        private final AtomicBoolean ended = new AtomicBoolean();
        private volatile AutoCloseable subscription;
        /** Live events that came while the history was being read; null once it has been queued. */
        private List<JobEvent> heldLive = new ArrayList<>();

        Stream(SseEmitter emitter, String owner, AtomicInteger ownersStreams) {
            this.emitter = emitter;
            this.owner = owner;
            this.ownersStreams = ownersStreams;
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
                heldLive.stream().filter(event -> isPast(event, job)).forEach(this::enqueue);
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
            if (ended.get()) {
                return;
            }
            if (pendingCount.incrementAndGet() > settings.maxPending()) {
                log.debug("an event stream's client stopped reading; ending the stream");
                end();
                emitter.complete();
                return;
            }
            pending.add(event);
            senders.execute(this::drain);
        }

        private void drain() {
            if (!draining.compareAndSet(false, true)) {
                return;
            }
            try {
                for (JobEvent event = pending.poll(); event != null && !ended.get(); event = pending.poll()) {
                    pendingCount.decrementAndGet();
                    if (event == HEARTBEAT) {
                        emitter.send(SseEmitter.event().comment(""));
                        continue;
                    }
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
                open.remove(this);
                if (ownersStreams != null) {
                    release(owner, ownersStreams);
                }
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
