package dev.diffusion.api;

/** No job (or no such image of it) under that id: answered as 404. */
public class JobNotFoundException extends RuntimeException {

    public JobNotFoundException(String message) {
        super(message);
    }
}
