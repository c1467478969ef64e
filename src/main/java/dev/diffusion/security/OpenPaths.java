package dev.diffusion.security;

import java.util.List;
import java.util.regex.Pattern;

/**
 * The paths anyone may read without an API key: health, readiness and metrics, the API docs, and the web page's own
 * files (the API calls the page makes are checked as any other). They are for reading only.
 */
final class OpenPaths {

    private static final Pattern SIMPLE_PATH = Pattern.compile("[A-Za-z0-9/._-]*");
    private static final List<String> OPEN_PREFIXES = List.of("/actuator/", "/v3/api-docs", "/swagger-ui");
    private static final List<String> OPEN_PATHS = List.of("/", "/index.html", "/app.js", "/style.css",
            "/favicon.ico", "/actuator", "/swagger-ui.html");

    private OpenPaths() {
    }

    /**
     * Whether a path needs no key. The path is the raw request URI, which the servlet container and Spring MVC
     * decode and normalize later, so anything they could read differently ({@code ..}, {@code ;}, {@code %},
     * {@code //}, {@code \}) is never open: {@code /actuator/..;/generate} must not slip past.
     */
    static boolean isOpen(String path) {
        if (!SIMPLE_PATH.matcher(path).matches() || path.contains("..") || path.contains("//")) {
            return false;
        }
        return OPEN_PATHS.contains(path) || OPEN_PREFIXES.stream().anyMatch(path::startsWith);
    }
}
