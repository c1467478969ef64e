package dev.diffusion.webhooks;

import io.micrometer.core.instrument.MeterRegistry;
import java.net.InetAddress;
import java.net.UnknownHostException;
import java.time.Clock;
import java.util.UUID;
import javax.net.ssl.SSLSocketFactory;
import org.springframework.beans.factory.annotation.Value;
import org.springframework.boot.autoconfigure.condition.ConditionalOnProperty;
import org.springframework.context.annotation.Bean;
import org.springframework.context.annotation.Configuration;
import org.springframework.data.redis.core.StringRedisTemplate;

/**
 * Webhook delivery, on every instance (workers tell of a job's progress and ending, API instances of cancellations).
 * The outbox follows {@code diffusion.queue.backend}: in memory, or in Redis under the backend's key prefix.
 */
@Configuration(proxyBeanMethods = false)
public class WebhooksConfiguration {

    /** Started and stopped with the context (a lifecycle bean), closed with it. */
    @Bean
    Webhooks webhooks(WebhookProperties settings, WebhookOutbox outbox, MeterRegistry registry) {
        return new Webhooks(settings, outbox, registry, Clock.systemUTC(),
                (SSLSocketFactory) SSLSocketFactory.getDefault());
    }

    @Bean
    @ConditionalOnProperty(name = "diffusion.queue.backend", havingValue = "memory", matchIfMissing = true)
    WebhookOutbox inMemoryWebhookOutbox(WebhookProperties settings) {
        return new InMemoryWebhookOutbox(settings.maxPending());
    }

    @Bean
    @ConditionalOnProperty(name = "diffusion.queue.backend", havingValue = "redis")
    WebhookOutbox redisWebhookOutbox(StringRedisTemplate redis, WebhookProperties settings,
            @Value("${diffusion.queue.redis.key-prefix:diffusion:}") String keyPrefix) {
        return new RedisWebhookOutbox(redis, keyPrefix + "webhooks:", holderName(), settings.claimIdle(),
                settings.maxTotalTime().plus(settings.claimIdle()));
    }

    /** Unique per process, also for a restarted container with the same host name and process id. */
    private static String holderName() {
        String host;
        try {
            host = InetAddress.getLocalHost().getHostName();
        } catch (UnknownHostException e) {
            host = System.getenv().getOrDefault("HOSTNAME", "instance");
        }
        return host + "-" + ProcessHandle.current().pid() + "-" + UUID.randomUUID().toString().substring(0, 8);
    }
}
