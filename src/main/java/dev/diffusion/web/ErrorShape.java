package dev.diffusion.web;

import jakarta.servlet.http.HttpServletResponse;
import java.io.IOException;
import org.springframework.http.HttpStatus;

/**
 * A feature's own error body, for the refusals that filters write before its controller runs; a bean of each feature
 * that has one. Every path no shape claims gets a problem detail.
 */
public interface ErrorShape {

    /** Whether requests to {@code path} (within the application) expect this shape. */
    boolean appliesTo(String path);

    void write(HttpServletResponse response, HttpStatus status, String detail, ErrorKind kind) throws IOException;
}
