package dev.diffusion.webhooks;

import java.io.BufferedInputStream;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.net.SocketTimeoutException;
import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.time.Clock;
import java.time.Duration;
import java.time.ZonedDateTime;
import java.time.format.DateTimeFormatter;
import java.time.format.DateTimeParseException;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.ScheduledFuture;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import javax.net.ssl.SNIHostName;
import javax.net.ssl.SSLParameters;
import javax.net.ssl.SSLSocket;
import javax.net.ssl.SSLSocketFactory;

/**
 * One HTTP/1.1 POST to addresses that were checked before, over a plain socket: the JDK's HTTP client looks host names
 * up itself, which would let a second DNS answer (rebinding) replace the checked address. TLS still verifies the
 * certificate against the URL's host name. Only the status line and headers of the answer are read (at most
 * {@link #MAX_RESPONSE_HEAD} bytes), never its body; redirects are answers like any other and are not followed. The
 * whole exchange after connecting is bounded by the read timeout: a watchdog closes the socket of a receiver that
 * stalls a write or trickles its answer.
 */
final class WebhookTransport {

    static final int MAX_RESPONSE_HEAD = 16 * 1024;

    /** The answer's status, and how long its {@code Retry-After} asks to wait (null if it names no time). */
    record Response(int status, Duration retryAfter) {
    }

    private final Duration connectTimeout;
    private final Duration readTimeout;
    private final SSLSocketFactory tls;
    private final ScheduledExecutorService watchdog;
    private final Clock clock;

    WebhookTransport(Duration connectTimeout, Duration readTimeout, SSLSocketFactory tls,
            ScheduledExecutorService watchdog, Clock clock) {
        this.connectTimeout = connectTimeout;
        this.readTimeout = readTimeout;
        this.tls = tls;
        this.watchdog = watchdog;
        this.clock = clock;
    }

    /** Posts {@code body} to the first of {@code addresses} that accepts a connection. */
    Response post(URI target, List<InetAddress> addresses, Map<String, String> headers, byte[] body)
            throws IOException {
        boolean https = target.getScheme().equalsIgnoreCase("https");
        int port = target.getPort() >= 0 ? target.getPort() : https ? 443 : 80;
        Socket socket = connect(addresses, port);
        AtomicBoolean cutOff = new AtomicBoolean();
        ScheduledFuture<?> stop = watchdog.schedule(() -> {
            cutOff.set(true);
            closeQuietly(socket);
        }, readTimeout.toMillis(), TimeUnit.MILLISECONDS);
        try {
            Socket channel = https ? secured(socket, target.getHost(), port) : socket;
            long deadline = System.nanoTime() + readTimeout.toNanos();
            OutputStream out = channel.getOutputStream();
            out.write(head(target, headers, body.length).getBytes(StandardCharsets.UTF_8));
            out.write(body);
            out.flush();
            return readResponse(channel, deadline);
        } catch (IOException e) {
            if (cutOff.get() && !(e instanceof SocketTimeoutException)) {
                throw new SocketTimeoutException("no complete answer within the read timeout");
            }
            throw e;
        } finally {
            stop.cancel(false);
            closeQuietly(socket);
        }
    }

    private Socket connect(List<InetAddress> addresses, int port) throws IOException {
        IOException last = null;
        for (InetAddress address : addresses) {
            Socket socket = new Socket();
            try {
                socket.connect(new InetSocketAddress(address, port), (int) connectTimeout.toMillis());
                return socket;
            } catch (IOException e) {
                closeQuietly(socket);
                last = e;
            }
        }
        throw last != null ? last : new IOException("no address to connect to");
    }

    private Socket secured(Socket socket, String host, int port) throws IOException {
        String name = host.startsWith("[") ? host.substring(1, host.length() - 1) : host;
        SSLSocket ssl = (SSLSocket) tls.createSocket(socket, name, port, true);
        SSLParameters parameters = ssl.getSSLParameters();
        parameters.setEndpointIdentificationAlgorithm("HTTPS"); // the certificate must name the URL's host
        if (!name.contains(":") && !name.matches("[0-9.]+")) { // SNI names hosts, never addresses
            parameters.setServerNames(List.of(new SNIHostName(name)));
        }
        ssl.setSSLParameters(parameters);
        ssl.startHandshake();
        return ssl;
    }

    private static String head(URI target, Map<String, String> headers, int length) {
        String path = target.getRawPath() == null || target.getRawPath().isEmpty() ? "/" : target.getRawPath();
        StringBuilder head = new StringBuilder("POST ").append(path);
        if (target.getRawQuery() != null) {
            head.append('?').append(target.getRawQuery());
        }
        head.append(" HTTP/1.1\r\nHost: ").append(target.getRawAuthority())
                .append("\r\nContent-Type: application/json\r\nContent-Length: ").append(length)
                .append("\r\nConnection: close\r\nUser-Agent: diffusion-service\r\n");
        headers.forEach((name, value) -> head.append(name).append(": ").append(value).append("\r\n"));
        return head.append("\r\n").toString();
    }

    /** The final status line and its headers; interim (1xx) answers are skipped. */
    private Response readResponse(Socket channel, long deadline) throws IOException {
        HeadReader head = new HeadReader(channel, deadline);
        while (true) {
            String[] status = head.line().split(" ", 3);
            if (status.length < 2 || !status[0].startsWith("HTTP/1.") || !status[1].matches("\\d{3}")) {
                throw new IOException("not an HTTP/1.x answer");
            }
            Duration retryAfter = null;
            for (String line = head.line(); !line.isEmpty(); line = head.line()) {
                int colon = line.indexOf(':');
                if (colon > 0 && line.substring(0, colon).strip().equalsIgnoreCase("Retry-After")) {
                    retryAfter = retryAfter(line.substring(colon + 1).strip());
                }
            }
            int code = Integer.parseInt(status[1]);
            if (code >= 200) {
                return new Response(code, retryAfter);
            }
        }
    }

    /** Reads the lines of an answer's head within the deadline and the size bound. */
    private static final class HeadReader {

        private final Socket channel;
        private final InputStream in;
        private final long deadline;
        private int left = MAX_RESPONSE_HEAD;

        HeadReader(Socket channel, long deadline) throws IOException {
            this.channel = channel;
            this.in = new BufferedInputStream(channel.getInputStream(), 1024);
            this.deadline = deadline;
        }

        String line() throws IOException {
            ByteArrayOutputStream line = new ByteArrayOutputStream();
            while (true) {
                long millis = TimeUnit.NANOSECONDS.toMillis(deadline - System.nanoTime());
                if (millis <= 0) {
                    throw new SocketTimeoutException("no complete answer within the read timeout");
                }
                channel.setSoTimeout((int) Math.min(millis, Integer.MAX_VALUE));
                int next = in.read();
                if (next < 0) {
                    throw new IOException("the connection closed before the answer's headers ended");
                }
                if (--left < 0) {
                    throw new IOException("the answer's headers are longer than " + MAX_RESPONSE_HEAD + " bytes");
                }
                if (next == '\n') {
                    String text = line.toString(StandardCharsets.ISO_8859_1);
                    return text.endsWith("\r") ? text.substring(0, text.length() - 1) : text;
                }
                line.write(next);
            }
        }
    }

    /** Delay-seconds or an HTTP date; null for anything else. */
    private Duration retryAfter(String value) {
        try {
            return value.matches("\\d{1,9}") ? Duration.ofSeconds(Long.parseLong(value))
                    : maxZero(Duration.between(clock.instant(),
                            ZonedDateTime.parse(value, DateTimeFormatter.RFC_1123_DATE_TIME.withLocale(Locale.ROOT))));
        } catch (DateTimeParseException e) {
            return null;
        }
    }

    private static Duration maxZero(Duration duration) {
        return duration.isNegative() ? Duration.ZERO : duration;
    }

    private static void closeQuietly(Socket socket) {
        try {
            socket.close();
        } catch (IOException e) {
            // closing is all that is left to do with it
        }
    }
}
