package dev.diffusion.jobs.redis;

import dev.diffusion.ServesApi;
import dev.diffusion.jobs.CancelRequests;
import dev.diffusion.jobs.IdempotencyRecords;
import dev.diffusion.jobs.JobQueue;
import dev.diffusion.jobs.JobStore;
import dev.diffusion.jobs.JobsProperties;
import dev.diffusion.jobs.QueueProperties;
import java.net.InetAddress;
import java.net.UnknownHostException;
import org.springframework.boot.autoconfigure.condition.ConditionalOnProperty;
import org.springframework.boot.context.properties.EnableConfigurationProperties;
import org.springframework.boot.health.contributor.Health;
import org.springframework.boot.health.contributor.HealthIndicator;
import org.springframework.context.annotation.Bean;
import org.springframework.context.annotation.Configuration;
import org.springframework.data.redis.connection.RedisConnectionFactory;
import org.springframework.data.redis.core.StringRedisTemplate;
import org.springframework.data.redis.listener.ChannelTopic;
import org.springframework.data.redis.listener.RedisMessageListenerContainer;

/**
 * {@code diffusion.queue.backend=redis}: queue, job snapshots, events and cancellation in Redis, shared by every API
 * and worker instance (connection settings: {@code spring.data.redis.*}).
 */
@Configuration(proxyBeanMethods = false)
@ConditionalOnProperty(name = "diffusion.queue.backend", havingValue = "redis")
@EnableConfigurationProperties(RedisQueueProperties.class)
public class RedisJobsConfiguration {

    @Bean
    JobCodec jobCodec() {
        return new JobCodec();
    }

    @Bean(destroyMethod = "close")
    RedisJobQueue jobQueue(StringRedisTemplate redis, RedisQueueProperties settings, QueueProperties queue) {
        return new RedisJobQueue(redis, settings, consumerName(settings), queue.capacity());
    }

    @Bean
    JobStore jobStore(StringRedisTemplate redis, RedisQueueProperties settings, JobCodec codec, JobsProperties jobs) {
        return new RedisJobStore(redis, settings, codec, jobs.ttl(), jobs.finishedLimits());
    }

    @Bean
    IdempotencyRecords idempotencyRecords(StringRedisTemplate redis, RedisQueueProperties settings,
            JobsProperties jobs) {
        return new RedisIdempotencyRecords(redis, settings, jobs.idempotencyTtl(), JobsProperties.IDEMPOTENCY_CLAIM_TTL);
    }

    @Bean
    RedisJobEvents jobEvents(StringRedisTemplate redis, RedisQueueProperties settings, JobCodec codec) {
        return new RedisJobEvents(redis, settings, codec);
    }

    @Bean
    CancelRequests cancelRequests(StringRedisTemplate redis, RedisQueueProperties settings) {
        return new RedisCancelRequests(redis, settings);
    }

    @Bean
    RedisModelCostBook modelCostBook(StringRedisTemplate redis, RedisQueueProperties settings) {
        return new RedisModelCostBook(redis, settings);
    }

    /** Only instances that answer requests listen to events (SSE streams and {@code wait=true} need them). */
    @Bean
    @ServesApi
    RedisMessageListenerContainer jobEventListener(RedisConnectionFactory connections, RedisJobEvents events,
            RedisQueueProperties settings) {
        RedisMessageListenerContainer container = new RedisMessageListenerContainer();
        container.setConnectionFactory(connections);
        container.addMessageListener(events, new ChannelTopic(settings.eventChannel()));
        return container;
    }

    /** {@code jobQueue} in /actuator/health: whether Redis answers and how many jobs wait. */
    @Bean
    HealthIndicator jobQueueHealthIndicator(JobQueue queue) {
        return () -> Health.up().withDetail("backend", "redis").withDetail("waiting", queue.depth()).build();
    }

    private static String consumerName(RedisQueueProperties settings) {
        if (!settings.consumerName().isBlank()) {
            return settings.consumerName();
        }
        String host;
        try {
            host = InetAddress.getLocalHost().getHostName();
        } catch (UnknownHostException e) {
            host = System.getenv().getOrDefault("HOSTNAME", "worker");
        }
        return host + "-" + ProcessHandle.current().pid();
    }
}
