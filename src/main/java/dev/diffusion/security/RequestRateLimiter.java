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
        return buckets.computeIfAbsent(owner, o -> new Bucket(clock.millis())).take(clock.millis());
    }

    /**
     * A key's allowance in exact integer units: a request costs one minute in milliseconds, and every millisecond
     * adds {@code perMinute} units, so a full bucket holds {@code perMinute} requests.
     */
    private final class Bucket {

        private long units;
        private long refilledAt;

        Bucket(long now) {
            this.units = capacity();
            this.refilledAt = now;
        }

        private long capacity() {
            return perMinute * MINUTE_MILLIS;
        }

        synchronized Duration take(long now) {
            // a clock set back refills nothing; a minute refills all (and bounds the product)
            if (now > refilledAt) {
                units = Math.min(capacity(), units + Math.min(now - refilledAt, MINUTE_MILLIS) * perMinute);
                refilledAt = now;
            }
            if (units >= MINUTE_MILLIS) {
                units -= MINUTE_MILLIS;
                return Duration.ZERO;
            }
            return Duration.ofMillis((MINUTE_MILLIS - units + perMinute - 1) / perMinute);
        }
    }
}
