package dev.diffusion.web;

/** This instance is at one of its limits for now (not the client's fault): answered as 503 with {@code Retry-After}. */
public class ServiceBusyException extends RuntimeException {

    public ServiceBusyException(String message) {
        super(message);
    }
}
