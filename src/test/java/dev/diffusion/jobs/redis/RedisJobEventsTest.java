package dev.diffusion.jobs.redis;

import static org.assertj.core.api.Assertions.assertThat;

import dev.diffusion.testing.RequiresRedis;
import java.time.Duration;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

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
