package dev.diffusion.security;

import static org.assertj.core.api.Assertions.assertThat;

import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.time.ZoneId;
import java.time.ZoneOffset;
import org.junit.jupiter.api.Test;

class RequestRateLimiterTest {

    /** A clock the test moves by hand. */
    private static final class ManualClock extends Clock {

        private Instant now = Instant.parse("2026-01-01T00:00:00Z");

        void advance(Duration duration) {
            now = now.plus(duration);
        }

        @Override
        public ZoneId getZone() {
            return ZoneOffset.UTC;
        }

        @Override
        public Clock withZone(ZoneId zone) {
            return this;
        }

        @Override
        public Instant instant() {
            return now;
        }
    }

    private final ManualClock clock = new ManualClock();

    @Test
    void aMinutesAllowanceComesAtOnceThenRefillsEvenly() {
        RequestRateLimiter limiter = new RequestRateLimiter(6, clock);
        for (int i = 0; i < 6; i++) {
            assertThat(limiter.tryAcquire("alice")).isZero();
        }
        assertThat(limiter.tryAcquire("alice")).isEqualTo(Duration.ofSeconds(10));
        assertThat(limiter.tryAcquire("bob")).as("each key has its own bucket").isZero();

        clock.advance(Duration.ofSeconds(4));
        assertThat(limiter.tryAcquire("alice")).isEqualTo(Duration.ofSeconds(6));
        clock.advance(Duration.ofSeconds(6));
        assertThat(limiter.tryAcquire("alice")).isZero();
        assertThat(limiter.tryAcquire("alice")).isEqualTo(Duration.ofSeconds(10));

        clock.advance(Duration.ofHours(1));
        for (int i = 0; i < 6; i++) {
            assertThat(limiter.tryAcquire("alice")).as("a bucket holds one minute's allowance at most").isZero();
        }
        assertThat(limiter.tryAcquire("alice")).isPositive();
    }

    @Test
    void zeroMeansNoLimit() {
        RequestRateLimiter limiter = new RequestRateLimiter(0, clock);
        for (int i = 0; i < 10_000; i++) {
            assertThat(limiter.tryAcquire("alice")).isZero();
        }
    }
}
