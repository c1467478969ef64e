package dev.diffusion.web;

import java.util.List;

/** A request broke one or more bounds; answered as 400 with every field error at once. */
public class RequestValidationException extends RuntimeException {

    private final List<FieldError> errors;

    public RequestValidationException(List<FieldError> errors) {
        super(errors.size() == 1 ? errors.get(0).field() + ": " + errors.get(0).message()
                : errors.size() + " fields are invalid");
        this.errors = List.copyOf(errors);
    }

    public List<FieldError> errors() {
        return errors;
    }
}
