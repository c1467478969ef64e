package dev.diffusion.pipeline;

/** A generation that cannot produce a valid image: the model failed, or its numbers went non-finite. */
public class GenerationException extends RuntimeException {

    public GenerationException(String message) {
        super(message);
    }

    public GenerationException(String message, Throwable cause) {
        super(message, cause);
    }
}
