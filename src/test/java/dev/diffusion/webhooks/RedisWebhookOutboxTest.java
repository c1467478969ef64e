package dev.diffusion.webhooks;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import dev.diffusion.testing.RequiresRedis;
import dev.diffusion.testing.TestRedisServer;
import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import java.net.URI;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.time.temporal.ChronoUnit;
import java.util.ArrayList;
import java.util.List;
import java.util.UUID;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.atomic.AtomicBoolean;
import javax.net.ssl.SSLSocketFactory;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.springframework.data.redis.connection.RedisStandaloneConfiguration;
import org.springframework.data.redis.connection.lettuce.LettuceConnectionFactory;
import org.springframework.data.redis.core.StringRedisTemplate;

/** The outbox in a real Redis: one holder per job's line, lines taken over from dead holders, deliveries resumed. */
@RequiresRedis
class RedisWebhookOutboxTest {

    private static final Duration HOLD = Duration.ofMillis(800);

    private final String prefix = "test-" + UUID.randomUUID() + ":webhooks:";
    private final List<AutoCloseable> toClose = new ArrayList<>();
    private LettuceConnectionFactory connections;
    private StringRedisTemplate redis;
    private Receiver receiver;

    @BeforeEach
    void connect() throws Exception {
        URI uri = URI.create(TestRedisServer.url());
        connections = new LettuceConnectionFactory(new RedisStandaloneConfiguration(uri.getHost(), uri.getPort()));
        connections.afterPropertiesSet();
        connections.start();
        redis = new StringRedisTemplate(connections);
        receiver = new Receiver();
    }

    @AfterEach
    void disconnect() throws Exception {
        for (int i = toClose.size() - 1; i >= 0; i--) {
            toClose.get(i).close();
        }
        receiver.close();
        redis.delete(redis.keys(prefix + "*"));
        connections.destroy();
    }

    @Test
    void oneSenderHoldsAJobsLineUntilItIsEmpty() {
        RedisWebhookOutbox a = outbox("a");
        RedisWebhookOutbox b = outbox("b");
        PendingDelivery first = delivery("job-1", "1");
        PendingDelivery second = delivery("job-1", "2");
        PendingDelivery third = delivery("job-1", "3");

        assertThat(a.append(first)).as("the first append takes hold").isTrue();
        assertThat(a.append(second)).isFalse();
        assertThat(b.append(third)).as("another instance's append joins the line").isFalse();
        assertThat(b.first("job-1")).as("only the holder reads the line").isEmpty();
        assertThat(b.claimAbandoned()).isEmpty();

        for (PendingDelivery expected : List.of(first, second, third)) {
            assertThat(a.first("job-1")).hasValue(expected);
            a.remove(expected);
        }
        assertThat(a.first("job-1")).as("empty: the line is let go").isEmpty();
        assertThat(b.append(delivery("job-1", "4"))).as("so the next append takes hold").isTrue();
    }

    @Test
    void aLineWhoseHolderStoppedRenewingIsClaimedByAnotherInstance() {
        RedisWebhookOutbox dead = outbox("dead");
        RedisWebhookOutbox alive = outbox("alive");
        RedisWebhookOutbox renewing = outbox("renewing");
        PendingDelivery orphan = delivery("job-1", "1");
        dead.append(orphan);
        renewing.append(delivery("job-2", "1"));

        List<String> claimed = new ArrayList<>();
        Instant until = Instant.now().plus(HOLD.multipliedBy(3));
        while (Instant.now().isBefore(until)) {
            renewing.renew(List.of("job-2"));
            alive.renew(claimed);
            claimed.addAll(alive.claimAbandoned());
            sleep(HOLD.dividedBy(4));
        }

        assertThat(claimed).as("claimed once its holder's hold lapsed, and kept").containsExactly("job-1");
        assertThat(alive.first("job-1")).hasValue(orphan);
        assertThat(dead.first("job-1")).as("the dead holder lost it").isEmpty();
    }

    @Test
    void deliveriesStoredByAnInstanceThatDiedAreSentInOrderByAnother() {
        RedisWebhookOutbox dead = outbox("dead"); // stored them, then died before sending: nothing renews its hold
        for (int event = 0; event < 3; event++) {
            dead.append(delivery("job-1", Integer.toString(event)));
            dead.append(delivery("job-2", Integer.toString(event)));
        }

        SimpleMeterRegistry registry = new SimpleMeterRegistry();
        webhooks(outbox("successor"), registry);

        await().atMost(Duration.ofSeconds(20)).until(() -> receiver.requests().size() == 6);
        assertThat(bodies("/job-1")).containsExactly("0", "1", "2");
        assertThat(bodies("/job-2")).containsExactly("0", "1", "2");
        await().until(() -> redis.keys(prefix + "*").isEmpty());
    }

    @Test
    void deliveriesNotYetDeliveredAtShutdownAreSentAfterARestartWithTheirIds() {
        AtomicBoolean up = new AtomicBoolean();
        List<String> accepted = new CopyOnWriteArrayList<>();
        receiver.answer(request -> {
            if (!up.get()) {
                return Receiver.Answer.of(503);
            }
            accepted.add(request.body());
            return Receiver.Answer.of(200);
        });
        SimpleMeterRegistry before = new SimpleMeterRegistry();
        Webhooks first = webhooks(outbox("first"), before);
        first.enqueue(new WebhookDelivery("job-1", WebhookEvent.STARTED, receiver.url("/job-1"), null, "0"));
        first.enqueue(new WebhookDelivery("job-1", WebhookEvent.SUCCEEDED, receiver.url("/job-1"), null, "1"));
        await().until(() -> before.get(Webhooks.METRIC).tag("outcome", "retried").counter().count() >= 1);
        String id = receiver.requests().get(0).header("webhook-id");

        first.close();
        up.set(true);
        webhooks(outbox("restarted"), new SimpleMeterRegistry());

        await().atMost(Duration.ofSeconds(20)).until(() -> accepted.size() == 2);
        assertThat(accepted).containsExactly("0", "1");
        assertThat(receiver.requests()).filteredOn(request -> request.body().equals("0"))
                .extracting(request -> request.header("webhook-id")).containsOnly(id);
    }

    @Test
    void twoInstancesEnqueueingForOneJobKeepItsOrder() {
        Webhooks a = webhooks(outbox("a"), new SimpleMeterRegistry());
        Webhooks b = webhooks(outbox("b"), new SimpleMeterRegistry());

        for (int event = 0; event < 10; event++) {
            (event % 2 == 0 ? a : b).enqueue(new WebhookDelivery("job-1", WebhookEvent.PROGRESS,
                    receiver.url("/job-1"), null, Integer.toString(event)));
        }

        await().atMost(Duration.ofSeconds(20)).until(() -> receiver.requests().size() == 10);
        assertThat(bodies("/job-1")).containsExactly("0", "1", "2", "3", "4", "5", "6", "7", "8", "9");
    }

    private List<String> bodies(String path) {
        return receiver.requests().stream().filter(request -> request.path().equals(path))
                .map(Receiver.Request::body).toList();
    }

    private RedisWebhookOutbox outbox(String holder) {
        return new RedisWebhookOutbox(redis, prefix, holder, HOLD, Duration.ofMinutes(5));
    }

    private Webhooks webhooks(RedisWebhookOutbox outbox, SimpleMeterRegistry registry) {
        TestSettings settings = new TestSettings();
        settings.claimIdle = HOLD;
        settings.initialBackoff = Duration.ofMillis(50);
        settings.maxAttempts = 100;
        Webhooks webhooks = new Webhooks(settings.properties(), outbox, registry, Clock.systemUTC(),
                (SSLSocketFactory) SSLSocketFactory.getDefault());
        webhooks.start();
        toClose.add(webhooks);
        return webhooks;
    }

    private PendingDelivery delivery(String jobId, String body) {
        return new PendingDelivery("msg_" + UUID.randomUUID(), jobId, WebhookEvent.PROGRESS,
                receiver.url("/" + jobId), null, body, Instant.now().truncatedTo(ChronoUnit.MILLIS));
    }

    private static void sleep(Duration duration) {
        try {
            Thread.sleep(duration.toMillis());
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }
}
