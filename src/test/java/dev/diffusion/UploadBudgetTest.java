package dev.diffusion;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.OutputStream;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import org.junit.jupiter.api.Test;
import org.springframework.boot.test.web.server.LocalServerPort;

/**
 * Large bodies being received at once share a budget, so parallel uploads cannot fill an API replica's heap (the
 * test service has 1 MB of it).
 */
@TinyModelService
class UploadBudgetTest {

    private static final String HEAD = "POST /generate HTTP/1.1\r\nHost: localhost\r\nContent-Type: application/json\r\n"
            + "Content-Length: 900000";

    @LocalServerPort
    int port;

    @Test
    void aLargeBodyWaitsForNoneAndIsToldToRetryWhileOthersHoldTheBudget() throws Exception {
        try (Socket slow = new Socket("localhost", port)) {
            // a large upload in progress: its head and the start of its body
            OutputStream out = slow.getOutputStream();
            out.write((HEAD + "\r\n\r\n{\"prompt\": \"").getBytes(StandardCharsets.ISO_8859_1));
            out.flush();

            // once the slow upload holds the budget, another is refused at once (until then it would wait for its body)
            RawHttp.Answer second = RawHttp.send(port, HEAD, new byte[0], Duration.ofSeconds(2));
            long deadline = System.nanoTime() + Duration.ofSeconds(30).toNanos();
            while (second.status() != 503 && System.nanoTime() < deadline) {
                second = RawHttp.send(port, HEAD, new byte[0], Duration.ofSeconds(2));
            }
            assertThat(second.status()).isEqualTo(503);
            assertThat(second.millis()).as("refused without waiting for its body").isLessThan(1500);
            assertThat(second.text()).contains("Retry-After");
            assertThat(second.body()).contains("too many large requests");

            RawHttp.Answer get = RawHttp.send(port, "GET /models HTTP/1.1\r\nHost: localhost\r\nConnection: close",
                    new byte[0], Duration.ofSeconds(10));
            assertThat(get.status()).as("requests without a body are not held back").isEqualTo(200);
            RawHttp.Answer small = RawHttp.send(port, "POST /generate HTTP/1.1\r\nHost: localhost\r\n"
                    + "Content-Type: application/json\r\nContent-Length: 2", "{}".getBytes(), Duration.ofSeconds(10));
            assertThat(small.status()).as("small bodies are not held back").isEqualTo(400);
        }
        // the abandoned upload gives its bytes back as its request ends
        long deadline = System.nanoTime() + Duration.ofSeconds(30).toNanos();
        int status;
        do {
            Thread.sleep(200);
            status = RawHttp.send(port, HEAD, new byte[0], Duration.ofMillis(500)).status();
        } while (status == 503 && System.nanoTime() < deadline);
        assertThat(status).as("another large upload is taken again").isNotEqualTo(503);
    }
}
