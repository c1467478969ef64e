package dev.diffusion.web;

import org.springframework.http.HttpStatus;

/**
 * A request's {@code Idempotency-Key} was used before by a request still being handled (409), or by one with another
 * body (422).
 */
public class IdempotencyConflictException extends RuntimeException {

    private final HttpStatus status;

    private IdempotencyConflictException(HttpStatus status, String message) {
        super(message);
        this.status = status;
    }

    public static IdempotencyConflictException inProgress() {
        return new IdempotencyConflictException(HttpStatus.CONFLICT, "a request with this Idempotency-Key is still "
                + "being handled; retry when it has been answered");
    }

    public static IdempotencyConflictException differentBody() {
        return new IdempotencyConflictException(HttpStatus.UNPROCESSABLE_CONTENT, "this Idempotency-Key was used "
                + "with another request body; use a new key for a new request");
    }

    public HttpStatus status() {
        return status;
    }
}
