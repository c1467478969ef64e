package dev.diffusion.webhooks;

import jakarta.validation.constraints.Max;
import jakarta.validation.constraints.Min;
import java.time.Duration;
import java.util.List;
import org.springframework.boot.context.properties.ConfigurationProperties;
import org.springframework.boot.context.properties.bind.DefaultValue;
import org.springframework.validation.annotation.Validated;

/**
 * {@code diffusion.webhooks.*}.
 *
 * @param secret         the signing secret, {@code whsec_} + base64 of 24 to 64 random bytes; blank: only API keys
 *                       with their own secret may ask for webhooks
 * @param allowedHosts   host names, addresses and CIDR ranges that may be targets although they are not public
 *                       (loopback, private, link-local, ...); public addresses need no entry
 * @param connectTimeout how long to wait for a receiver to accept the connection
 * @param readTimeout    how long the whole exchange may take once connected, until the answer's headers
 * @param maxAttempts    attempts per delivery, the first included
 * @param initialBackoff the longest wait before the first retry; each later retry may wait twice as long (full
 *                       jitter: a random wait up to that), up to {@code maxBackoff}
 * @param maxBackoff     the longest wait between two attempts, also when the receiver's Retry-After asks for more
 * @param maxTotalTime   a delivery not done this long after it was enqueued is dropped (image URLs in it expire
 *                       with {@code diffusion.jobs.ttl} anyway)
 * @param poolSize       deliveries sent at once, to different jobs
 * @param maxPending     deliveries that may wait in memory (the memory backend); more are dropped
 * @param claimIdle      with the Redis backend: the deliveries of a job whose sender has not shown life for this
 *                       long are taken over by another instance
 */
@Validated
@ConfigurationProperties("diffusion.webhooks")
public record WebhookProperties(
        @DefaultValue("") String secret,
        @DefaultValue List<String> allowedHosts,
        @DefaultValue("5s") Duration connectTimeout,
        @DefaultValue("15s") Duration readTimeout,
        @Min(1) @Max(100) @DefaultValue("12") int maxAttempts,
        @DefaultValue("1s") Duration initialBackoff,
        @DefaultValue("10m") Duration maxBackoff,
        @DefaultValue("1h") Duration maxTotalTime,
        @Min(1) @Max(64) @DefaultValue("4") int poolSize,
        @Min(1) @DefaultValue("10000") int maxPending,
        @DefaultValue("30s") Duration claimIdle) {

    public WebhookProperties {
        if (!secret.isBlank()) {
            try {
                WebhookSigner.check(secret);
            } catch (IllegalArgumentException e) {
                throw new IllegalArgumentException("diffusion.webhooks.secret: " + e.getMessage());
            }
        }
        new WebhookAddressPolicy(allowedHosts); // refuses entries it cannot read
        for (Duration duration : List.of(connectTimeout, readTimeout, initialBackoff, maxBackoff, maxTotalTime,
                claimIdle)) {
            if (duration.isNegative() || duration.isZero()) {
                throw new IllegalArgumentException("diffusion.webhooks durations must be positive");
            }
        }
        if (initialBackoff.compareTo(maxBackoff) > 0) {
            throw new IllegalArgumentException("diffusion.webhooks.initial-backoff is longer than max-backoff");
        }
    }
}
