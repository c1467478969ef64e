package dev.diffusion.jobs;

import java.security.SecureRandom;
import java.time.Instant;
import java.util.UUID;

/**
 * Job ids as time-ordered UUIDs (RFC 9562 version 7): the creation millisecond, a counter that grows within a
 * millisecond (so that jobs one client submits in the same millisecond are listed in the order they came, listings
 * ordering ties by id), and 62 random bits, so that ids still cannot be guessed or enumerated.
 */
final class JobIds {

    private static final SecureRandom RANDOM = new SecureRandom();
    /** The counter's 12 bits; a new millisecond starts it low, leaving room to count up. */
    private static final int COUNTER_MASK = 0xFFF;

    private long lastMillis = -1;
    private int counter;

    synchronized String next(Instant now) {
        long millis = Math.max(now.toEpochMilli(), lastMillis);
        if (millis == lastMillis) {
            counter++;
            if (counter > COUNTER_MASK) {  // 4096 ids in one millisecond: go on in the next one
                millis++;
                counter = RANDOM.nextInt(COUNTER_MASK / 2);
            }
        } else {
            counter = RANDOM.nextInt(COUNTER_MASK / 2);
        }
        lastMillis = millis;
        long high = (millis & 0xFFFF_FFFF_FFFFL) << 16 | 0x7000L | counter;
        long low = RANDOM.nextLong() & 0x3FFF_FFFF_FFFF_FFFFL | 0x8000_0000_0000_0000L;
        return new UUID(high, low).toString();
    }
}
