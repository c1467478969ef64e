package dev.diffusion.api;

import jakarta.servlet.http.HttpServletRequest;
import jakarta.servlet.http.HttpServletResponse;
import java.io.IOException;
import org.springframework.http.HttpStatus;
import org.springframework.http.MediaType;
import org.springframework.http.ProblemDetail;
import org.springframework.http.converter.json.ProblemDetailJacksonMixin;
import tools.jackson.databind.json.JsonMapper;

/**
 * Refusals written by servlet filters, which run before Spring MVC and its exception handlers: a problem detail, or
 * OpenAI's error shape on OpenAI's endpoint, whose clients expect their own.
 */
final class FilterErrors {

    private static final JsonMapper JSON = JsonMapper.builder()
            .addMixIn(ProblemDetail.class, ProblemDetailJacksonMixin.class).build();

    private FilterErrors() {
    }

    /**
     * Answers {@code status}; headers such as {@code Retry-After} must be set before.
     *
     * @param openAiType OpenAI's error type, for its endpoint
     * @param openAiCode OpenAI's error code, or null
     */
    static void send(HttpServletRequest request, HttpServletResponse response, HttpStatus status, String title,
            String detail, String openAiType, String openAiCode) throws IOException {
        response.setStatus(status.value());
        if (path(request).equals(OpenAiImagesController.PATH)) {
            response.setContentType(MediaType.APPLICATION_JSON_VALUE);
            JSON.writeValue(response.getOutputStream(), OpenAiError.of(detail, openAiType, null, openAiCode));
            return;
        }
        ProblemDetail problem = ProblemDetail.forStatusAndDetail(status, detail);
        problem.setTitle(title);
        response.setContentType(MediaType.APPLICATION_PROBLEM_JSON_VALUE);
        JSON.writeValue(response.getOutputStream(), problem);
    }

    /** The request's path within the application. */
    static String path(HttpServletRequest request) {
        return request.getRequestURI().substring(request.getContextPath().length());
    }
}
