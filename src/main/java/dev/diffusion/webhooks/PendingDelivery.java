package dev.diffusion.webhooks;

import java.time.Instant;

/**
 * A delivery as the outbox keeps it until it is sent or dropped.
 *
 * @param id        the {@code webhook-id}: the same on every attempt, so receivers can drop duplicates
 * @param secret    the API key's own secret, or null for the configured one
 * @param createdAt when it was enqueued: retries stop {@code max-total-time} after it, across restarts too
 */
public record PendingDelivery(String id, String jobId, WebhookEvent event, String url, String secret, String body,
        Instant createdAt) {

    @Override
    public String toString() { // never the secret or the body
        return "PendingDelivery[" + id + ", job " + jobId + ", " + event.id() + "]";
    }
}
