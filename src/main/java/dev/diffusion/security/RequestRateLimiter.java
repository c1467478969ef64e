package dev.diffusion.security;

import java.time.Clock;
import java.time.Duration;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;

/**
 * Requests per minute for each API key, as token buckets held in this process: a bucket holds up to a minute's
 * allowance and refills evenly, so a client may send a burst of that size and then its steady rate. With several API
 * replicas, each enforces the limit on the requests it sees.
 */
public final class RequestRateLimiter {

    private static final long MINUTE_MILLIS = Duration.ofMinutes(1).toMillis();

    private final int perMinute;
    private final Clock clock;
    private final Map<String, Bucket> buckets = new ConcurrentHashMap<>();

    /** {@code perMinute} 0 means no limit. */
    public RequestRateLimiter(int perMinute, Clock clock) {
        this.perMinute = perMinute;
        this.clock = clock;
    }

    public int perMinute() {
        return perMinute;
    }

    /**
     * Takes one request from {@code owner}'s allowance: {@link Duration#ZERO} if it may go ahead, else how long until
     * it could (and nothing is taken).
     */
    public Duration tryAcquire(String owner) {
        if (perMinute == 0) {
            return Duration.ZERO;
        }
        return buckets.computeIfAbsent(owner, o -> new Bucket(perMinute, clock.millis())).take(clock.millis());
    }

    private final class Bucket {

        private double tokens;
        private long refilledAt;

        Bucket(double tokens, long now) {
            this.tokens = tokens;
            this.refilledAt = now;
        }

        synchronized Duration take(long now) {
            // a clock set back refills nothing
            long elapsed = Math.max(0, now - refilledAt);
            tokens = Math.min(perMinute, tokens + elapsed * (double) perMinute / MINUTE_MILLIS);
            refilledAt += elapsed;
            if (tokens >= 1) {
                tokens -= 1;
                return Duration.ZERO;
            }
            return Duration.ofMillis((long) Math.ceil((1 - tokens) * MINUTE_MILLIS / perMinute));
        }
    }
}
