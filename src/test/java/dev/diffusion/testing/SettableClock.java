package dev.diffusion.testing;

import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.time.ZoneId;
import java.time.ZoneOffset;

/** A clock the test moves by hand, for deadlines and paces; or the system clock where threads race it. */
public final class SettableClock extends Clock {

    private volatile Instant now = Instant.parse("2026-01-01T00:00:00Z");
    private volatile boolean system;

    public void advance(Duration by) {
        now = now.plus(by);
    }

    public void useSystemTime() {
        system = true;
    }

    @Override
    public Instant instant() {
        return system ? Instant.now() : now;
    }

    @Override
    public ZoneId getZone() {
        return ZoneOffset.UTC;
    }

    @Override
    public Clock withZone(ZoneId zone) {
        throw new UnsupportedOperationException();
    }
}
