package dev.diffusion.jobs.redis;

import dev.diffusion.testing.TestRedisServer;
import java.net.URI;
import java.time.Duration;
import java.util.UUID;
import org.springframework.data.redis.connection.RedisStandaloneConfiguration;
import org.springframework.data.redis.connection.lettuce.LettuceConnectionFactory;
import org.springframework.data.redis.core.StringRedisTemplate;

/** A template on the test Redis, and settings whose key prefix no other test shares. */
final class TestRedis implements AutoCloseable {

    final StringRedisTemplate template;
    final RedisQueueProperties settings;
    private final LettuceConnectionFactory connections;

    TestRedis(Duration claimIdle) {
        URI uri = URI.create(TestRedisServer.url());
        connections = new LettuceConnectionFactory(new RedisStandaloneConfiguration(uri.getHost(), uri.getPort()));
        connections.afterPropertiesSet();
        connections.start();
        template = new StringRedisTemplate(connections);
        settings = new RedisQueueProperties("test-" + UUID.randomUUID() + ":", "diffusion-workers", "", claimIdle,
                Duration.ofHours(1));
    }

    @Override
    public void close() {
        template.delete(template.keys(settings.keyPrefix() + "*"));
        connections.destroy();
    }
}
