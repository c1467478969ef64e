package dev.diffusion.security;

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

    @Bean
    RequestRateLimiter requestRateLimiter(SecurityProperties settings, Clock clock) {
        return new RequestRateLimiter(settings.quotas().requestsPerMinute(), clock);
    }
}
