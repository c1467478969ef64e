package dev.diffusion.jobs.redis;

import static org.assertj.core.api.Assertions.assertThat;

import dev.diffusion.jobs.GenerationSpec;
import dev.diffusion.jobs.Job;
import dev.diffusion.jobs.JobEvent;
import dev.diffusion.jobs.JobImage;
import dev.diffusion.jobs.JobServiceTest;
import dev.diffusion.jobs.JobStatus;
import dev.diffusion.testing.RequiresRedis;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.springframework.data.redis.connection.Message;
import org.springframework.data.redis.connection.RedisConnection;

/** Who watches a job, in a real Redis: an API instance marks it, a worker in another process sees the mark. */
@RequiresRedis
class RedisJobEventsTest {

    private TestRedis redis;
    private RedisJobEvents api;
    private RedisJobEvents worker;

    @BeforeEach
    void connect() {
        redis = new TestRedis(Duration.ofSeconds(30));
        api = new RedisJobEvents(redis.template, redis.settings, new JobCodec());
        worker = new RedisJobEvents(redis.template, redis.settings, new JobCodec());
    }

    @AfterEach
    void disconnect() {
        redis.close();
    }

    /** Every API instance hears every event: a step's event must be small, and no event carries files. */
    @Test
    void eventsCrossRedisWithoutTheInitImageOrTheImages() throws Exception {
        byte[] file = new byte[200_000];
        GenerationSpec spec = JobServiceTest.spec().toBuilder()
                .initImage(new GenerationSpec.InitImage(file, 0.5)).build();
        Job running = new Job("j1", JobStatus.RUNNING, spec, null, Instant.EPOCH, Instant.EPOCH, null, 3, 4,
                List.of(), null);
        Job done = new Job("j1", JobStatus.SUCCEEDED, spec, null, Instant.EPOCH, Instant.EPOCH, Instant.EPOCH, 4, 4,
                List.of(new JobImage(0, 1, "image/png", file)), null);
        List<Message> messages = new CopyOnWriteArrayList<>();
        RedisConnection connection = redis.template.getConnectionFactory().getConnection();
        connection.subscribe((message, pattern) -> messages.add(message),
                redis.settings.eventChannel().getBytes(StandardCharsets.UTF_8));
        List<JobEvent> heard = new CopyOnWriteArrayList<>();
        try (AutoCloseable listening = api.subscribe("j1", heard::add)) {
            worker.publish(JobEvent.progress(running, null));
            worker.publish(JobEvent.finished(done));
            long deadline = System.nanoTime() + 5_000_000_000L;
            while (messages.size() < 2 && System.nanoTime() < deadline) {
                Thread.sleep(10);
            }
            messages.forEach(message -> api.onMessage(message, null));
        } finally {
            connection.close();
        }

        assertThat(messages).hasSize(2);
        assertThat(messages.get(0).getBody()).as("a step's event").hasSizeLessThan(300);
        assertThat(new String(messages.get(0).getBody(), StandardCharsets.UTF_8)).doesNotContain("a red circle");
        assertThat(messages.get(1).getBody()).hasSizeLessThan(2_000);
        assertThat(heard).extracting(JobEvent::type).containsExactly("progress", "succeeded");
        assertThat(heard.get(0).step()).isEqualTo(3);
        assertThat(heard.get(1).job().images()).singleElement()
                .satisfies(image -> assertThat(image.data()).as("read from the store when needed").isNull());
    }

    @Test
    void aJobIsWatchedWhileAnyStreamIsOpenAndNoLonger() throws Exception {
        assertThat(worker.watched("j1")).isFalse();

        AutoCloseable first = api.watch("j1");
        AutoCloseable second = api.watch("j1");
        assertThat(worker.watched("j1")).isTrue();
        assertThat(worker.watched("j2")).isFalse();
        assertThat(redis.template.getExpire(redis.settings.watchersKey("j1"))).as("seconds to live").isPositive();

        first.close();
        assertThat(worker.watched("j1")).as("one stream still open").isTrue();
        second.close();
        assertThat(worker.watched("j1")).isFalse();
        assertThat(redis.template.hasKey(redis.settings.watchersKey("j1"))).as("no key left behind").isFalse();
    }
}
