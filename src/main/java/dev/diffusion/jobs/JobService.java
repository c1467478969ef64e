package dev.diffusion.jobs;

import java.time.Clock;
import java.time.Duration;
import java.util.List;
import java.util.Optional;
import java.util.UUID;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicReference;
import java.util.function.Consumer;
import java.util.function.Predicate;
import java.util.function.UnaryOperator;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The life of a job, for both sides: the API submits, reads, awaits and cancels; workers take jobs, report progress
 * and finish them. Every job ends as succeeded, failed (with a reason) or cancelled, and each change is published as
 * a {@link JobEvent}. A job ends once: the store never changes a finished job, so a job run twice (a durable queue
 * redelivers the jobs of a worker that died) or cancelled while it ends keeps its first ending.
 */
public class JobService {

    private static final Logger log = LoggerFactory.getLogger(JobService.class);

    private final JobStore store;
    private final JobQueue queue;
    private final JobEvents events;
    private final JobMetrics metrics;
    private final CancelRequests cancelRequests;
    private final Clock clock;
    private volatile boolean refusing;

    public JobService(JobStore store, JobQueue queue, JobEvents events, CancelRequests cancelRequests,
            JobMetrics metrics, Clock clock) {
        this.store = store;
        this.queue = queue;
        this.events = events;
        this.cancelRequests = cancelRequests;
        this.metrics = metrics;
        this.clock = clock;
    }

    /** Queues a new job, or refuses it whole when the queue is full or the service is shutting down. */
    public Job submit(JobRequest request) {
        if (refusing) {
            throw JobRefusedException.shuttingDown();
        }
        // a random UUID has 122 random bits: ids cannot be guessed or enumerated
        Job job = Job.queued(UUID.randomUUID().toString(), request, clock.instant());
        boolean queued;
        try {
            store.create(job);
            queued = queue.offer(job.id());
        } catch (RuntimeException e) {
            // a queue in Redis may be out of reach: the client gets a 503 to retry, as for a full queue
            log.warn("could not queue a job: {}", e.toString());
            throw JobRefusedException.queueUnavailable(e);
        }
        if (!queued) {
            store.delete(job.id());
            throw JobRefusedException.queueFull(queue.capacity());
        }
        metrics.submitted(request);
        announce(new JobEvent(JobEvent.QUEUED, job, null));
        return job;
    }

    public Optional<Job> find(String id) {
        return store.find(id);
    }

    /** 0 for the next job to run; -1 when the job is not waiting. */
    public int queuePosition(String id) {
        return queue.position(id);
    }

    public int queueDepth() {
        return queue.depth();
    }

    /**
     * Cancels a job: a waiting one never runs; a running one stops at its next step (its worker sees the request);
     * a finished one stays as it is.
     */
    public Optional<Job> cancel(String id) {
        Optional<Job> current = store.find(id);
        if (current.isEmpty() || current.get().status().finished()) {
            return current;
        }
        // a waiting job ends here; a worker that takes it later finds it finished and skips it
        Optional<Job> now = finish(id, job -> job.status() == JobStatus.QUEUED ? job.cancelled(clock.instant()) : job);
        if (now.isPresent() && now.get().status() == JobStatus.CANCELLED) {
            queue.remove(id);
            return now;
        }
        cancelRequests.request(id);
        return store.find(id);
    }

    /** Blocks until the job has finished or {@code timeout} passed; returns the job as it then stands. */
    public Optional<Job> await(String id, Duration timeout) throws InterruptedException {
        CompletableFuture<Job> done = new CompletableFuture<>();
        try (AutoCloseable subscription = events.subscribe(id, event -> {
            if (event.last()) {
                done.complete(event.job());
            }
        })) {
            Optional<Job> now = store.find(id);
            if (now.isEmpty() || now.get().status().finished()) {
                return now;
            }
            done.get(timeout.toMillis(), TimeUnit.MILLISECONDS);
        } catch (TimeoutException e) {
            // answered with the job as it stands
        } catch (ExecutionException e) {
            throw new IllegalStateException(e.getCause());
        } catch (InterruptedException e) {
            throw e;
        } catch (Exception e) {
            throw new IllegalStateException("could not stop listening to job " + id, e);
        }
        return store.find(id);
    }

    /**
     * For {@code SSE}: listens to one job's events, previews included (the job counts as watched, so its worker
     * makes them); closing the handle stops.
     */
    public AutoCloseable subscribe(String id, Consumer<JobEvent> listener) {
        AutoCloseable subscription = events.subscribe(id, listener);
        AutoCloseable watching;
        try {
            watching = events.watch(id);
        } catch (RuntimeException e) {
            closeQuietly(subscription);
            throw e;
        }
        // closing twice (a stream that ends from two sides) must not take another stream's watch away
        AtomicBoolean closed = new AtomicBoolean();
        return () -> {
            if (!closed.compareAndSet(false, true)) {
                return;
            }
            try {
                subscription.close();
            } finally {
                watching.close();
            }
        };
    }

    /**
     * Whether a progress event of the job should carry a preview: only while someone watches it. A store that cannot
     * tell (Redis lost, say) means no preview; the job goes on.
     */
    public boolean previewWanted(String id) {
        try {
            return events.watched(id);
        } catch (RuntimeException e) {
            log.debug("could not tell whether job {} is watched: {}", id, e.toString());
            return false;
        }
    }

    private static void closeQuietly(AutoCloseable handle) {
        try {
            handle.close();
        } catch (Exception e) {
            log.debug("could not close a subscription: {}", e.toString());
        }
    }

    /** From now on {@link #submit} refuses every job (shutdown). */
    public void refuseNewJobs() {
        refusing = true;
    }

    /** {@link #submit} takes jobs again (the workers have started). */
    public void acceptNewJobs() {
        refusing = false;
    }

    // ---- the worker's side ----

    /**
     * The next job to run, marked running; waits up to {@code poll} for one. Jobs that ended while queued (cancelled)
     * are skipped. A job another worker had started and given up (it died) starts again from its first step.
     */
    public Optional<Job> takeNext(Duration poll) throws InterruptedException {
        Optional<String> id = queue.poll(poll);
        return id.isEmpty() ? Optional.empty() : start(id.get());
    }

    /**
     * The oldest waiting job, marked running, if {@code fits} accepts its request; without waiting. A head that does
     * not fit stays at the head, still queued: jobs start in the order they came, so none is starved by later ones.
     */
    public Optional<Job> takeNextIf(Predicate<JobRequest> fits) {
        for (Optional<String> head = queue.peek(); head.isPresent(); head = queue.peek()) {
            Optional<Job> job = store.find(head.get());
            if (job.isPresent() && !job.get().status().finished() && !fits.test(job.get().request())) {
                return Optional.empty();
            }
            // another worker or a cancellation may take the head first; then look at the new head
            if (queue.remove(head.get())) {
                Optional<Job> started = start(head.get());
                if (started.isPresent()) {
                    return started;
                }
            }
        }
        return Optional.empty();
    }

    private Optional<Job> start(String id) {
        Optional<Job> started = store.update(id, job -> job.started(clock.instant()))
                .filter(job -> job.status() == JobStatus.RUNNING);
        started.ifPresentOrElse(job -> {
            metrics.started(job);
            announce(new JobEvent(JobEvent.STARTED, job, null));
        }, () -> queue.acknowledge(id));
        return started;
    }

    public boolean cancelRequested(String id) {
        return cancelRequests.requested(id);
    }

    public void progress(String id, int step, int totalSteps, byte[] preview) {
        store.update(id, job -> job.progressed(step, totalSteps))
                .filter(job -> !job.status().finished())
                .ifPresent(job -> announce(new JobEvent(JobEvent.PROGRESS, job, preview)));
    }

    public void succeed(String id, List<JobImage> images) {
        finish(id, job -> job.succeeded(images, clock.instant()));
    }

    public void fail(String id, JobError error) {
        finish(id, job -> job.failed(error, clock.instant()));
    }

    public void markCancelled(String id) {
        finish(id, job -> job.cancelled(clock.instant()));
    }

    /**
     * This process stops running the job before its end (shutdown): a durable queue keeps it for another worker,
     * which starts it again; otherwise it fails with {@code reason}.
     */
    public void giveUp(String id, JobError reason) {
        if (queue.durable()) {
            queue.release(id);
        } else {
            fail(id, reason);
        }
    }

    /** This process stops holding the job, which it could not end (its store failed); a durable queue redelivers it. */
    public void release(String id) {
        queue.release(id);
    }

    /**
     * At shutdown: ends every job still waiting with {@code reason}; returns how many. Jobs in a durable queue stay
     * queued for the other workers instead.
     */
    public int failWaiting(JobError reason) throws InterruptedException {
        if (queue.durable()) {
            return 0;
        }
        int count = 0;
        for (Optional<String> id = queue.poll(Duration.ZERO); id.isPresent(); id = queue.poll(Duration.ZERO)) {
            fail(id.get(), reason);
            count++;
        }
        return count;
    }

    /** Drops finished jobs older than {@code ttl}. */
    public int evictExpired(Duration ttl) {
        return store.evictFinishedBefore(clock.instant().minus(ttl));
    }

    /**
     * Applies {@code change} to an unfinished job; if that ends the job, counts and announces it. The queue forgets a
     * finished job only after its outcome is stored, so that a crash in between means a redelivery, never a loss.
     */
    /** Events are news: one that cannot be sent (Redis lost, say) does not undo or stop the change it tells of. */
    private void announce(JobEvent event) {
        try {
            events.publish(event);
        } catch (RuntimeException e) {
            log.warn("could not announce {} of job {}: {}", event.type(), event.job().id(), e.toString());
        }
    }

    private Optional<Job> finish(String id, UnaryOperator<Job> change) {
        AtomicReference<Job> produced = new AtomicReference<>();
        Optional<Job> after = store.update(id, job -> {
            Job next = change.apply(job);
            produced.set(next);
            return next;
        });
        // the store returns the very snapshot the change made only when that one was stored
        boolean endedHere = after.isPresent() && after.get() == produced.get() && after.get().status().finished();
        if (endedHere) {
            cancelRequests.clear(id);
            metrics.finished(after.get());
            announce(JobEvent.finished(after.get()));
        }
        if (after.isEmpty() || after.get().status().finished()) {
            queue.acknowledge(id);  // also when another run of the job ended it first
        }
        return after;
    }
}
