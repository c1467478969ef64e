package dev.diffusion.api.generate;

import dev.diffusion.jobs.GenerationSpec;
import dev.diffusion.jobs.Job;
import dev.diffusion.jobs.JobChangeListener;
import dev.diffusion.webhooks.WebhookDelivery;
import dev.diffusion.webhooks.WebhookEvent;
import dev.diffusion.webhooks.Webhooks;
import java.time.Clock;
import java.time.Instant;
import java.util.Locale;
import org.springframework.stereotype.Component;
import tools.jackson.databind.json.JsonMapper;

/**
 * Turns the changes of a job that asked for a webhook into deliveries, in whichever process makes the change (a
 * worker for most, an API instance for the cancellation of a waiting job), hence no {@code ServesApi}. The body
 * follows the Standard Webhooks payload form: {@code type} ({@code job.succeeded}, ...), {@code timestamp}, and
 * {@code data}, the job as {@code GET /jobs/{id}} shows it (image URLs, not bytes).
 */
@Component
public class JobWebhooks implements JobChangeListener {

    /** A delivery's body. */
    record Payload(String type, Instant timestamp, JobView data) {
    }

    private final Webhooks webhooks;
    private final JsonMapper json;
    private final Clock clock;

    public JobWebhooks(Webhooks webhooks, JsonMapper json, Clock clock) {
        this.webhooks = webhooks;
        this.json = json;
        this.clock = clock;
    }

    @Override
    public void changed(String type, Job job) {
        GenerationSpec.Webhook webhook = job.spec().webhook();
        if (webhook == null || !webhook.wants(type)) {
            return;
        }
        String body = json.writeValueAsString(new Payload("job." + type, clock.instant(), JobView.of(job, -1)));
        webhooks.enqueue(new WebhookDelivery(job.id(), WebhookEvent.valueOf(type.toUpperCase(Locale.ROOT)),
                webhook.url(), null, body));
    }
}
