package dev.diffusion.webhooks;

import static org.assertj.core.api.Assertions.assertThat;

import io.micrometer.core.instrument.MeterRegistry;
import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import java.time.Duration;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;
import org.springframework.boot.autoconfigure.AutoConfigurations;
import org.springframework.boot.context.properties.EnableConfigurationProperties;
import org.springframework.boot.test.context.runner.ApplicationContextRunner;
import org.springframework.boot.validation.autoconfigure.ValidationAutoConfiguration;
import org.springframework.context.annotation.Bean;
import org.springframework.context.annotation.Configuration;
import org.springframework.data.redis.connection.lettuce.LettuceConnectionFactory;
import org.springframework.data.redis.core.StringRedisTemplate;

/** {@code diffusion.webhooks.*} as Spring binds and validates it, and the outbox each backend gets. */
class WebhooksConfigurationTest {

    private final ApplicationContextRunner context = new ApplicationContextRunner()
            .withConfiguration(AutoConfigurations.of(ValidationAutoConfiguration.class))
            .withUserConfiguration(Infrastructure.class, WebhooksConfiguration.class);

    @Configuration(proxyBeanMethods = false)
    @EnableConfigurationProperties(WebhookProperties.class)
    static class Infrastructure {

        @Bean
        MeterRegistry meterRegistry() {
            return new SimpleMeterRegistry();
        }

        @Bean
        StringRedisTemplate redisTemplate() { // never connected: these tests only look at beans
            return new StringRedisTemplate(new LettuceConnectionFactory());
        }
    }

    @Test
    void theDefaultsNeedNoSettingAndKeepTheOutboxInMemory() {
        context.run(started -> {
            assertThat(started).hasNotFailed();
            WebhookProperties settings = started.getBean(WebhookProperties.class);
            assertThat(settings.secret()).isEmpty();
            assertThat(settings.allowedHosts()).isEmpty();
            assertThat(settings.maxAttempts()).isEqualTo(12);
            assertThat(settings.maxTotalTime()).isEqualTo(Duration.ofHours(1));
            assertThat(started.getBean(WebhookOutbox.class)).isInstanceOf(InMemoryWebhookOutbox.class);
            assertThat(started.getBean(MeterRegistry.class).find(Webhooks.METRIC).counters()).hasSize(4);
        });
    }

    @Test
    void theRedisBackendKeepsTheOutboxInRedis() {
        context.withPropertyValues("diffusion.queue.backend=redis")
                .run(started -> assertThat(started.getBean(WebhookOutbox.class))
                        .isInstanceOf(RedisWebhookOutbox.class));
    }

    @Test
    void bindsEverySetting() {
        context.withPropertyValues("diffusion.webhooks.secret=" + TestSettings.SECRET,
                "diffusion.webhooks.allowed-hosts=receiver.internal,10.0.0.0/8,fd00::/8",
                "diffusion.webhooks.max-attempts=3", "diffusion.webhooks.pool-size=2",
                "diffusion.webhooks.read-timeout=20s").run(started -> {
                    WebhookProperties settings = started.getBean(WebhookProperties.class);
                    assertThat(settings.allowedHosts()).containsExactly("receiver.internal", "10.0.0.0/8", "fd00::/8");
                    assertThat(settings.maxAttempts()).isEqualTo(3);
                    assertThat(settings.poolSize()).isEqualTo(2);
                    assertThat(settings.readTimeout()).isEqualTo(Duration.ofSeconds(20));
                });
    }

    @ParameterizedTest
    @CsvSource(delimiter = '|', value = {
            "diffusion.webhooks.secret=plain-text-secret | starts with whsec_",
            "diffusion.webhooks.secret=whsec_c2hvcnQ= | 24 to 64 random bytes, not 5",
            "diffusion.webhooks.allowed-hosts=*.example.com | is neither a host name",
            "diffusion.webhooks.max-attempts=0 | maxAttempts",
            "diffusion.webhooks.pool-size=0 | poolSize",
            "diffusion.webhooks.read-timeout=0s | must be positive",
            "diffusion.webhooks.initial-backoff=1h | longer than max-backoff"})
    void refusesToStartWithSettingsItCannotUseAndSaysWhy(String setting, String reason) {
        context.withPropertyValues(setting).run(started -> {
            assertThat(started).hasFailed();
            StringBuilder messages = new StringBuilder();
            for (Throwable cause = started.getStartupFailure(); cause != null; cause = cause.getCause()) {
                messages.append(cause).append('\n');
            }
            assertThat(messages).contains(reason).doesNotContain("plain-text-secret");
        });
    }
}
