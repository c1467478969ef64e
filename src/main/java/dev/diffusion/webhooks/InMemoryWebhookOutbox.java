package dev.diffusion.webhooks;

import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Collection;
import java.util.Deque;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;

/**
 * The outbox in this process: deliveries survive a failed receiver but not a restart (the Redis backend's outbox
 * does). Bounded, since nothing else limits what waits here.
 */
public class InMemoryWebhookOutbox implements WebhookOutbox {

    private final int capacity;
    private final Map<String, Deque<PendingDelivery>> lines = new LinkedHashMap<>();
    private final Set<String> held = new HashSet<>();
    private int size;

    public InMemoryWebhookOutbox(int capacity) {
        this.capacity = capacity;
    }

    @Override
    public synchronized boolean append(PendingDelivery delivery) {
        if (size >= capacity) {
            throw new OutboxFullException(capacity + " deliveries are waiting already");
        }
        lines.computeIfAbsent(delivery.jobId(), job -> new ArrayDeque<>()).addLast(delivery);
        size++;
        return held.add(delivery.jobId());
    }

    @Override
    public synchronized Optional<PendingDelivery> first(String jobId) {
        Deque<PendingDelivery> line = lines.get(jobId);
        if (line == null || line.isEmpty()) {
            lines.remove(jobId);
            held.remove(jobId);
            return Optional.empty();
        }
        return Optional.of(line.peekFirst());
    }

    @Override
    public synchronized void remove(PendingDelivery delivery) {
        Deque<PendingDelivery> line = lines.get(delivery.jobId());
        if (line != null && line.remove(delivery)) {
            size--;
        }
    }

    @Override
    public synchronized List<String> claimAbandoned() {
        List<String> claimed = new ArrayList<>();
        for (String jobId : lines.keySet()) {
            if (held.add(jobId)) {
                claimed.add(jobId);
            }
        }
        return claimed;
    }

    @Override
    public void renew(Collection<String> jobIds) {
        // nothing lapses in one process
    }

    @Override
    public synchronized void release(Collection<String> jobIds) {
        held.removeAll(jobIds);
    }
}
