package dev.diffusion.security;

import dev.diffusion.web.ErrorKind;
import dev.diffusion.web.ErrorResponses;
import dev.diffusion.web.TooManyRequestsException;
import jakarta.servlet.FilterChain;
import jakarta.servlet.ServletException;
import jakarta.servlet.http.HttpServletRequest;
import jakarta.servlet.http.HttpServletResponse;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.Base64;
import java.util.Optional;
import org.springframework.core.Ordered;
import org.springframework.core.annotation.Order;
import org.springframework.http.HttpHeaders;
import org.springframework.http.HttpStatus;
import org.springframework.stereotype.Component;
import org.springframework.web.filter.OncePerRequestFilter;

/**
 * With API keys configured, every request but health, metrics, API docs and the web page's files must carry
 * {@code Authorization: Bearer <key>} (401 otherwise), and stay within its key's requests per minute (429 with
 * {@code Retry-After}). The key's {@link ApiClient} goes on the request as {@link #CLIENT}, for the controllers to
 * check who owns a job. Runs before the body-size filter, so a stranger's body is never read.
 */
@Component
@Order(Ordered.HIGHEST_PRECEDENCE + 10)
public class ApiKeyFilter extends OncePerRequestFilter {

    /** The request attribute holding the caller's {@link ApiClient}; absent when API keys are off. */
    public static final String CLIENT = ApiKeyFilter.class.getName() + ".client";
    private static final String BEARER = "Bearer ";
    private static final String BASIC = "Basic ";
    private static final String A1111_PATHS = "/sdapi/";
    private static final String CHALLENGE = "Bearer realm=\"diffusion-service\"";

    private final ApiKeys keys;
    private final RequestRateLimiter rateLimiter;
    private final ErrorResponses errors;

    public ApiKeyFilter(ApiKeys keys, RequestRateLimiter rateLimiter, ErrorResponses errors) {
        this.keys = keys;
        this.rateLimiter = rateLimiter;
        this.errors = errors;
    }

    /** The owner id of the request's caller, or null when API keys are off. */
    public static String owner(HttpServletRequest request) {
        return request.getAttribute(CLIENT) instanceof ApiClient client ? client.owner() : null;
    }

    @Override
    protected boolean shouldNotFilter(HttpServletRequest request) {
        if (!keys.enabled()) {
            return true;
        }
        return OpenPaths.isOpen(ErrorResponses.path(request));
    }

    @Override
    protected void doFilterInternal(HttpServletRequest request, HttpServletResponse response, FilterChain chain)
            throws ServletException, IOException {
        String authorization = request.getHeader(HttpHeaders.AUTHORIZATION);
        String presented = presentedKey(authorization, ErrorResponses.path(request));
        Optional<ApiClient> client = presented != null ? keys.authenticate(presented) : Optional.empty();
        if (client.isEmpty()) {
            response.setHeader(HttpHeaders.WWW_AUTHENTICATE,
                    presented != null ? CHALLENGE + ", error=\"invalid_token\"" : CHALLENGE);
            errors.send(request, response, HttpStatus.UNAUTHORIZED, "Unauthorized", presented != null
                            ? "the API key is not valid" : "an API key is required: Authorization: Bearer <key>",
                    ErrorKind.INVALID_API_KEY);
            return;
        }
        Duration wait = rateLimiter.tryAcquire(client.get().owner());
        if (!wait.isZero()) {
            response.setHeader(HttpHeaders.RETRY_AFTER, Long.toString(TooManyRequestsException.seconds(wait)));
            errors.send(request, response, HttpStatus.TOO_MANY_REQUESTS, "Too many requests",
                    "this API key may make " + rateLimiter.perMinute() + " requests per minute",
                    ErrorKind.RATE_LIMITED);
            return;
        }
        request.setAttribute(CLIENT, client.get());
        chain.doFilter(request, response);
    }

    /**
     * The key in {@code Authorization: Bearer <key>}; on AUTOMATIC1111's paths also in HTTP Basic's password, since
     * A1111's clients send its {@code --api-auth user:password} that way (the user name is not checked); null when
     * there is none.
     */
    private static String presentedKey(String authorization, String path) {
        if (authorization == null) {
            return null;
        }
        if (authorization.regionMatches(true, 0, BEARER, 0, BEARER.length())) {
            return authorization.substring(BEARER.length()).strip();
        }
        if (path.startsWith(A1111_PATHS) && authorization.regionMatches(true, 0, BASIC, 0, BASIC.length())) {
            try {
                String credentials = new String(Base64.getDecoder().decode(authorization.substring(BASIC.length())
                        .strip()), StandardCharsets.UTF_8);
                int colon = credentials.indexOf(':');
                return colon < 0 ? null : credentials.substring(colon + 1);
            } catch (IllegalArgumentException e) {
                return null;
            }
        }
        return null;
    }
}
