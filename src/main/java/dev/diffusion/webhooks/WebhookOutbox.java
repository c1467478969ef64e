package dev.diffusion.webhooks;

import java.util.Collection;
import java.util.List;
import java.util.Optional;

/**
 * Where deliveries wait until they are sent or dropped: a line per job, in the order they were enqueued. One sender
 * at a time holds a job's line and sends its deliveries one after the other, which keeps them in order across
 * instances; a line whose holder stopped or died is claimed by another.
 */
public interface WebhookOutbox {

    /**
     * Stores a delivery at the end of its job's line, before any attempt to send it.
     *
     * @return true if this instance now holds the line and must send it; false if a sender holds it already
     * @throws OutboxFullException when the outbox has no room left
     */
    boolean append(PendingDelivery delivery);

    /**
     * The first delivery of a line this instance holds; empty when the line is empty, which also lets the line go
     * (at once with appends, so that none is left behind unheld), or when another instance holds it now.
     */
    Optional<PendingDelivery> first(String jobId);

    /** Takes a delivery that was sent or dropped off its line. */
    void remove(PendingDelivery delivery);

    /** Takes hold of the lines that no sender holds (their holder stopped or died); returns their job ids. */
    List<String> claimAbandoned();

    /** Keeps this instance's hold on these lines from lapsing. */
    void renew(Collection<String> jobIds);

    /** Lets these lines go, their deliveries kept for the next holder. */
    void release(Collection<String> jobIds);

    /** The outbox cannot take another delivery. */
    class OutboxFullException extends RuntimeException {

        public OutboxFullException(String message) {
            super(message);
        }
    }
}
