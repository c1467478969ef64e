package dev.diffusion.api;

import java.time.Duration;

/** A client went past its API key's quota: answered as 429 with {@code Retry-After}. */
public class QuotaExceededException extends RuntimeException {

    private final Duration retryAfter;

    public QuotaExceededException(String message, Duration retryAfter) {
        super(message);
        this.retryAfter = retryAfter;
    }

    /** {@code Retry-After}'s value: whole seconds, at least 1. */
    public long retryAfterSeconds() {
        return seconds(retryAfter);
    }

    static long seconds(Duration wait) {
        return Math.max(1, (wait.toMillis() + 999) / 1000);
    }
}
