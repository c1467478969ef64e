package dev.diffusion.jobs;

import java.time.Duration;
import java.util.Optional;
import java.util.concurrent.LinkedBlockingDeque;
import java.util.concurrent.TimeUnit;

/** The single-process queue: a bounded blocking deque. */
public class InMemoryJobQueue implements JobQueue {

    private final int capacity;
    private final LinkedBlockingDeque<String> waiting;

    public InMemoryJobQueue(int capacity) {
        this.capacity = capacity;
        this.waiting = new LinkedBlockingDeque<>(capacity);
    }

    @Override
    public boolean offer(String jobId) {
        return waiting.offerLast(jobId);
    }

    @Override
    public Optional<String> poll(Duration timeout) throws InterruptedException {
        return Optional.ofNullable(waiting.pollFirst(timeout.toMillis(), TimeUnit.MILLISECONDS));
    }

    @Override
    public Optional<String> peek() {
        return Optional.ofNullable(waiting.peekFirst());
    }

    @Override
    public boolean remove(String jobId) {
        return waiting.remove(jobId);
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
    public int capacity() {
        return capacity;
    }
}
