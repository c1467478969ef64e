package dev.diffusion;

import static org.assertj.core.api.Assertions.assertThat;

import java.time.Duration;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.springframework.boot.test.web.server.LocalServerPort;

/**
 * Requests that must be refused before anything reads them, and refusals of the servlet container itself: every one
 * answered as a problem detail, none by reading a body it was not going to use.
 */
@TinyModelService
class RequestHardeningTest {

    private static final Duration QUICK = Duration.ofSeconds(10);

    @LocalServerPort
    int port;

    @Test
    void theOpenPathsAreReadOnlyAndAPromisedHugeBodyIsNeverAwaited() throws Exception {
        // 200 MB promised, none sent: an answer means nothing waited for (or read) the body
        RawHttp.Answer put = RawHttp.send(port, "PUT / HTTP/1.1\r\nHost: localhost\r\n"
                + "Content-Type: application/x-www-form-urlencoded\r\nContent-Length: 200000000", new byte[0], QUICK);
        assertThat(put.status()).isEqualTo(405);
        assertThat(put.hasHeader("Allow", "GET, HEAD")).isTrue();
        assertThat(put.hasHeader("Content-Type", "application/problem+json")).isTrue();

        for (String path : List.of("/actuator/health", "/v3/api-docs", "/index.html", "/swagger-ui.html")) {
            RawHttp.Answer post = RawHttp.send(port, "POST " + path + " HTTP/1.1\r\nHost: localhost\r\n"
                    + "Content-Type: application/json\r\nContent-Length: 2", "{}".getBytes(), QUICK);
            assertThat(post.status()).as(path).isEqualTo(405);
            assertThat(post.body()).as(path).contains("\"status\":405");
        }
        assertThat(RawHttp.send(port, "GET /actuator/health HTTP/1.1\r\nHost: localhost\r\nConnection: close",
                new byte[0], QUICK).status()).isEqualTo(200);
    }

    @Test
    void aBodyOverTheLimitIsRefusedBeforeItIsRead() throws Exception {
        for (String method : List.of("POST", "PUT", "PATCH")) {
            RawHttp.Answer answer = RawHttp.send(port, method + " /generate HTTP/1.1\r\nHost: localhost\r\n"
                    + "Content-Type: application/x-www-form-urlencoded\r\nContent-Length: 200000000", new byte[0],
                    QUICK);
            assertThat(answer.status()).as(method).isEqualTo(413);
            assertThat(answer.hasHeader("Content-Type", "application/problem+json")).as(method).isTrue();
        }
    }

    @Test
    void pathsTheServletContainerRefusesAreProblemDetailsToo() throws Exception {
        for (String path : List.of("/jobs/..%2F..", "/jobs/%00", "/jobs/%zz", "/jobs/a%5Cb%2f")) {
            RawHttp.Answer answer = RawHttp.send(port, "GET " + path + " HTTP/1.1\r\nHost: localhost", new byte[0],
                    QUICK);
            assertThat(answer.status()).as(path).isEqualTo(400);
            assertThat(answer.hasHeader("Content-Type", "application/problem+json")).as(path).isTrue();
            assertThat(answer.body()).as(path).startsWith("{").contains("\"status\":400")
                    .doesNotContain("Tomcat", "Exception", "<html");
        }
    }
}
