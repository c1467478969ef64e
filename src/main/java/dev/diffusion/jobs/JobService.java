package dev.diffusion.jobs;

import java.time.Duration;
import java.time.Instant;
import java.util.Optional;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.function.Consumer;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Jobs as the API sees them: submit, find, await, cancel and follow. Every job ends as succeeded, failed (with a
 * reason) or cancelled, and each change is published as a {@link JobEvent}; the workers' side is {@link JobLeases}.
 */
public class JobService {

    private static final Logger log = LoggerFactory.getLogger(JobService.class);

    private final JobLedger ledger;

    private final JobIds ids = new JobIds();

    public JobService(JobLedger ledger) {
        this.ledger = ledger;
    }

    /** Queues a new job, or refuses it whole when the queue is full or the service is shutting down. */
    public Job submit(GenerationSpec spec, String owner) {
        if (ledger.refusing) {
            throw JobRefusedException.shuttingDown();
        }
        Instant now = ledger.clock.instant();
        Job job = Job.queued(ids.next(now), spec, owner, now);
        boolean queued;
        try {
            ledger.store.create(job);
            queued = ledger.queue.offer(job.id());
        } catch (RuntimeException e) {
            // a queue in Redis may be out of reach: the client gets a 503 to retry, as for a full queue
            log.warn("could not queue a job: {}", e.toString());
            throw JobRefusedException.queueUnavailable(e);
        }
        if (!queued) {
            ledger.store.delete(job.id());
            throw JobRefusedException.queueFull(ledger.queue.capacity());
        }
        ledger.metrics.submitted(spec);
        ledger.announce(JobEvent.of(JobEvent.QUEUED, job), job);
        return job;
    }

    public Optional<Job> find(String id) {
        return ledger.store.find(id);
    }

    /** A page of an owner's jobs, newest first. */
    public JobPage list(JobQuery query) {
        return ledger.store.list(query);
    }

    /** 0 for the next job to run; -1 when the job is not waiting. */
    public int queuePosition(String id) {
        return ledger.queue.position(id);
    }

    public int queueDepth() {
        return ledger.queue.depth();
    }

    /**
     * Cancels a job: a waiting one never runs; a running one stops at its next step (its worker sees the request);
     * a finished one stays as it is.
     */
    public Optional<Job> cancel(String id) {
        Optional<Job> current = ledger.store.find(id);
        if (current.isEmpty() || current.get().status().finished()) {
            return current;
        }
        // a waiting job ends here; a worker that takes it later finds it finished and skips it
        Optional<Job> now = ledger.finish(id, job -> job.status() == JobStatus.QUEUED
                ? job.cancelled(ledger.clock.instant()) : job);
        if (now.isPresent() && now.get().status() == JobStatus.CANCELLED) {
            ledger.queue.remove(id);
            return now;
        }
        ledger.cancelRequests.request(id);
        return ledger.store.find(id);
    }

    /** Blocks until the job has finished or {@code timeout} passed; returns the job as it then stands. */
    public Optional<Job> await(String id, Duration timeout) throws InterruptedException {
        CompletableFuture<Job> done = new CompletableFuture<>();
        try (AutoCloseable subscription = ledger.events.subscribe(id, event -> {
            if (event.last()) {
                done.complete(event.job());
            }
        })) {
            Optional<Job> now = ledger.store.find(id);
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
        return ledger.store.find(id);
    }

    /**
     * For {@code SSE}: listens to one job's events, previews included (the job counts as watched, so its worker
     * makes them); closing the handle stops.
     */
    public AutoCloseable subscribe(String id, Consumer<JobEvent> listener) {
        AutoCloseable subscription = ledger.events.subscribe(id, listener);
        AutoCloseable watching;
        try {
            watching = ledger.events.watch(id);
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

    private static void closeQuietly(AutoCloseable handle) {
        try {
            handle.close();
        } catch (Exception e) {
            log.debug("could not close a subscription: {}", e.toString());
        }
    }
}
