package dev.diffusion;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.Socket;
import java.net.SocketTimeoutException;
import java.nio.charset.StandardCharsets;
import java.time.Duration;

/**
 * HTTP written by hand on a socket, for what {@code java.net.http} will not send: a path it would refuse or normalize,
 * or headers that promise a body that never comes.
 */
final class RawHttp {

    /** What came back: the status line's code and the whole response as text (empty if the server said nothing). */
    record Answer(int status, String text, long millis) {

        String body() {
            int start = text.indexOf("\r\n\r\n");
            return start < 0 ? "" : text.substring(start + 4);
        }

        boolean hasHeader(String name, String value) {
            return text.toLowerCase().contains((name + ": " + value).toLowerCase());
        }
    }

    private RawHttp() {
    }

    /** Sends {@code head} (request line and headers, without the blank line) and {@code body}, then reads the answer. */
    static Answer send(int port, String head, byte[] body, Duration timeout) throws IOException {
        long start = System.nanoTime();
        try (Socket socket = new Socket("localhost", port)) {
            socket.setSoTimeout((int) timeout.toMillis());
            OutputStream out = socket.getOutputStream();
            out.write((head + "\r\n\r\n").getBytes(StandardCharsets.ISO_8859_1));
            out.write(body);
            out.flush();
            ByteArrayOutputStream answer = new ByteArrayOutputStream();
            InputStream in = socket.getInputStream();
            byte[] buffer = new byte[8192];
            try {
                for (int n = in.read(buffer); n > 0; n = in.read(buffer)) {
                    answer.write(buffer, 0, n);
                    if (complete(answer.toString(StandardCharsets.ISO_8859_1))) {
                        break;
                    }
                }
            } catch (SocketTimeoutException | java.net.SocketException e) {
                // whatever came before the timeout or reset is the answer
            }
            String text = answer.toString(StandardCharsets.UTF_8);
            int status = text.startsWith("HTTP/1.1 ") ? Integer.parseInt(text.substring(9, 12)) : -1;
            return new Answer(status, text, (System.nanoTime() - start) / 1_000_000);
        }
    }

    /** Whether a response with a Content-Length has all of its body. */
    private static boolean complete(String text) {
        int end = text.indexOf("\r\n\r\n");
        if (end < 0) {
            return false;
        }
        for (String line : text.substring(0, end).split("\r\n")) {
            if (line.toLowerCase().startsWith("content-length:")) {
                return text.length() - end - 4 >= Integer.parseInt(line.substring(15).trim());
            }
        }
        return false;
    }
}
