package dev.diffusion.jobs;

import java.time.Clock;
import java.time.Duration;
import java.util.List;
import java.util.Optional;
import java.util.Set;
import java.util.UUID;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.function.Consumer;
import java.util.function.Predicate;
import java.util.function.UnaryOperator;

/**
 * The life of a job, for both sides: the API submits, reads, awaits and cancels; workers take jobs, report progress
 * and finish them. Every job ends as succeeded, failed (with a reason) or cancelled, and each change is published as
 * a {@link JobEvent}.
 */
public class JobService {

    private final JobStore store;
    private final JobQueue queue;
    private final JobEvents events;
    private final JobMetrics metrics;
    private final Clock clock;
    private final Set<String> cancelRequested = ConcurrentHashMap.newKeySet();
    private volatile boolean refusing;

    public JobService(JobStore store, JobQueue queue, JobEvents events, JobMetrics metrics, Clock clock) {
        this.store = store;
        this.queue = queue;
        this.events = events;
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
        store.create(job);
        if (!queue.offer(job.id())) {
            store.delete(job.id());
            throw JobRefusedException.queueFull(queue.capacity());
        }
        metrics.submitted(request);
        events.publish(new JobEvent(JobEvent.QUEUED, job, null));
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
        if (queue.remove(id)) {
            return finish(id, job -> job.cancelled(clock.instant()));
        }
        cancelRequested.add(id);
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

    /** For {@code SSE}: listens to one job's events; closing the handle stops. */
    public AutoCloseable subscribe(String id, Consumer<JobEvent> listener) {
        return events.subscribe(id, listener);
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

    /** The next job to run, marked running; waits up to {@code poll} for one. Jobs cancelled while queued are skipped. */
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
        started.ifPresent(job -> {
            metrics.started(job);
            events.publish(new JobEvent(JobEvent.STARTED, job, null));
        });
        return started;
    }

    public boolean cancelRequested(String id) {
        return cancelRequested.contains(id);
    }

    public void progress(String id, int step, int totalSteps, byte[] preview) {
        store.update(id, job -> job.progressed(step, totalSteps))
                .filter(job -> !job.status().finished())
                .ifPresent(job -> events.publish(new JobEvent(JobEvent.PROGRESS, job, preview)));
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

    /** Ends every job still waiting, e.g. at shutdown, with {@code reason}; returns how many. */
    public int failWaiting(JobError reason) throws InterruptedException {
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

    private Optional<Job> finish(String id, UnaryOperator<Job> change) {
        AtomicBoolean endedHere = new AtomicBoolean();
        Optional<Job> finished = store.update(id, job -> {
            endedHere.set(true);  // the store calls this only while the job is unfinished
            return change.apply(job);
        });
        cancelRequested.remove(id);
        if (endedHere.get() && finished.isPresent()) {
            metrics.finished(finished.get());
            events.publish(JobEvent.finished(finished.get()));
        }
        return finished;
    }
}
