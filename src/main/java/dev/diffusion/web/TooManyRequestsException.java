package dev.diffusion.web;

import java.time.Duration;

/** A client went past one of its quotas: answered as 429 with {@code Retry-After}. */
public class TooManyRequestsException extends RuntimeException {

    private final Duration retryAfter;

    public TooManyRequestsException(String message, Duration retryAfter) {
        super(message);
        this.retryAfter = retryAfter;
    }

    /** {@code Retry-After}'s value: whole seconds, at least 1. */
    public long retryAfterSeconds() {
        return seconds(retryAfter);
    }

    public static long seconds(Duration wait) {
        return Math.max(1, (wait.toMillis() + 999) / 1000);
    }
}
