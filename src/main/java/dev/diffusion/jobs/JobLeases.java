package dev.diffusion.jobs;

import java.time.Duration;
import java.util.List;
import java.util.Optional;
import java.util.function.Predicate;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Jobs as the workers see them: take the next one, report its progress, and end it (succeeded, failed, cancelled) or
 * hand it back. The API's side is {@link JobService}.
 */
public class JobLeases {

    private static final Logger log = LoggerFactory.getLogger(JobLeases.class);

    private final JobLedger ledger;

    public JobLeases(JobLedger ledger) {
        this.ledger = ledger;
    }

    /** From now on submissions are refused (shutdown). */
    public void refuseNewJobs() {
        ledger.refusing = true;
    }

    /** Submissions are taken again (the workers have started). */
    public void acceptNewJobs() {
        ledger.refusing = false;
    }

    /**
     * The next job to run, marked running; waits up to {@code poll} for one. Jobs that ended while queued (cancelled)
     * are skipped. A job another worker had started and given up (it died) starts again from its first step.
     */
    public Optional<Job> takeNext(Duration poll) throws InterruptedException {
        Optional<String> id = ledger.queue.poll(poll);
        return id.isEmpty() ? Optional.empty() : start(id.get());
    }

    /**
     * The oldest waiting job, marked running, if {@code fits} accepts its spec; without waiting. A head that does not
     * fit stays at the head, still queued: jobs start in the order they came, so none is starved by later ones.
     */
    public Optional<Job> takeNextIf(Predicate<GenerationSpec> fits) {
        for (Optional<String> head = ledger.queue.peek(); head.isPresent(); head = ledger.queue.peek()) {
            Optional<Job> job = ledger.store.find(head.get());
            if (job.isPresent() && !job.get().status().finished() && !fits.test(job.get().spec())) {
                return Optional.empty();
            }
            // another worker or a cancellation may take the head first; then look at the new head
            if (ledger.queue.remove(head.get())) {
                Optional<Job> started = start(head.get());
                if (started.isPresent()) {
                    return started;
                }
            }
        }
        return Optional.empty();
    }

    /**
     * Marks the job running, unless its workers were lost too often while running it (it kills them, say): then it
     * fails with the reason instead of being tried until its time-to-live.
     */
    private Optional<Job> start(String id) {
        int losses = ledger.queue.deliveries(id) - 1;
        if (losses > 0) {
            Optional<Job> ended = ledger.store.find(id).filter(job -> job.status().finished());
            if (ended.isPresent()) {
                // its last worker stored the ending and died before acknowledging it, maybe before telling of it
                ledger.tellListeners(JobEvent.finished(ended.get()).type(), ended.get());
                ledger.queue.acknowledge(id);
                return Optional.empty();
            }
        }
        if (losses >= ledger.maxWorkerLosses) {
            log.warn("job {} lost its worker {} times; failing it", id, losses);
            ledger.finish(id, job -> job.failed(new JobError("Job failed repeatedly", "the worker running it was "
                    + "lost " + losses + " times (killed or cut off); it is not tried again"), ledger.clock.instant()));
            return Optional.empty();
        }
        Optional<Job> started = ledger.store.update(id, job -> job.started(ledger.clock.instant()))
                .filter(job -> job.status() == JobStatus.RUNNING);
        started.ifPresentOrElse(job -> {
            ledger.metrics.started(job);
            ledger.announce(JobEvent.of(JobEvent.STARTED, job), job);
        }, () -> ledger.queue.acknowledge(id));
        return started;
    }

    public boolean cancelRequested(String id) {
        return ledger.cancelRequests.requested(id);
    }

    /**
     * Whether a progress event of the job should carry a preview: only while someone watches it. A store that cannot
     * tell (Redis lost, say) means no preview; the job goes on.
     */
    public boolean previewWanted(String id) {
        try {
            return ledger.events.watched(id);
        } catch (RuntimeException e) {
            log.debug("could not tell whether job {} is watched: {}", id, e.toString());
            return false;
        }
    }

    public void progress(String id, int step, int totalSteps, byte[] preview) {
        ledger.store.update(id, job -> job.progressed(step, totalSteps))
                .filter(job -> !job.status().finished())
                .ifPresent(job -> ledger.announce(JobEvent.progress(job, preview), job));
    }

    public void succeed(String id, List<JobImage> images) {
        ledger.finish(id, job -> job.succeeded(images, ledger.clock.instant()));
    }

    public void fail(String id, JobError error) {
        ledger.finish(id, job -> job.failed(error, ledger.clock.instant()));
    }

    public void markCancelled(String id) {
        ledger.finish(id, job -> job.cancelled(ledger.clock.instant()));
    }

    /**
     * This process stops running the job before its end (shutdown): a durable queue keeps it for another worker,
     * which starts it again; otherwise it fails with {@code reason}.
     */
    public void giveUp(String id, JobError reason) {
        if (ledger.queue.durable()) {
            ledger.queue.release(id);
        } else {
            fail(id, reason);
        }
    }

    /** This process stops holding the job, which it could not end (its store failed); a durable queue redelivers it. */
    public void release(String id) {
        ledger.queue.release(id);
    }

    /**
     * At shutdown: ends every job still waiting with {@code reason}; returns how many. Jobs in a durable queue stay
     * queued for the other workers instead.
     */
    public int failWaiting(JobError reason) throws InterruptedException {
        if (ledger.queue.durable()) {
            return 0;
        }
        int count = 0;
        for (Optional<String> id = ledger.queue.poll(Duration.ZERO); id.isPresent();
                id = ledger.queue.poll(Duration.ZERO)) {
            fail(id.get(), reason);
            count++;
        }
        return count;
    }
}
