package dev.diffusion.web;

import jakarta.servlet.http.HttpServletRequest;
import jakarta.servlet.http.HttpServletResponse;
import java.io.IOException;
import java.util.List;
import org.springframework.http.HttpStatus;
import org.springframework.http.MediaType;
import org.springframework.http.ProblemDetail;
import org.springframework.http.converter.json.ProblemDetailJacksonMixin;
import org.springframework.stereotype.Component;
import tools.jackson.databind.json.JsonMapper;

/**
 * Refusals written by servlet filters, which run before Spring MVC and its exception handlers: a problem detail, or
 * the error shape of the feature the path belongs to.
 */
@Component
public class ErrorResponses {

    private static final JsonMapper JSON = JsonMapper.builder()
            .addMixIn(ProblemDetail.class, ProblemDetailJacksonMixin.class).build();

    private final List<ErrorShape> shapes;

    public ErrorResponses(List<ErrorShape> shapes) {
        this.shapes = List.copyOf(shapes);
    }

    /** Answers {@code status}; headers such as {@code Retry-After} must be set before. */
    public void send(HttpServletRequest request, HttpServletResponse response, HttpStatus status, String title,
            String detail, ErrorKind kind) throws IOException {
        response.setStatus(status.value());
        String path = path(request);
        for (ErrorShape shape : shapes) {
            if (shape.appliesTo(path)) {
                shape.write(response, status, detail, kind);
                return;
            }
        }
        ProblemDetail problem = ProblemDetail.forStatusAndDetail(status, detail);
        problem.setTitle(title);
        response.setContentType(MediaType.APPLICATION_PROBLEM_JSON_VALUE);
        JSON.writeValue(response.getOutputStream(), problem);
    }

    /** The request's path within the application. */
    public static String path(HttpServletRequest request) {
        return request.getRequestURI().substring(request.getContextPath().length());
    }
}
