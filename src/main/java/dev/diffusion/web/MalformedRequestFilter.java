package dev.diffusion.web;

import jakarta.servlet.FilterChain;
import jakarta.servlet.ServletException;
import jakarta.servlet.http.HttpServletRequest;
import jakarta.servlet.http.HttpServletResponse;
import java.io.IOException;
import java.util.Set;
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
 * JSON only; Spring MVC would read a form body into parameters, and fail on a pattern, at an endpoint that does not
 * declare what it consumes (as one whose errors keep their own shape may not);</li>
 * <li>a query string that cannot be decoded (such as {@code ?wait=%ff}): 400. The servlet container throws
 * {@link IllegalStateException} from the first {@code getParameter}, which would reach the handler as a 500.</li>
 * </ul>
 */
@Component
@Order(Ordered.HIGHEST_PRECEDENCE + 30)
public class MalformedRequestFilter extends OncePerRequestFilter {

    private static final Set<String> BODY_METHODS = Set.of("POST", "PUT", "PATCH");

    private final ErrorResponses errors;

    public MalformedRequestFilter(ErrorResponses errors) {
        this.errors = errors;
    }

    @Override
    protected void doFilterInternal(HttpServletRequest request, HttpServletResponse response, FilterChain chain)
            throws ServletException, IOException {
        if (BODY_METHODS.contains(request.getMethod()) && !isJsonOrUnreadable(request.getContentType())) {
            errors.send(request, response, HttpStatus.UNSUPPORTED_MEDIA_TYPE, "Unsupported Media Type",
                    "the body must be JSON, with Content-Type: application/json", ErrorKind.INVALID_REQUEST);
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

    /** Whether the type is JSON; a missing or unreadable one is left to Spring MVC, which answers it with a 415. */
    private static boolean isJsonOrUnreadable(String contentType) {
        if (contentType == null) {
            return true;
        }
        try {
            MediaType type = MediaType.parseMediaType(contentType);
            return !type.isWildcardType() && !type.isWildcardSubtype() && type.getType().equals("application")
                    && (type.getSubtype().equals("json") || type.getSubtype().endsWith("+json"));
        } catch (InvalidMediaTypeException e) {
            return true;
        }
    }
}
