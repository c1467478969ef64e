package dev.diffusion;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import dev.diffusion.testing.RequiresRedis;
import dev.diffusion.testing.TestRedisServer;
import dev.diffusion.webhooks.Receiver;
import dev.diffusion.webhooks.Webhooks;
import java.time.Duration;
import java.util.List;
import java.util.UUID;
import org.junit.jupiter.api.Test;
import org.springframework.beans.factory.annotation.Autowired;
import org.springframework.data.redis.core.StringRedisTemplate;
import org.springframework.test.context.DynamicPropertyRegistry;
import org.springframework.test.context.DynamicPropertySource;
import org.springframework.test.context.TestPropertySource;
import tools.jackson.databind.JsonNode;

/**
 * Every end-to-end test of {@link ServiceEndToEndTest} again with {@code diffusion.queue.backend=redis}, on a real
 * Redis ({@link TestRedisServer}: a container where Docker exists, else a local server): queue, job state, images,
 * events and cancellation all go through Redis.
 */
@RequiresRedis
@TestPropertySource(properties = "diffusion.queue.backend=redis")
class RedisServiceEndToEndTest extends ServiceEndToEndTest {

    private static final String PREFIX = "e2e-" + UUID.randomUUID() + ":";

    @Autowired
    StringRedisTemplate redis;

    @Autowired
    Webhooks webhooks;

    @DynamicPropertySource
    static void redis(DynamicPropertyRegistry properties) {
        properties.add("spring.data.redis.url", TestRedisServer::url);
        properties.add("diffusion.queue.redis.key-prefix", () -> PREFIX);
    }

    @Test
    void theJobAndItsImagesLiveInRedisAndTheQueueReportsItsHealthAndLag() throws Exception {
        JsonNode done = awaitFinished(submit("{\"prompt\": \"a red square\", \"steps\": 2}").get("id").asString());

        String stored = redis.opsForValue().get(PREFIX + "job:" + done.get("id").asString());
        assertThat(stored).contains("\"status\":\"SUCCEEDED\"", "\"mediaType\":\"image/png\"", "\"data\":\"");
        // the outcome is stored before the queue entry is acknowledged (so a crash between loses nothing): a client
        // can see the job finished a moment before its entry is gone
        await().atMost(Duration.ofSeconds(10)).untilAsserted(() ->
                assertThat(redis.opsForStream().size(PREFIX + "jobs")).as("acknowledged entries are deleted").isZero());
        JsonNode health = json(send("GET", "/actuator/health", null, null));
        assertThat(health.get("status").asString()).isEqualTo("UP");
        String metrics = new String(send("GET", "/actuator/prometheus", null, null).body());
        assertThat(metrics).contains("diffusion_queue_depth", "diffusion_queue_lag_seconds");
    }

    @Test
    void deliveriesWaitingInRedisWhenTheInstanceStopsAreSentWhenItStartsAgain() throws Exception {
        try (Receiver receiver = new Receiver()) {
            webhooks.stop();  // as at shutdown: the deliveries stay in Redis, for this instance or another
            String id;
            try {
                id = submit("{\"prompt\": \"a red circle\", \"steps\": 2, \"webhook\": \""
                        + receiver.url("/") + "\", \"webhook_events\": [\"started\", \"succeeded\"]}")
                        .get("id").asString();
                awaitFinished(id);
                // the job is stored as finished before its listeners hear of it, so the last delivery lands just after
                await().atMost(Duration.ofSeconds(10))
                        .until(() -> redis.opsForList().size(PREFIX + "webhooks:line:" + id), size -> size == 2);
                Thread.sleep(300);
                assertThat(receiver.requests()).isEmpty();
            } finally {
                webhooks.start();
            }

            List<JsonNode> bodies = awaitDeliveries(receiver, "job.succeeded");
            assertThat(bodies).extracting(body -> body.get("type").asString())
                    .containsExactly("job.started", "job.succeeded");
            assertThat(redis.hasKey(PREFIX + "webhooks:line:" + id)).as("delivered lines are emptied").isFalse();
        }
    }
}
