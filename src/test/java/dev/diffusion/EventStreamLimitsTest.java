package dev.diffusion;

import static org.assertj.core.api.Assertions.assertThat;

import dev.diffusion.api.generate.JobEventStreams;
import dev.diffusion.jobs.Job;
import dev.diffusion.jobs.JobEvent;
import dev.diffusion.jobs.JobEvents;
import dev.diffusion.jobs.JobService;
import java.io.IOException;
import java.io.InputStream;
import java.net.Socket;
import java.net.SocketTimeoutException;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.springframework.beans.factory.annotation.Autowired;
import org.springframework.boot.test.context.SpringBootTest;
import org.springframework.boot.test.web.server.LocalServerPort;

/**
 * Event streams are bounded: per API key and in all, idle ones get heartbeats, and a client that stops reading is cut
 * off without holding up the other streams.
 */
@SpringBootTest(webEnvironment = SpringBootTest.WebEnvironment.RANDOM_PORT, properties = {
    TinyModelApplication.TINY_MODEL, TinyModelApplication.NO_EXTRA_BUNDLED,
    TinyModelApplication.NO_EXTRA_MODELS, TinyModelApplication.CPU,
    "diffusion.security.api-keys=alice:" + EventStreamLimitsTest.ALICE + ",bob:" + EventStreamLimitsTest.BOB,
    "diffusion.events.max-streams-per-key=2", "diffusion.events.max-streams=3", "diffusion.events.heartbeat=200ms",
    "diffusion.events.max-pending=8", "server.tomcat.connection-timeout=2s"})
class EventStreamLimitsTest {

    static final String ALICE = "alice-0123456789abcdef01";
    static final String BOB = "bob-0123456789abcdef0123";

    @LocalServerPort
    int port;

    @Autowired
    JobService jobs;

    @Autowired
    JobEvents events;

    @Autowired
    JobEventStreams streams;

    private final List<Socket> sockets = new ArrayList<>();

    /** Closes the test's streams and waits until the service has let them go, so the next test starts from none. */
    @AfterEach
    void closeStreams() throws Exception {
        for (Socket socket : sockets) {
            socket.close();
        }
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(30);
        while (streams.openStreams() > 0) {
            assertThat(System.nanoTime()).as("the closed streams are let go").isLessThan(deadline);
            Thread.sleep(50);
        }
    }

    /** A job of each key that stays queued or running for the length of a test. */
    private String longJob(String key) throws Exception {
        var response = new HttpTestClient(port).post("/generate", "{\"prompt\": \"a red circle\", \"steps\": 150}",
                "Authorization", "Bearer " + key);
        assertThat(response.statusCode()).isEqualTo(202);
        return HttpTestClient.json(response).get("id").asString();
    }

    /** Opens a stream and reads its status line and headers; returns the socket, unread beyond them. */
    private Socket openStream(String key, String jobId, int receiveBuffer) throws IOException {
        Socket socket = new Socket();
        if (receiveBuffer > 0) {
            socket.setReceiveBufferSize(receiveBuffer);
        }
        socket.connect(new java.net.InetSocketAddress("localhost", port));
        sockets.add(socket);
        socket.setSoTimeout(10_000);
        socket.getOutputStream().write(("GET /jobs/" + jobId + "/events HTTP/1.1\r\nHost: localhost\r\n"
                + "Accept: text/event-stream\r\nAuthorization: Bearer " + key + "\r\n\r\n")
                .getBytes(StandardCharsets.ISO_8859_1));
        return socket;
    }

    private static String status(Socket socket) throws IOException {
        StringBuilder head = new StringBuilder();
        InputStream in = socket.getInputStream();
        while (!head.toString().endsWith("\r\n\r\n")) {
            int b = in.read();
            if (b < 0) {
                break;
            }
            head.append((char) b);
        }
        return head.toString();
    }

    /** What the stream says within {@code millis}. */
    private static String readFor(Socket socket, long millis) throws IOException {
        StringBuilder text = new StringBuilder();
        long deadline = System.nanoTime() + TimeUnit.MILLISECONDS.toNanos(millis);
        socket.setSoTimeout(50);
        byte[] buffer = new byte[65536];
        while (System.nanoTime() < deadline) {
            try {
                int n = socket.getInputStream().read(buffer);
                if (n < 0) {
                    break;
                }
                text.append(new String(buffer, 0, n, StandardCharsets.UTF_8));
            } catch (SocketTimeoutException e) {
                // nothing yet
            }
        }
        return text.toString();
    }

    @Test
    void streamsAreCappedPerKeyAndInAllAndIdleOnesGetHeartbeats() throws Exception {
        String alicesJob = longJob(ALICE);
        String bobsJob = longJob(BOB);
        Socket first = openStream(ALICE, alicesJob, 0);
        assertThat(status(first)).startsWith("HTTP/1.1 200");
        assertThat(status(openStream(ALICE, alicesJob, 0))).startsWith("HTTP/1.1 200");

        String third = status(openStream(ALICE, alicesJob, 0));
        assertThat(third).startsWith("HTTP/1.1 429").contains("Retry-After", "application/problem+json");
        assertThat(status(openStream(BOB, bobsJob, 0))).as("another key: the third of all").startsWith("HTTP/1.1 200");
        assertThat(status(openStream(BOB, bobsJob, 0))).as("a fourth in all").startsWith("HTTP/1.1 503")
                .contains("Retry-After");

        assertThat(readFor(first, 1500)).as("heartbeat comments between the job's events").contains("\n:\n");
        jobs.cancel(alicesJob);
        jobs.cancel(bobsJob);
    }

    @Test
    void aClientThatStopsReadingIsCutOffAndTheOthersGoOn() throws Exception {
        String alicesJob = longJob(ALICE);
        String bobsJob = longJob(BOB);
        Socket stalled = openStream(ALICE, alicesJob, 1024);
        Socket reading = openStream(BOB, bobsJob, 0);
        assertThat(status(reading)).startsWith("HTTP/1.1 200");
        Thread.sleep(300);

        // far more than a stalled socket takes in: previews of 256 KB each
        Job job = jobs.find(alicesJob).orElseThrow();
        for (int i = 0; i < 40; i++) {
            events.publish(JobEvent.progress(job, new byte[256 * 1024]));
        }

        assertThat(readFor(reading, 1000)).as("the other stream is still served").contains("\n:\n");
        // the stalled stream's connection ends: what was sent drains, then the end of the stream
        stalled.setSoTimeout(15_000);
        InputStream in = stalled.getInputStream();
        byte[] buffer = new byte[65536];
        long start = System.nanoTime();
        long read = 0;
        for (int n = in.read(buffer); n >= 0; n = in.read(buffer)) {
            read += n;
            assertThat(System.nanoTime() - start).as("closed within the write timeout")
                    .isLessThan(TimeUnit.SECONDS.toNanos(15));
        }
        assertThat(read).as("far less than was published").isLessThan(40L * 256 * 1024);
        jobs.cancel(alicesJob);
        jobs.cancel(bobsJob);
    }
}
