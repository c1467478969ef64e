package dev.diffusion.webhooks;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.awaitility.Awaitility.await;

import ch.qos.logback.classic.Level;
import ch.qos.logback.classic.Logger;
import ch.qos.logback.classic.spi.ILoggingEvent;
import ch.qos.logback.core.read.ListAppender;
import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.time.Clock;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Base64;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.ThreadLocalRandom;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.stream.IntStream;
import javax.net.ssl.SSLSocketFactory;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.slf4j.LoggerFactory;

/** Deliveries to a real HTTP server on the loopback interface (listed in allowed-hosts, unless a test says not). */
class WebhooksDeliveryTest {

    private final SimpleMeterRegistry registry = new SimpleMeterRegistry();
    private final TestSettings settings = new TestSettings();
    private final List<AutoCloseable> toClose = new ArrayList<>();
    private final ListAppender<ILoggingEvent> log = new ListAppender<>();
    private Receiver receiver;

    @BeforeEach
    void listen() throws IOException {
        receiver = closing(new Receiver());
        log.start();
        ((Logger) LoggerFactory.getLogger(Webhooks.class)).addAppender(log);
    }

    @AfterEach
    void stop() throws Exception {
        ((Logger) LoggerFactory.getLogger(Webhooks.class)).detachAppender(log);
        for (int i = toClose.size() - 1; i >= 0; i--) {
            toClose.get(i).close();
        }
    }

    @Test
    void aDeliveryArrivesSignedSoThatAStandardWebhooksReceiverVerifiesIt() throws Exception {
        String body = "{\"id\":\"job-1\",\"status\":\"succeeded\",\"prompt\":\"café ✓\"}";

        webhooks().enqueue(new WebhookDelivery("job-1", WebhookEvent.SUCCEEDED, receiver.url("/hooks?x=1"), null,
                body));

        await().until(() -> count("delivered") == 1);
        Receiver.Request request = receiver.requests().get(0);
        assertThat(request.path()).isEqualTo("/hooks");
        assertThat(request.body()).isEqualTo(body);
        assertThat(request.header("content-type")).isEqualTo("application/json");
        assertThat(request.header("webhook-id")).matches("msg_[A-Za-z0-9_-]{24}");
        assertThat(StandardWebhooksVerifier.verifies(TestSettings.SECRET, request)).isTrue();
        String otherSecret = "whsec_" + Base64.getEncoder().encodeToString(new byte[32]);
        assertThat(StandardWebhooksVerifier.verifies(otherSecret, request)).isFalse();
    }

    @Test
    void anApiKeysOwnSecretSignsItsDeliveries() throws Exception {
        String keySecret = "whsec_" + Base64.getEncoder().encodeToString("0123456789abcdef0123456789abcdef".getBytes());

        webhooks().enqueue(new WebhookDelivery("job-1", WebhookEvent.FAILED, receiver.url("/"), keySecret, "{}"));

        await().until(() -> count("delivered") == 1);
        assertThat(StandardWebhooksVerifier.verifies(keySecret, receiver.requests().get(0))).isTrue();
        assertThat(StandardWebhooksVerifier.verifies(TestSettings.SECRET, receiver.requests().get(0))).isFalse();
    }

    @Test
    void serverErrorsAndTooManyRequestsAreRetriedWithTheSameIdUntilDelivered() {
        AtomicInteger calls = new AtomicInteger();
        receiver.answer(request -> switch (calls.incrementAndGet()) {
            case 1 -> Receiver.Answer.of(500);
            case 2 -> new Receiver.Answer(429, Map.of("Retry-After", "1"), 0);
            case 3 -> Receiver.Answer.of(503);
            default -> Receiver.Answer.of(204);
        });
        long start = System.nanoTime();

        webhooks().enqueue(new WebhookDelivery("job-1", WebhookEvent.STARTED, receiver.url("/"), null, "{}"));

        await().until(() -> count("delivered") == 1);
        assertThat(Duration.ofNanos(System.nanoTime() - start)).as("Retry-After: 1 was waited for")
                .isGreaterThanOrEqualTo(Duration.ofSeconds(1));
        assertThat(count("retried")).isEqualTo(3);
        assertThat(receiver.requests()).hasSize(4)
                .extracting(request -> request.header("webhook-id")).containsOnly(receiver.requests().get(0)
                        .header("webhook-id"));
        assertThat(count("dropped") + count("refused")).isZero();
    }

    @Test
    void aRefusedConnectionIsRetriedUntilTheReceiverListens() throws Exception {
        int port;
        try (ServerSocket reserved = new ServerSocket(0, 1, InetAddress.getLoopbackAddress())) {
            port = reserved.getLocalPort();
        }
        settings.initialBackoff = Duration.ofMillis(200);
        settings.maxAttempts = 20;
        Webhooks webhooks = webhooks();

        webhooks.enqueue(new WebhookDelivery("job-1", WebhookEvent.SUCCEEDED, "http://127.0.0.1:" + port + "/late",
                null, "{}"));
        await().until(() -> count("retried") >= 1);
        Receiver late = closing(new Receiver(port));

        await().until(() -> count("delivered") == 1);
        assertThat(late.requests()).extracting(Receiver.Request::path).containsExactly("/late");
    }

    @Test
    void aDeliveryThatKeepsFailingIsDroppedAfterMaxAttemptsWithAMetricAndAWarning() {
        receiver.answer(request -> Receiver.Answer.of(503));
        settings.maxAttempts = 3;

        webhooks().enqueue(new WebhookDelivery("job-7", WebhookEvent.SUCCEEDED, receiver.url("/"), null, "{}"));

        await().until(() -> count("dropped") == 1);
        assertThat(receiver.requests()).hasSize(3);
        assertThat(count("retried")).isEqualTo(2);
        assertThat(warnings()).anySatisfy(line -> assertThat(line)
                .contains("job job-7", "succeeded", "http://127.0.0.1:" + receiver.port())
                .contains("dropped after 3 attempt(s): HTTP 503; no attempts left"));
    }

    @Test
    void aDeliveryIsDroppedWhenMaxTotalTimeRunsOut() {
        receiver.answer(request -> Receiver.Answer.of(500));
        settings.maxAttempts = 100;
        settings.initialBackoff = Duration.ofMillis(100);
        settings.maxTotalTime = Duration.ofMillis(600);

        webhooks().enqueue(new WebhookDelivery("job-1", WebhookEvent.SUCCEEDED, receiver.url("/"), null, "{}"));

        await().until(() -> count("dropped") == 1);
        assertThat(receiver.requests().size()).isBetween(2, 20);
        assertThat(warnings()).anySatisfy(line -> assertThat(line).contains("max-total-time reached"));
    }

    @Test
    void redirectsAreNotFollowedAndClientErrorsAreNotRetried() {
        receiver.answer(request -> switch (request.path()) {
            case "/moved" -> new Receiver.Answer(307, Map.of("Location", receiver.url("/elsewhere")), 0);
            case "/gone" -> Receiver.Answer.of(410);
            default -> Receiver.Answer.of(200);
        });
        Webhooks webhooks = webhooks();

        webhooks.enqueue(new WebhookDelivery("job-1", WebhookEvent.SUCCEEDED, receiver.url("/moved"), null, "{}"));
        webhooks.enqueue(new WebhookDelivery("job-2", WebhookEvent.SUCCEEDED, receiver.url("/gone"), null, "{}"));

        await().until(() -> count("dropped") == 2);
        assertThat(receiver.requests()).extracting(Receiver.Request::path).containsExactlyInAnyOrder("/moved", "/gone");
        assertThat(count("retried")).isZero();
        assertThat(warnings()).anySatisfy(line -> assertThat(line).contains("HTTP 307"));
    }

    @Test
    void eachJobsDeliveriesArriveInOrderWhileJobsAreSentInParallel() {
        int jobs = 12;
        int events = 8;
        Map<String, AtomicInteger> inFlight = new ConcurrentHashMap<>();
        AtomicInteger sending = new AtomicInteger();
        AtomicInteger mostAtOnce = new AtomicInteger();
        List<String> overlaps = new CopyOnWriteArrayList<>();
        Map<String, List<Integer>> accepted = new ConcurrentHashMap<>();
        receiver.answer(request -> {
            String job = request.path().substring(1);
            if (inFlight.computeIfAbsent(job, j -> new AtomicInteger()).incrementAndGet() > 1) {
                overlaps.add(job);
            }
            mostAtOnce.accumulateAndGet(sending.incrementAndGet(), Math::max);
            try {
                Thread.sleep(ThreadLocalRandom.current().nextInt(15));
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
            sending.decrementAndGet();
            inFlight.get(job).decrementAndGet();
            if (ThreadLocalRandom.current().nextInt(4) == 0) {
                return Receiver.Answer.of(500);
            }
            accepted.computeIfAbsent(job, j -> new CopyOnWriteArrayList<>())
                    .add(Integer.parseInt(request.body()));
            return Receiver.Answer.of(200);
        });
        settings.maxAttempts = 50;
        settings.initialBackoff = Duration.ofMillis(5);
        settings.maxBackoff = Duration.ofMillis(40);
        Webhooks webhooks = webhooks();

        for (int event = 0; event < events; event++) {
            for (int job = 0; job < jobs; job++) {
                webhooks.enqueue(new WebhookDelivery("job-" + job, WebhookEvent.PROGRESS,
                        receiver.url("/job-" + job), null, Integer.toString(event)));
            }
        }

        await().atMost(Duration.ofSeconds(60)).until(() -> count("delivered") == jobs * events);
        assertThat(overlaps).as("jobs with two deliveries in flight at once").isEmpty();
        assertThat(mostAtOnce.get()).as("deliveries in flight at once").isBetween(2, settings.poolSize);
        List<Integer> inOrder = IntStream.range(0, events).boxed().toList();
        for (int job = 0; job < jobs; job++) {
            assertThat(accepted.get("job-" + job)).as("job-%d", job).isEqualTo(inOrder);
        }
        assertThat(count("retried")).isPositive();
    }

    @Test
    void aStoppedInstanceKeepsItsDeliveriesAndSendsThemInOrderWhenStartedAgain() {
        AtomicBoolean up = new AtomicBoolean();
        List<String> accepted = new CopyOnWriteArrayList<>();
        receiver.answer(request -> {
            if (!up.get()) {
                return Receiver.Answer.of(503);
            }
            accepted.add(request.body());
            return Receiver.Answer.of(200);
        });
        settings.maxAttempts = 100;
        Webhooks webhooks = webhooks();
        webhooks.enqueue(new WebhookDelivery("job-1", WebhookEvent.STARTED, receiver.url("/"), null, "0"));
        await().until(() -> count("retried") >= 1);

        webhooks.stop();
        webhooks.enqueue(new WebhookDelivery("job-1", WebhookEvent.SUCCEEDED, receiver.url("/"), null, "1"));
        int triedBeforeStart = receiver.requests().size();
        up.set(true);
        sleep(Duration.ofMillis(300));
        assertThat(receiver.requests()).as("nothing is sent while stopped").hasSize(triedBeforeStart);
        webhooks.start();

        await().until(() -> accepted.size() == 2);
        assertThat(accepted).containsExactly("0", "1");
    }

    @Test
    void whatDoesNotFitTheOutboxIsDroppedAtOnceWithAWarning() {
        receiver.answer(request -> new Receiver.Answer(200, Map.of(), 300));
        settings.maxPending = 2;
        Webhooks webhooks = webhooks();

        for (int event = 0; event < 3; event++) {
            webhooks.enqueue(new WebhookDelivery("job-1", WebhookEvent.PROGRESS, receiver.url("/"), null, "{}"));
        }

        assertThat(count("dropped")).isEqualTo(1);
        assertThat(warnings()).anySatisfy(line -> assertThat(line).contains("could not be stored", "2 deliveries"));
        await().until(() -> count("delivered") == 2);
    }

    @Test
    void loopbackTargetsAreRefusedWhenAllowedHostsDoesNotListThem() {
        settings.allowedHosts = List.of();
        Webhooks webhooks = webhooks();

        for (String url : List.of(receiver.url("/"), "http://localhost:" + receiver.port() + "/",
                "http://[::1]:" + receiver.port() + "/", "http://[::ffff:127.0.0.1]:" + receiver.port() + "/")) {
            assertThatThrownBy(() -> webhooks.checkTarget(url, null)).as(url)
                    .isInstanceOf(WebhookTargetException.class).hasMessageContaining("loopback");
            webhooks.enqueue(new WebhookDelivery("job-1", WebhookEvent.SUCCEEDED, url, null, "{}"));
        }

        await().until(() -> count("refused") == 4);
        assertThat(receiver.requests()).isEmpty();
        assertThat(warnings()).allSatisfy(line -> assertThat(line).contains("refused"));
    }

    @Test
    void checkTargetRefusesWhatADeliveryWouldRefuse() {
        Webhooks webhooks = webhooks();

        assertThat(webhooks.checkTarget(receiver.url("/ok"), null)).hasPath("/ok");
        assertThatThrownBy(() -> webhooks.checkTarget("ftp://127.0.0.1/", null)).hasMessageContaining("http");
        assertThatThrownBy(() -> webhooks.checkTarget("http://no-such-host.invalid/", null))
                .hasMessageContaining("does not resolve");
        settings.secret = "";
        Webhooks unsigned = webhooks();
        assertThatThrownBy(() -> unsigned.checkTarget(receiver.url("/"), null)).hasMessageContaining("secret");
        assertThat(unsigned.checkTarget(receiver.url("/"), TestSettings.SECRET)).isNotNull();
    }

    @Test
    void aReceiverThatStallsOrTricklesIsCutOffAndTheDeliveryRetried() throws Exception {
        settings.readTimeout = Duration.ofMillis(500);
        settings.maxAttempts = 2;
        receiver.answer(request -> new Receiver.Answer(200, Map.of(), 3_000));
        ServerSocket trickler = closing(new ServerSocket(0, 5, InetAddress.getLoopbackAddress()));
        daemon(() -> trickle(trickler, "HTTP/1.1 200 OK\r\nX-Slow: "));
        ServerSocket flooder = closing(new ServerSocket(0, 5, InetAddress.getLoopbackAddress()));
        daemon(() -> trickle(flooder, "HTTP/1.1 200 OK\r\nX-Long: " + "x".repeat(100_000)));
        Webhooks webhooks = webhooks();
        long start = System.nanoTime();

        webhooks.enqueue(new WebhookDelivery("job-1", WebhookEvent.SUCCEEDED, receiver.url("/"), null, "{}"));
        webhooks.enqueue(new WebhookDelivery("job-2", WebhookEvent.SUCCEEDED,
                "http://127.0.0.1:" + trickler.getLocalPort() + "/", null, "{}"));
        webhooks.enqueue(new WebhookDelivery("job-3", WebhookEvent.SUCCEEDED,
                "http://127.0.0.1:" + flooder.getLocalPort() + "/", null, "{}"));

        await().until(() -> count("dropped") == 3);
        assertThat(Duration.ofNanos(System.nanoTime() - start)).isLessThan(Duration.ofSeconds(5));
        assertThat(count("delivered")).isZero();
        assertThat(warnings()).anySatisfy(line -> assertThat(line).contains("job-1", "SocketTimeoutException"))
                .anySatisfy(line -> assertThat(line).contains("job-2", "SocketTimeoutException"))
                .anySatisfy(line -> assertThat(line).contains("job-3", "longer than 16384 bytes"));
    }

    private static void sleep(Duration duration) {
        try {
            Thread.sleep(duration.toMillis());
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }

    private static void daemon(Runnable task) {
        Thread thread = new Thread(task);
        thread.setDaemon(true);
        thread.start();
    }

    /** Answers every connection with {@code head}, a byte every 50 ms, never ending the headers. */
    private static void trickle(ServerSocket server, String head) {
        while (!server.isClosed()) {
            try (Socket socket = server.accept()) {
                InputStream in = socket.getInputStream();
                in.readNBytes(in.available());
                OutputStream out = socket.getOutputStream();
                byte[] bytes = head.getBytes(StandardCharsets.US_ASCII);
                for (int i = 0; i < bytes.length; i++) {
                    out.write(bytes[i]);
                    if (head.length() < 1000) {
                        out.flush();
                        Thread.sleep(50);
                    }
                }
                out.flush();
                Thread.sleep(5_000);
            } catch (IOException | InterruptedException e) {
                // the sender hung up, or the test ended
            }
        }
    }

    private Webhooks webhooks() {
        Webhooks webhooks = new Webhooks(settings.properties(), new InMemoryWebhookOutbox(settings.maxPending),
                registry, Clock.systemUTC(), (SSLSocketFactory) SSLSocketFactory.getDefault());
        webhooks.start();
        return closing(webhooks);
    }

    private double count(String outcome) {
        return registry.get(Webhooks.METRIC).tag("outcome", outcome).counter().count();
    }

    private List<String> warnings() {
        return log.list.stream().filter(event -> event.getLevel() == Level.WARN)
                .map(ILoggingEvent::getFormattedMessage).toList();
    }

    private <T extends AutoCloseable> T closing(T closeable) {
        toClose.add(closeable);
        return closeable;
    }
}
