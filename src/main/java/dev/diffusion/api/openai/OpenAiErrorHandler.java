package dev.diffusion.api.openai;

import dev.diffusion.jobs.JobRefusedException;
import dev.diffusion.web.ApiExceptionHandler;
import dev.diffusion.web.BodySizeLimitFilter;
import dev.diffusion.web.IdempotencyConflictException;
import dev.diffusion.web.NotFoundException;
import dev.diffusion.web.RequestValidationException;
import dev.diffusion.web.TooManyRequestsException;
import jakarta.servlet.http.HttpServletRequest;
import java.util.stream.Collectors;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.springframework.core.Ordered;
import org.springframework.core.annotation.Order;
import org.springframework.http.HttpHeaders;
import org.springframework.http.HttpStatus;
import org.springframework.http.HttpStatusCode;
import org.springframework.http.MediaType;
import org.springframework.http.ResponseEntity;
import org.springframework.http.converter.HttpMessageNotReadableException;
import org.springframework.web.ErrorResponse;
import org.springframework.web.bind.annotation.ExceptionHandler;
import org.springframework.web.bind.annotation.RestControllerAdvice;
import org.springframework.web.multipart.MaxUploadSizeExceededException;
import org.springframework.web.multipart.MultipartException;

/**
 * Errors of {@link OpenAiImagesController} and {@link OpenAiImageEditsController} in OpenAI's shape, {@code {"error": {message, type, param, code}}}, which
 * OpenAI's SDKs turn into their typed exceptions. Ordered before {@link ApiExceptionHandler}, which answers every
 * other endpoint with problem details.
 */
@RestControllerAdvice(assignableTypes = {OpenAiImagesController.class, OpenAiImageEditsController.class})
@Order(Ordered.HIGHEST_PRECEDENCE)
public class OpenAiErrorHandler {

    static final String INVALID_REQUEST = "invalid_request_error";
    static final String SERVER_ERROR = "server_error";
    /** OpenAI's type for a client past its request limits, with code {@code rate_limit_exceeded}. */
    static final String RATE_LIMIT = "requests";
    private static final Logger log = LoggerFactory.getLogger(OpenAiErrorHandler.class);

    @ExceptionHandler(RequestValidationException.class)
    ResponseEntity<OpenAiError> invalid(RequestValidationException e) {
        String message = e.errors().stream()
                .map(error -> openAiMessageName(error.field()) + ": " + error.message())
                .collect(Collectors.joining("; "));
        return respond(HttpStatus.BAD_REQUEST,
                OpenAiError.of(message, INVALID_REQUEST, openAiParam(e.errors().get(0).field()), null));
    }

    @ExceptionHandler(JobRefusedException.class)
    ResponseEntity<OpenAiError> refused(JobRefusedException e) {
        return serviceUnavailable(e.getMessage(), null);
    }

    @ExceptionHandler(IdempotencyConflictException.class)
    ResponseEntity<OpenAiError> idempotencyConflict(IdempotencyConflictException e) {
        return respond(e.status(), OpenAiError.of(e.getMessage(), INVALID_REQUEST, null, null));
    }

    @ExceptionHandler(NotFoundException.class)
    ResponseEntity<OpenAiError> notFound(NotFoundException e) {
        return respond(HttpStatus.NOT_FOUND, OpenAiError.of(e.getMessage(), INVALID_REQUEST, null, null));
    }

    @ExceptionHandler(TooManyRequestsException.class)
    ResponseEntity<OpenAiError> quota(TooManyRequestsException e) {
        return ResponseEntity.status(HttpStatus.TOO_MANY_REQUESTS)
                .header(HttpHeaders.RETRY_AFTER, Long.toString(e.retryAfterSeconds()))
                .contentType(MediaType.APPLICATION_JSON)
                .body(OpenAiError.of(e.getMessage(), RATE_LIMIT, null, "rate_limit_exceeded"));
    }

    @ExceptionHandler({HttpMessageNotReadableException.class, BodySizeLimitFilter.BodyTooLargeException.class})
    ResponseEntity<OpenAiError> unreadable(Exception e) {
        if (ApiExceptionHandler.findCause(e, BodySizeLimitFilter.BodyTooLargeException.class)
                instanceof BodySizeLimitFilter.BodyTooLargeException tooLarge) {
            return respond(HttpStatus.CONTENT_TOO_LARGE, OpenAiError.of(tooLarge.getMessage(), INVALID_REQUEST,
                    null, null));
        }
        return respond(HttpStatus.BAD_REQUEST, OpenAiError.of(
                ApiExceptionHandler.describe((HttpMessageNotReadableException) e), INVALID_REQUEST, null, null));
    }

    /** An upload (of the edits endpoint) over its limits, or one that is not a readable multipart form. */
    @ExceptionHandler(MultipartException.class)
    ResponseEntity<OpenAiError> unreadableForm(MultipartException e) {
        if (e instanceof MaxUploadSizeExceededException) {
            // the container's message says which limit: the whole upload's, or one file's
            return respond(HttpStatus.CONTENT_TOO_LARGE, OpenAiError.of("the upload is too large: "
                    + innermost(e).getMessage(), INVALID_REQUEST, null, null));
        }
        return respond(HttpStatus.BAD_REQUEST, OpenAiError.of("the body cannot be read as a multipart/form-data form",
                INVALID_REQUEST, null, null));
    }

    /** Spring's own refusals (such as a body that is not JSON) keep their status; anything else is a 500. */
    @ExceptionHandler(Exception.class)
    ResponseEntity<OpenAiError> other(Exception e, HttpServletRequest request) {
        if (e instanceof ErrorResponse spring && spring.getStatusCode().is4xxClientError()) {
            String detail = spring.getBody().getDetail();
            return respond(spring.getStatusCode(), OpenAiError.of(detail != null ? detail : e.getMessage(),
                    INVALID_REQUEST, null, null));
        }
        log.error("unexpected error on {} {}", request.getMethod(), request.getRequestURI(), e);
        return respond(HttpStatus.INTERNAL_SERVER_ERROR, OpenAiError.of(
                "the service failed to handle this request; it has been logged", SERVER_ERROR, null, null));
    }

    static ResponseEntity<OpenAiError> serviceUnavailable(String message, String code) {
        return ResponseEntity.status(HttpStatus.SERVICE_UNAVAILABLE)
                .header(HttpHeaders.RETRY_AFTER, ApiExceptionHandler.RETRY_AFTER_SECONDS)
                .contentType(MediaType.APPLICATION_JSON)
                .body(OpenAiError.of(message, SERVER_ERROR, null, code));
    }

    static ResponseEntity<OpenAiError> respond(HttpStatusCode status, OpenAiError error) {
        return ResponseEntity.status(status).contentType(MediaType.APPLICATION_JSON).body(error);
    }

    private static Throwable innermost(Throwable e) {
        Throwable cause = e;
        while (cause.getCause() != null && cause.getCause() != cause) {
            cause = cause.getCause();
        }
        return cause;
    }

    /** The OpenAI request field that a field of {@code /generate} came from. */
    private static String openAiParam(String field) {
        return switch (field) {
            case "width", "height" -> "size";
            default -> openAiMessageName(field);
        };
    }

    /** Width and height stay named in messages, since a size has two sides that may each be wrong. */
    private static String openAiMessageName(String field) {
        return switch (field) {
            case "num_images" -> "n";
            case "init_image" -> "image";
            default -> field;
        };
    }
}
