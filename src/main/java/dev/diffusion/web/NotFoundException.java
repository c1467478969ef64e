package dev.diffusion.web;

/** No such resource (a job, an image of it) for this caller: answered as 404. */
public class NotFoundException extends RuntimeException {

    public NotFoundException(String message) {
        super(message);
    }
}
