package dev.diffusion.web;

import jakarta.servlet.FilterChain;
import jakarta.servlet.ReadListener;
import jakarta.servlet.ServletException;
import jakarta.servlet.ServletInputStream;
import jakarta.servlet.http.HttpServletRequest;
import jakarta.servlet.http.HttpServletRequestWrapper;
import jakarta.servlet.http.HttpServletResponse;
import java.io.IOException;
import org.springframework.core.Ordered;
import org.springframework.core.annotation.Order;
import org.springframework.http.HttpStatus;
import org.springframework.stereotype.Component;
import org.springframework.web.filter.OncePerRequestFilter;

/**
 * Refuses request bodies over {@code diffusion.limits.max-body-size} with 413: at once when Content-Length says so,
 * and while reading when a chunked body grows past the limit, so a huge body is never buffered.
 */
@Component
@Order(Ordered.HIGHEST_PRECEDENCE + 20)
public class BodySizeLimitFilter extends OncePerRequestFilter {

    /** Bodies smaller than this are not counted against the bytes in flight: they cannot add up to much. */
    private static final long SMALL_BODY = 64 * 1024;

    private final long maxBytes;
    private final ErrorResponses errors;
    private final ByteBudget inFlight;

    public BodySizeLimitFilter(LimitsProperties limits, ErrorResponses errors) {
        this.maxBytes = limits.maxBodySize().toBytes();
        this.errors = errors;
        this.inFlight = new ByteBudget(limits.maxBodyBytesInFlight().toBytes());
    }

    @Override
    protected void doFilterInternal(HttpServletRequest request, HttpServletResponse response, FilterChain chain)
            throws ServletException, IOException {
        if (request.getContentLengthLong() > maxBytes) {
            // the client may still be sending: tell it the connection ends here rather than drain its body
            response.setHeader("Connection", "close");
            errors.send(request, response, HttpStatus.CONTENT_TOO_LARGE, "Request body too large", message(),
                    ErrorKind.INVALID_REQUEST);
            return;
        }
        // a body of unknown length (chunked) may grow to the limit, so it takes the limit from the budget
        long length = request.getContentLengthLong();
        boolean chunked = length < 0 && "chunked".equalsIgnoreCase(request.getHeader("Transfer-Encoding"));
        long reserved = chunked ? maxBytes : length >= SMALL_BODY ? length : 0;
        if (reserved > 0 && !inFlight.tryTake(reserved)) {
            response.setHeader("Connection", "close");
            response.setHeader("Retry-After", ApiExceptionHandler.RETRY_AFTER_SECONDS);
            errors.send(request, response, HttpStatus.SERVICE_UNAVAILABLE, "Service busy",
                    "too many large requests are being received at once; try again shortly",
                    ErrorKind.INVALID_REQUEST);
            return;
        }
        try {
            chain.doFilter(new LimitedRequest(request), response);
        } finally {
            inFlight.giveBack(reserved);
        }
    }

    private String message() {
        return "the request body is larger than the limit of " + maxBytes + " bytes";
    }

    /** Thrown while reading a body past the limit; the exception handler answers 413. */
    public static final class BodyTooLargeException extends IOException {

        BodyTooLargeException(String message) {
            super(message);
        }
    }

    private final class LimitedRequest extends HttpServletRequestWrapper {

        private ServletInputStream stream;

        LimitedRequest(HttpServletRequest request) {
            super(request);
        }

        @Override
        public ServletInputStream getInputStream() throws IOException {
            if (stream == null) {
                stream = new LimitedStream(super.getInputStream());
            }
            return stream;
        }
    }

    private final class LimitedStream extends ServletInputStream {

        private final ServletInputStream in;
        private long read;

        LimitedStream(ServletInputStream in) {
            this.in = in;
        }

        @Override
        public int read() throws IOException {
            int b = in.read();
            if (b >= 0) {
                count(1);
            }
            return b;
        }

        @Override
        public int read(byte[] buffer, int offset, int length) throws IOException {
            int n = in.read(buffer, offset, length);
            if (n > 0) {
                count(n);
            }
            return n;
        }

        private void count(int n) throws BodyTooLargeException {
            read += n;
            if (read > maxBytes) {
                throw new BodyTooLargeException(message());
            }
        }

        @Override
        public boolean isFinished() {
            return in.isFinished();
        }

        @Override
        public boolean isReady() {
            return in.isReady();
        }

        @Override
        public void setReadListener(ReadListener listener) {
            in.setReadListener(listener);
        }
    }
}
