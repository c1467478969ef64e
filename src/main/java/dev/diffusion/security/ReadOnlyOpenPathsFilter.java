package dev.diffusion.security;

import dev.diffusion.web.ErrorKind;
import dev.diffusion.web.ErrorResponses;
import jakarta.servlet.FilterChain;
import jakarta.servlet.ServletException;
import jakarta.servlet.http.HttpServletRequest;
import jakarta.servlet.http.HttpServletResponse;
import java.io.IOException;
import java.util.Set;
import org.springframework.core.Ordered;
import org.springframework.core.annotation.Order;
import org.springframework.http.HttpHeaders;
import org.springframework.http.HttpStatus;
import org.springframework.stereotype.Component;
import org.springframework.web.filter.OncePerRequestFilter;

/**
 * The open paths ({@link OpenPaths}) answer GET and HEAD only: any other method is refused with 405 before any
 * filter or handler reads its body, keys or no keys. First of the service's filters.
 */
@Component
@Order(Ordered.HIGHEST_PRECEDENCE + 5)
public class ReadOnlyOpenPathsFilter extends OncePerRequestFilter {

    private static final Set<String> READ_METHODS = Set.of("GET", "HEAD");

    private final ErrorResponses errors;

    public ReadOnlyOpenPathsFilter(ErrorResponses errors) {
        this.errors = errors;
    }

    @Override
    protected boolean shouldNotFilter(HttpServletRequest request) {
        return READ_METHODS.contains(request.getMethod()) || !OpenPaths.isOpen(ErrorResponses.path(request));
    }

    @Override
    protected void doFilterInternal(HttpServletRequest request, HttpServletResponse response, FilterChain chain)
            throws ServletException, IOException {
        response.setHeader(HttpHeaders.ALLOW, "GET, HEAD");
        response.setHeader(HttpHeaders.CONNECTION, "close");  // its body, if any, is never read
        errors.send(request, response, HttpStatus.METHOD_NOT_ALLOWED, "Method not allowed",
                request.getMethod() + " is not allowed here; this path is read-only (GET, HEAD)",
                ErrorKind.INVALID_REQUEST);
    }
}
