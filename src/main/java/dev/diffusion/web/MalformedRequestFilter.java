package dev.diffusion.web;

import jakarta.servlet.FilterChain;
import jakarta.servlet.ServletException;
import jakarta.servlet.http.HttpServletRequest;
import jakarta.servlet.http.HttpServletResponse;
import java.io.IOException;
import java.util.List;
import java.util.Set;
import java.util.function.Predicate;
import org.springframework.core.Ordered;
import org.springframework.core.annotation.Order;
import org.springframework.http.HttpStatus;
import org.springframework.http.InvalidMediaTypeException;
import org.springframework.http.MediaType;
import org.springframework.stereotype.Component;
import org.springframework.web.filter.OncePerRequestFilter;

/**
 * Refuses, before anything reads them, requests that Spring MVC would fail on with a 500 instead of a 4xx:
 * <ul>
 * <li>a body that is not declared as JSON, or declared as a pattern such as {@code *}{@code /*}: 415. The API takes
 * JSON only, but for the {@link MultipartEndpoints} that take file uploads, which take multipart/form-data only;
 * Spring MVC would read a form body into parameters, and fail on a pattern, at an endpoint that does not declare what
 * it consumes (as one whose errors keep their own shape may not);</li>
 * <li>a query string that cannot be decoded (such as {@code ?wait=%ff}): 400. The servlet container throws
 * {@link IllegalStateException} from the first {@code getParameter}, which would reach the handler as a 500.</li>
 * </ul>
 */
@Component
@Order(Ordered.HIGHEST_PRECEDENCE + 30)
public class MalformedRequestFilter extends OncePerRequestFilter {

    private static final Set<String> BODY_METHODS = Set.of("POST", "PUT", "PATCH");

    private final ErrorResponses errors;
    private final List<MultipartEndpoints> uploads;

    public MalformedRequestFilter(ErrorResponses errors, List<MultipartEndpoints> uploads) {
        this.errors = errors;
        this.uploads = List.copyOf(uploads);
    }

    @Override
    protected void doFilterInternal(HttpServletRequest request, HttpServletResponse response, FilterChain chain)
            throws ServletException, IOException {
        String path = ErrorResponses.path(request);
        boolean upload = uploads.stream().anyMatch(endpoints -> endpoints.takesMultipart(path));
        if (BODY_METHODS.contains(request.getMethod())) {
            if (upload && !isFormUploadOrUnreadable(request.getContentType())) {
                errors.send(request, response, HttpStatus.UNSUPPORTED_MEDIA_TYPE, "Unsupported Media Type",
                        "the body must be a form with file uploads, with Content-Type: multipart/form-data",
                        ErrorKind.INVALID_REQUEST);
                return;
            }
            if (!upload && !isJsonOrUnreadable(request.getContentType())) {
                errors.send(request, response, HttpStatus.UNSUPPORTED_MEDIA_TYPE, "Unsupported Media Type",
                        "the body must be JSON, with Content-Type: application/json", ErrorKind.INVALID_REQUEST);
                return;
            }
        }
        if (upload) {
            // the container would parse the whole upload to list the parameters, here, before the endpoint's own
            // limits and error shape; the endpoint reads its parts only, never parameters, so the query string is
            // never decoded
            chain.doFilter(request, response);
            return;
        }
        try {
            // with a JSON body, only the query string is parsed
            request.getParameterMap();
        } catch (IllegalStateException e) {
            errors.send(request, response, HttpStatus.BAD_REQUEST, "Malformed query string",
                    "the query string cannot be decoded as UTF-8", ErrorKind.INVALID_REQUEST);
            return;
        }
        chain.doFilter(request, response);
    }

    /** Whether the type is JSON (or a {@code +json} type); a missing or unreadable one is left to Spring MVC (415). */
    private static boolean isJsonOrUnreadable(String contentType) {
        return isOrUnreadable(contentType, type -> type.getType().equals("application")
                && (type.getSubtype().equals("json") || type.getSubtype().endsWith("+json")));
    }

    /** Whether the type is multipart/form-data; a missing or unreadable one is left to the endpoint (415). */
    private static boolean isFormUploadOrUnreadable(String contentType) {
        return isOrUnreadable(contentType, MediaType.MULTIPART_FORM_DATA::equalsTypeAndSubtype);
    }

    private static boolean isOrUnreadable(String contentType, Predicate<MediaType> accepted) {
        if (contentType == null) {
            return true;
        }
        try {
            MediaType type = MediaType.parseMediaType(contentType);
            return !type.isWildcardType() && !type.isWildcardSubtype() && accepted.test(type);
        } catch (InvalidMediaTypeException e) {
            return true;
        }
    }
}
