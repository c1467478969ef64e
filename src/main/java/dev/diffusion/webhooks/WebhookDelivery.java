package dev.diffusion.webhooks;

import java.util.Objects;

/**
 * One notification to send: {@code body} (the job as {@code GET /jobs/{id}} shows it) to {@code url}, signed with
 * {@code secret}. A job's deliveries arrive in the order they were enqueued.
 *
 * @param secret the API key's own {@code whsec_} secret, or null for {@code diffusion.webhooks.secret}
 */
public record WebhookDelivery(String jobId, WebhookEvent event, String url, String secret, String body) {

    public WebhookDelivery {
        Objects.requireNonNull(jobId, "jobId");
        Objects.requireNonNull(event, "event");
        Objects.requireNonNull(url, "url");
        Objects.requireNonNull(body, "body");
    }

    @Override
    public String toString() { // never the secret or the body
        return "WebhookDelivery[job " + jobId + ", " + event.id() + "]";
    }
}
