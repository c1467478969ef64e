package dev.diffusion.webhooks;

import java.time.Duration;
import java.util.List;

/** Webhook settings for tests: short waits, loopback listed unless a test says otherwise. */
final class TestSettings {

    static final String SECRET = "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw";

    String secret = SECRET;
    List<String> allowedHosts = List.of("127.0.0.0/8", "::1");
    Duration connectTimeout = Duration.ofSeconds(2);
    Duration readTimeout = Duration.ofSeconds(2);
    int maxAttempts = 5;
    Duration initialBackoff = Duration.ofMillis(20);
    Duration maxBackoff = Duration.ofSeconds(2);
    Duration maxTotalTime = Duration.ofSeconds(30);
    int poolSize = 4;
    int maxPending = 1000;
    Duration claimIdle = Duration.ofSeconds(1);

    WebhookProperties properties() {
        return new WebhookProperties(secret, allowedHosts, connectTimeout, readTimeout, maxAttempts, initialBackoff,
                maxBackoff, maxTotalTime, poolSize, maxPending, claimIdle);
    }
}
