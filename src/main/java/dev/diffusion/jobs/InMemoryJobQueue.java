package dev.diffusion.jobs;

import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.LinkedBlockingDeque;
import java.util.concurrent.TimeUnit;

/** The single-process queue: a bounded blocking deque. Nothing outlives the process. */
public class InMemoryJobQueue implements JobQueue {

    private final int capacity;
    private final Clock clock;
    private final LinkedBlockingDeque<String> waiting;
    private final Map<String, Instant> queuedAt = new ConcurrentHashMap<>();

    public InMemoryJobQueue(int capacity, Clock clock) {
        this.capacity = capacity;
        this.clock = clock;
        this.waiting = new LinkedBlockingDeque<>(capacity);
    }

    @Override
    public boolean offer(String jobId) {
        queuedAt.put(jobId, clock.instant());
        if (waiting.offerLast(jobId)) {
            return true;
        }
        queuedAt.remove(jobId);
        return false;
    }

    @Override
    public Optional<String> poll(Duration timeout) throws InterruptedException {
        Optional<String> next = Optional.ofNullable(waiting.pollFirst(timeout.toMillis(), TimeUnit.MILLISECONDS));
        next.ifPresent(queuedAt::remove);
        return next;
    }

    @Override
    public Optional<String> peek() {
        return Optional.ofNullable(waiting.peekFirst());
    }

    @Override
    public boolean remove(String jobId) {
        queuedAt.remove(jobId);
        return waiting.remove(jobId);
    }

    @Override
    public void acknowledge(String jobId) {
        // a taken job is already out of the deque
    }

    @Override
    public void release(String jobId) {
        // nothing outlives the process: the caller ends the job instead
    }

    @Override
    public boolean durable() {
        return false;
    }

    @Override
    public int position(String jobId) {
        int position = 0;
        for (String id : waiting) {
            if (id.equals(jobId)) {
                return position;
            }
            position++;
        }
        return -1;
    }

    @Override
    public int depth() {
        return waiting.size();
    }

    @Override
    public Optional<Instant> oldestWaitingSince() {
        return peek().map(queuedAt::get);
    }

    @Override
    public int capacity() {
        return capacity;
    }
}
