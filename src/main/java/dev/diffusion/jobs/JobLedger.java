package dev.diffusion.jobs;

import java.time.Clock;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.atomic.AtomicReference;
import java.util.function.UnaryOperator;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * What both sides of a job's life share: the store, queue, events, cancellation requests and meters, and the one way a
 * job ends. A job ends once: the store never changes a finished job, so a job run twice (a durable queue redelivers the
 * jobs of a worker that died) or cancelled while it ends keeps its first ending.
 */
public final class JobLedger {

    private static final Logger log = LoggerFactory.getLogger(JobLedger.class);

    final JobStore store;
    final JobQueue queue;
    final JobEvents events;
    final CancelRequests cancelRequests;
    final JobMetrics metrics;
    final Clock clock;
    private final List<JobChangeListener> listeners;
    /** A job whose worker was lost this many times fails rather than run again. */
    final int maxWorkerLosses;
    /** Set while the service shuts down: submissions are refused. */
    volatile boolean refusing;

    public JobLedger(JobStore store, JobQueue queue, JobEvents events, CancelRequests cancelRequests, JobMetrics metrics,
            Clock clock, int maxWorkerLosses, List<JobChangeListener> listeners) {
        this.store = store;
        this.queue = queue;
        this.events = events;
        this.cancelRequests = cancelRequests;
        this.metrics = metrics;
        this.clock = clock;
        this.maxWorkerLosses = maxWorkerLosses;
        this.listeners = List.copyOf(listeners);
    }

    /**
     * Tells the listeners, then the subscribers, of a change that made {@code job}. Events are news: one that cannot
     * be sent (Redis lost, say) does not undo or stop the change it tells of.
     */
    void announce(JobEvent event, Job job) {
        tellListeners(event.type(), job);
        try {
            events.publish(event);
        } catch (RuntimeException e) {
            log.warn("could not announce {} of job {}: {}", event.type(), event.jobId(), e.toString());
        }
    }

    void tellListeners(String type, Job job) {
        for (JobChangeListener listener : listeners) {
            try {
                listener.changed(type, job);
            } catch (RuntimeException e) {
                log.warn("a listener of job {} failed on {}: {}", job.id(), type, e.toString());
            }
        }
    }

    /**
     * Applies {@code change} to an unfinished job; if that ends the job, counts and announces it. The queue forgets a
     * finished job only after its outcome is stored, so that a crash in between means a redelivery, never a loss.
     */
    Optional<Job> finish(String id, UnaryOperator<Job> change) {
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
            announce(JobEvent.finished(after.get()), after.get());
        }
        if (after.isEmpty() || after.get().status().finished()) {
            queue.acknowledge(id);  // also when another run of the job ended it first
        }
        return after;
    }
}
