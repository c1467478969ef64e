package dev.diffusion.jobs;

/** A job was not created because the service cannot take it now; the client may retry later (503). */
public class JobRefusedException extends RuntimeException {

    private JobRefusedException(String message) {
        super(message);
    }

    private JobRefusedException(String message, Throwable cause) {
        super(message, cause);
    }

    static JobRefusedException queueFull(int capacity) {
        return new JobRefusedException("the queue is full (" + capacity + " jobs waiting); try again shortly");
    }

    static JobRefusedException queueUnavailable(Throwable cause) {
        return new JobRefusedException("the job queue cannot be reached; try again shortly", cause);
    }

    static JobRefusedException shuttingDown() {
        return new JobRefusedException("the service is shutting down; try another instance or again shortly");
    }
}
