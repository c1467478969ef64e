package dev.diffusion.security;

import dev.diffusion.ServesApi;
import io.micrometer.core.instrument.Gauge;
import io.micrometer.core.instrument.binder.MeterBinder;
import java.time.Clock;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.springframework.context.annotation.Bean;
import org.springframework.context.annotation.Configuration;

/** API keys and the per-key request rate, from {@code diffusion.security.*}. */
@Configuration(proxyBeanMethods = false)
public class SecurityConfiguration {

    private static final Logger log = LoggerFactory.getLogger(SecurityConfiguration.class);

    @Bean
    ApiKeys apiKeys(SecurityProperties settings) {
        ApiKeys keys = ApiKeys.parse(settings.apiKeys());
        SecurityProperties.Quotas quotas = settings.quotas();
        if (keys.enabled()) {
            log.info("API keys on: {} keys; quotas per key: {} active jobs, {} requests per minute (0: no limit)",
                    settings.apiKeys().size(), quotas.maxActiveJobs(), quotas.requestsPerMinute());
        } else if (quotas.maxActiveJobs() > 0 || quotas.requestsPerMinute() > 0) {
            log.warn("diffusion.security.quotas apply per API key, and no key is configured: they are not enforced");
        }
        return keys;
    }

    /**
     * With no keys the API is open to whoever reaches the port: said at start and kept in sight as the gauge
     * {@code diffusion.security.open}, on the instances that serve the API.
     */
    @Bean
    @ServesApi
    MeterBinder openApiGauge(ApiKeys keys) {
        if (!keys.enabled()) {
            log.warn("no API keys are configured (diffusion.security.api-keys): the API is open to whoever reaches "
                    + "this port; configure keys, or keep the port behind a gateway that checks callers");
        }
        return registry -> Gauge.builder("diffusion.security.open", () -> keys.enabled() ? 0 : 1)
                .description("1 while the API takes requests without an API key").register(registry);
    }

    @Bean
    RequestRateLimiter requestRateLimiter(SecurityProperties settings, Clock clock) {
        return new RequestRateLimiter(settings.quotas().requestsPerMinute(), clock);
    }
}
