package dev.diffusion.worker;

import dev.diffusion.jobs.Job;
import dev.diffusion.jobs.JobLeases;
import java.time.Duration;
import java.util.Optional;
import java.util.concurrent.CancellationException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.locks.LockSupport;
import java.util.function.BooleanSupplier;
import java.util.function.Consumer;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * One device's worker thread: between steps it fills its {@link StepBatcher} from the queue, then runs the next
 * group's step. Queue policy, so that no job starves: the oldest job is taken if it can join a running group (same
 * model and size, room, budget) or start one of its own (fewer groups than {@code max-groups}). A job that cannot
 * stays queued, at the head, and holds back the jobs behind it until a group drains, so jobs start in the order they
 * came. A failure never takes the worker down.
 */
final class Worker implements Runnable {

    private static final Logger log = LoggerFactory.getLogger(Worker.class);
    private static final Duration POLL = Duration.ofMillis(250);
    private static final Duration QUEUE_RETRY = Duration.ofSeconds(1);
    /** How often a gather wait looks at the queue again: short against the wait, long against a look at the queue. */
    private static final long GATHER_POLL_NANOS = TimeUnit.MILLISECONDS.toNanos(1);
    /** Idle work waits this long without a job: one-at-a-time clients leave gaps of milliseconds between jobs. */
    static final Duration IDLE_WORK_AFTER = Duration.ofSeconds(1);

    private final String device;
    private final StepBatcher batcher;
    private final JobLeases jobs;
    private final Duration gatherWait;
    private final BooleanSupplier stopping;
    private final Runnable busy;
    private final Runnable idle;
    private final Consumer<Runnable> firstWork;
    private final Consumer<Runnable> idleWork;
    private boolean working;
    private long idleSince = System.nanoTime();
    private int queueFailures;

    /**
     * @param firstWork what the worker does first (measuring its models' costs), given a call to make between its own
     *                  calls: that call serves the queue for one step, so that jobs do not wait for the first work,
     *                  and throws {@link CancellationException} once the worker is stopping
     * @param idleWork  what the worker does when it has had no job for {@link #IDLE_WORK_AFTER} (measuring a model
     *                  again when its calls have run faster than measured), given a call to make between its own
     *                  calls that runs every waiting job to its end first; returns at once when there is nothing to do
     */
    Worker(String device, StepBatcher batcher, JobLeases jobs, Duration gatherWait, BooleanSupplier stopping,
            Runnable busy, Runnable idle, Consumer<Runnable> firstWork, Consumer<Runnable> idleWork) {
        this.device = device;
        this.batcher = batcher;
        this.jobs = jobs;
        this.gatherWait = gatherWait;
        this.stopping = stopping;
        this.busy = busy;
        this.idle = idle;
        this.firstWork = firstWork;
        this.idleWork = idleWork;
    }

    /** Runs until stopped; a stopping worker takes no new job but lets its groups finish (or abort). */
    @Override
    public void run() {
        doOwnWork("first", firstWork, this::serveBetweenCalls);
        while (!stopping.getAsBoolean() || !batcher.isEmpty()) {
            if (!serveOnce(POLL)) {
                return;
            }
            if (batcher.isEmpty() && !stopping.getAsBoolean()
                    && System.nanoTime() - idleSince >= IDLE_WORK_AFTER.toNanos()) {
                doOwnWork("idle", idleWork, this::serveWaitingJobs);
            }
        }
    }

    /** Work of the worker's own, with jobs served between its calls; its failure never takes the worker down. */
    private void doOwnWork(String kind, Consumer<Runnable> work, Runnable betweenCalls) {
        try {
            work.accept(betweenCalls);
        } catch (CancellationException e) {
            log.info("the worker on {} stopped before its {} work was done", device, kind);
        } catch (RuntimeException | Error e) {
            log.error("the {} work of the worker on {} failed; it takes jobs all the same", kind, device, e);
        }
    }

    /** Between two calls of the first work: one step of whatever jobs are waiting, without waiting for one. */
    private void serveBetweenCalls() {
        if (stopping.getAsBoolean() || !serveOnce(Duration.ZERO)) {
            throw new CancellationException("the worker on " + device + " is stopping");
        }
    }

    /** Between two calls of idle work: jobs come first, so every waiting job runs to its end before the next call. */
    private void serveWaitingJobs() {
        do {
            serveBetweenCalls();
        } while (!batcher.isEmpty());
    }

    /**
     * Takes waiting jobs (an idle worker waits up to {@code wait} for one) and runs one step. False if the thread was
     * interrupted: only an empty batcher waits on the queue, so no job is left behind then.
     */
    private boolean serveOnce(Duration wait) {
        try {
            if (!stopping.getAsBoolean()) {
                admitJobsOrWait(wait);
            }
            showBusy();
            if (!batcher.isEmpty()) {
                batcher.step();
            }
            return true;
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            return false;
        } catch (RuntimeException | Error e) {
            log.error("a step on {} failed; its jobs end, the worker goes on", device, e);
            batcher.failAll(e);
            return true;
        } finally {
            showBusy();
        }
    }

    /**
     * A queue that fails (a lost Redis connection, say) must not end the jobs already running: they go on, and
     * the worker asks the queue again after a pause.
     */
    private void admitJobsOrWait(Duration wait) throws InterruptedException {
        try {
            admitJobs(wait);
            queueFailures = 0;
        } catch (RuntimeException e) {
            if (queueFailures++ == 0) {
                log.warn("the job queue failed on {}; retrying every {} ms", device, QUEUE_RETRY.toMillis(), e);
            }
            if (batcher.isEmpty()) {
                Thread.sleep(QUEUE_RETRY.toMillis());
            }
        }
    }

    private void admitJobs(Duration wait) throws InterruptedException {
        if (batcher.isEmpty()) {
            Optional<Job> first = jobs.takeNext(wait);
            if (first.isEmpty()) {
                return;
            }
            batcher.admit(first.get());
            gather();
        }
        while (batcher.hasRoom()) {
            Optional<Job> next = jobs.takeNextIf(batcher::fits);
            if (next.isEmpty()) {
                return;
            }
            batcher.admit(next.get());
        }
    }

    /** A fresh group may wait a moment for jobs that arrive together with its first, to share its first steps. */
    private void gather() {
        long deadline = System.nanoTime() + gatherWait.toNanos();
        while (batcher.hasRoom() && System.nanoTime() < deadline) {
            // parking, unlike sleeping, cannot be interrupted while the batcher holds running jobs
            jobs.takeNextIf(batcher::fits).ifPresentOrElse(batcher::admit,
                    () -> LockSupport.parkNanos(GATHER_POLL_NANOS));
        }
    }

    /** {@code diffusion.workers.busy} counts workers running jobs. */
    private void showBusy() {
        boolean now = !batcher.isEmpty();
        if (now != working) {
            working = now;
            (now ? busy : idle).run();
            if (!now) {
                idleSince = System.nanoTime();
            }
        }
    }
}
