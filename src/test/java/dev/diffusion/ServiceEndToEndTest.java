package dev.diffusion;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import dev.diffusion.image.EmbeddedParameters;
import dev.diffusion.image.OutputFormat;
import dev.diffusion.webhooks.Receiver;
import dev.diffusion.webhooks.StandardWebhooksVerifier;
import java.awt.image.BufferedImage;
import java.io.ByteArrayInputStream;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import javax.imageio.ImageIO;
import javax.imageio.metadata.IIOMetadataNode;
import org.junit.jupiter.api.Test;
import org.springframework.boot.test.context.SpringBootTest;
import org.springframework.boot.test.web.server.LocalServerPort;
import tools.jackson.databind.JsonNode;
import tools.jackson.databind.json.JsonMapper;

/**
 * The whole path over real HTTP on the bundled model: request, queue, worker, DJL pipeline, PNG, events, cancellation,
 * metrics — with the in-memory backend here, and with Redis in {@link RedisServiceEndToEndTest}.
 */
@SpringBootTest(webEnvironment = SpringBootTest.WebEnvironment.RANDOM_PORT, properties = {
    "diffusion.extra-bundled-models=",
    "diffusion.models-dir=target/no-extra-models",
    "diffusion.workers.devices=cpu",
    "diffusion.workers.preview-every=2",
    "diffusion.webhooks.secret=" + ServiceEndToEndTest.WEBHOOK_SECRET,
    "diffusion.webhooks.allowed-hosts=127.0.0.0/8",
    "diffusion.webhooks.initial-backoff=50ms",
    "diffusion.webhooks.max-backoff=500ms",
    "diffusion.webhooks.claim-idle=1s"})
class ServiceEndToEndTest {

    static final String WEBHOOK_SECRET = "whsec_c2VydmljZS1lbmQtdG8tZW5kLXdlYmhvb2stc2VjcmV0";

    private static final JsonMapper JSON = JsonMapper.builder().build();

    @LocalServerPort
    int port;

    private final HttpClient http = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(5)).build();

    HttpResponse<byte[]> send(String method, String path, String body, String accept) throws Exception {
        HttpRequest.Builder request = HttpRequest.newBuilder(URI.create("http://localhost:" + port + path))
                .timeout(Duration.ofMinutes(2))
                .method(method, body == null ? HttpRequest.BodyPublishers.noBody()
                        : HttpRequest.BodyPublishers.ofString(body));
        if (body != null) {
            request.header("Content-Type", "application/json");
        }
        if (accept != null) {
            request.header("Accept", accept);
        }
        return http.send(request.build(), HttpResponse.BodyHandlers.ofByteArray());
    }

    JsonNode json(HttpResponse<byte[]> response) {
        return JSON.readTree(response.body());
    }

    JsonNode submit(String body) throws Exception {
        HttpResponse<byte[]> response = send("POST", "/generate", body, null);
        assertThat(response.statusCode()).isEqualTo(202);
        return json(response);
    }

    JsonNode awaitFinished(String id) throws Exception {
        long deadline = System.nanoTime() + TimeUnit.MINUTES.toNanos(2);
        while (System.nanoTime() < deadline) {
            JsonNode job = json(send("GET", "/jobs/" + id, null, null));
            if (List.of("succeeded", "failed", "cancelled").contains(job.get("status").asString())) {
                return job;
            }
            Thread.sleep(50);
        }
        throw new AssertionError("job " + id + " did not finish");
    }

    /** The deliveries {@code receiver} got, once the last is of {@code lastType}; each verified as signed. */
    static List<JsonNode> awaitDeliveries(Receiver receiver, String lastType) throws Exception {
        await().atMost(Duration.ofMinutes(1)).until(() -> {
            List<Receiver.Request> got = receiver.requests();
            return !got.isEmpty() && JSON.readTree(got.get(got.size() - 1).body()).get("type").asString()
                    .equals(lastType);
        });
        List<JsonNode> bodies = new ArrayList<>();
        for (Receiver.Request request : receiver.requests()) {
            assertThat(StandardWebhooksVerifier.verifies(WEBHOOK_SECRET, request)).as("signed").isTrue();
            bodies.add(JSON.readTree(request.body()));
        }
        return bodies;
    }

    @Test
    void aWebhookTellsOfTheAskedChangesInOrderSignedWithTheJobAsGetShowsIt() throws Exception {
        try (Receiver receiver = new Receiver()) {
            String id = submit("""
                    {"prompt": "a red circle", "steps": 3, "webhook": "%s",
                     "webhook_events": ["succeeded", "started", "progress"]}""".formatted(receiver.url("/hooks")))
                    .get("id").asString();
            JsonNode done = awaitFinished(id);

            List<JsonNode> bodies = awaitDeliveries(receiver, "job.succeeded");
            List<String> types = bodies.stream().map(body -> body.get("type").asString()).toList();
            assertThat(types.get(0)).isEqualTo("job.started");
            assertThat(types.subList(1, types.size() - 1)).as("every step").hasSize(3).containsOnly("job.progress");
            assertThat(bodies.subList(1, types.size() - 1)).extracting(body -> body.get("data").get("progress")
                    .get("step").asInt()).as("in order").containsExactly(1, 2, 3);
            assertThat(bodies).allSatisfy(body -> assertThat(body.get("data").get("id").asString()).isEqualTo(id));
            assertThat(bodies.get(bodies.size() - 1).get("data")).as("the job as GET /jobs/{id} shows it")
                    .isEqualTo(done);
            assertThat(done.get("images").get(0).get("url").asString()).isEqualTo("/jobs/" + id + "/images/0");
            assertThat(done.get("request").get("webhook_events")).extracting(JsonNode::asString)
                    .containsExactly("started", "progress", "succeeded");
            assertThat(receiver.requests()).extracting(request -> request.header("webhook-id"))
                    .doesNotHaveDuplicates();
            assertThat(receiver.requests()).extracting(Receiver.Request::path).containsOnly("/hooks");
        }
    }

    @Test
    void aWebhookTellsOfTheEndingByDefaultAndIsSentAgainWhenTheReceiverFailed() throws Exception {
        try (Receiver receiver = new Receiver()) {
            AtomicInteger calls = new AtomicInteger();
            receiver.answer(request -> Receiver.Answer.of(calls.incrementAndGet() == 1 ? 503 : 204));
            String id = submit("{\"prompt\": \"a blue square\", \"steps\": 2, \"webhook\": \""
                    + receiver.url("/") + "\"}").get("id").asString();
            awaitFinished(id);

            // the first try is already of the ending's type: wait for the second, which comes after a back-off
            await().atMost(Duration.ofMinutes(1)).until(() -> receiver.requests().size() >= 2);
            List<JsonNode> bodies = awaitDeliveries(receiver, "job.succeeded");
            assertThat(bodies).as("the ending only, tried twice").hasSize(2);
            assertThat(receiver.requests()).extracting(request -> request.header("webhook-id")).as("the same message")
                    .containsOnly(receiver.requests().get(0).header("webhook-id"));
            await().atMost(Duration.ofSeconds(10)).until(() -> new String(send("GET", "/actuator/prometheus", null,
                    null).body()).matches("(?s).*diffusion_webhooks_deliveries_total\\{[^}]*outcome=\"retried\"[^}]*} "
                    + "[1-9].*"));
        }
    }

    @Test
    void aCancelledJobsWebhookTellsOfTheCancellation() throws Exception {
        try (Receiver receiver = new Receiver()) {
            String id = submit("{\"prompt\": \"a green circle\", \"steps\": 150, \"webhook\": \""
                    + receiver.url("/") + "\"}").get("id").asString();
            send("DELETE", "/jobs/" + id, null, null);
            JsonNode done = awaitFinished(id);

            List<JsonNode> bodies = awaitDeliveries(receiver, "job.cancelled");
            assertThat(bodies).hasSize(1);
            assertThat(bodies.get(0).get("data")).isEqualTo(done);
        }
    }

    @Test
    void aWebhookThatMayNotBeSentToIsRefusedAtSubmissionNamingTheField() throws Exception {
        for (String body : List.of(
                "{\"prompt\": \"x\", \"webhook\": \"http://10.1.2.3/hooks\"}",
                "{\"prompt\": \"x\", \"webhook\": \"http://[::1]:8080/\"}",
                "{\"prompt\": \"x\", \"webhook\": \"ftp://example.com/\"}",
                "{\"prompt\": \"x\", \"webhook\": \"not a url\"}")) {
            HttpResponse<byte[]> response = send("POST", "/generate", body, null);
            assertThat(response.statusCode()).as(body).isEqualTo(400);
            assertThat(response.headers().firstValue("Content-Type")).hasValue("application/problem+json");
            assertThat(json(response).get("errors").get(0).get("field").asString()).as(body).isEqualTo("webhook");
        }
        HttpResponse<byte[]> events = send("POST", "/generate", "{\"prompt\": \"x\", \"webhook\": "
                + "\"http://127.0.0.1:9/\", \"webhook_events\": [\"finished\"]}", null);
        assertThat(events.statusCode()).isEqualTo(400);
        assertThat(json(events).get("errors").get(0).get("field").asString()).isEqualTo("webhook_events");
    }

    @Test
    void waitWithAcceptPngAnswersWithTheImageAndItsParameters() throws Exception {
        HttpResponse<byte[]> response = send("POST", "/generate?wait=true",
                "{\"prompt\": \"a red circle on a blue background\", \"seed\": 7, \"steps\": 4}", "image/png");

        assertThat(response.statusCode()).isEqualTo(200);
        assertThat(response.headers().firstValue("Content-Type")).hasValue("image/png");
        BufferedImage image = ImageIO.read(new ByteArrayInputStream(response.body()));
        assertThat(image.getWidth()).isEqualTo(64);
        assertThat(image.getHeight()).isEqualTo(64);
        assertThat(pngText(response.body(), "parameters"))
                .startsWith("a red circle on a blue background\nSteps: 4, Sampler: ")
                .contains("Seed: 7", "Size: 64x64");
    }

    @Test
    void imagesComeInTheAskedFormatWithTheirParametersEmbeddedAsAutomatic1111WritesThem() throws Exception {
        HttpResponse<byte[]> webp = send("POST", "/generate?wait=true", """
                {"prompt": "a red circle", "seed": 3, "steps": 3, "output_format": "webp"}""", "image/webp");
        assertThat(webp.statusCode()).isEqualTo(200);
        assertThat(webp.headers().firstValue("Content-Type")).hasValue("image/webp");
        assertThat(EmbeddedParameters.read(OutputFormat.WEBP, webp.body())).hasValueSatisfying(parameters ->
                assertThat(parameters).startsWith("a red circle\nSteps: 3, ").contains("Seed: 3"));
        assertThat(pixels(webp.body())).as("lossless WebP (compression 100): the PNG's very pixels")
                .isEqualTo(pixels(send("POST", "/generate?wait=true", "{\"prompt\": \"a red circle\", \"seed\": 3, "
                        + "\"steps\": 3}", "image/png").body()));

        JsonNode jpeg = awaitFinished(submit("""
                {"prompt": "a blue square", "seed": 5, "steps": 3, "output_format": "jpeg",
                 "output_compression": 75}""").get("id").asString());
        assertThat(jpeg.get("request").get("output_format").asString()).isEqualTo("jpeg");
        HttpResponse<byte[]> file = send("GET", jpeg.get("images").get(0).get("url").asString(), null, null);
        assertThat(file.headers().firstValue("Content-Type")).hasValue("image/jpeg");
        assertThat(EmbeddedParameters.read(OutputFormat.JPEG, file.body())).hasValueSatisfying(parameters ->
                assertThat(parameters).contains("Seed: 5"));

        JsonNode openAi = json(send("POST", "/v1/images/generations", """
                {"prompt": "a green circle", "size": "64x64", "response_format": "b64_json",
                 "output_format": "jpeg"}""", null));
        byte[] b64 = java.util.Base64.getDecoder().decode(openAi.get("data").get(0).get("b64_json").asString());
        assertThat(EmbeddedParameters.read(OutputFormat.JPEG, b64)).isPresent();
    }

    @Test
    void anAsyncJobCanBePolledAndItsImagesFetchedAndTheSameSeedRepeats() throws Exception {
        String body = "{\"prompt\": \"a small green square\", \"seed\": 11, \"num_images\": 2, \"steps\": 3}";
        JsonNode queued = submit(body);
        JsonNode done = awaitFinished(queued.get("id").asString());

        assertThat(done.get("status").asString()).isEqualTo("succeeded");
        assertThat(done.get("request").get("seed").asLong()).isEqualTo(11);
        assertThat(done.get("images")).hasSize(2);
        assertThat(done.get("images").get(1).get("seed").asLong()).isEqualTo(12);
        assertThat(done.get("started_at").isNull()).isFalse();
        assertThat(done.get("finished_at").isNull()).isFalse();
        HttpResponse<byte[]> first = send("GET", done.get("images").get(0).get("url").asString(), null, null);
        assertThat(first.statusCode()).isEqualTo(200);
        assertThat(first.headers().firstValue("Content-Type")).hasValue("image/png");

        JsonNode again = awaitFinished(submit(body).get("id").asString());
        HttpResponse<byte[]> repeat = send("GET", again.get("images").get(0).get("url").asString(), null, null);
        assertThat(pixels(repeat.body())).isEqualTo(pixels(first.body()));
    }

    @Test
    void eventsStreamQueuedStartedProgressWithPreviewsAndSucceeded() throws Exception {
        JsonNode queued = submit("{\"prompt\": \"a blue triangle\", \"steps\": 40}");
        List<String> events = new ArrayList<>();
        List<String> data = new ArrayList<>();
        HttpRequest request = HttpRequest.newBuilder(
                URI.create("http://localhost:" + port + "/jobs/" + queued.get("id").asString() + "/events"))
                .header("Accept", "text/event-stream").timeout(Duration.ofMinutes(2)).build();

        http.send(request, HttpResponse.BodyHandlers.ofLines()).body().forEach(line -> {
            if (line.startsWith("event:")) {
                events.add(line.substring(6).trim());
            } else if (line.startsWith("data:")) {
                data.add(line.substring(5).trim());
            }
        });

        assertThat(events).first().isEqualTo("queued");
        assertThat(events).contains("started", "progress").last().isEqualTo("succeeded");
        assertThat(events.indexOf("started")).isLessThan(events.indexOf("progress"));
        assertThat(data).anyMatch(d -> d.contains("\"preview\":\"data:image/png;base64,"));
        assertThat(data).anyMatch(d -> d.contains("\"step\":40") && d.contains("\"total_steps\":40"));
    }

    @Test
    void runningJobsStopAtTheirNextStepWhenCancelledAndAQueuedOneNeverRuns() throws Exception {
        new HttpTestClient(port).awaitCostsMeasured();  // sizes above 64 are taken once the model is measured
        // a worker runs up to four groups of one size each (diffusion.batching.max-groups), so a fifth size waits at
        // the head of the queue
        List<String> running = new ArrayList<>();
        for (int width : List.of(64, 96, 128, 160)) {
            running.add(submit("{\"prompt\": \"a slow one\", \"steps\": 150, \"width\": " + width + "}")
                    .get("id").asString());
        }
        for (String id : running) {
            waitForStatus(id, "running");
        }
        JsonNode waiting = submit("{\"prompt\": \"never runs\", \"steps\": 150, \"width\": 192}");

        JsonNode cancelledWaiting = json(send("DELETE", "/jobs/" + waiting.get("id").asString(), null, null));
        for (String id : running) {
            assertThat(json(send("DELETE", "/jobs/" + id, null, null)).get("status").asString())
                    .isIn("running", "cancelled");
        }

        assertThat(cancelledWaiting.get("status").asString()).isEqualTo("cancelled");
        assertThat(cancelledWaiting.get("started_at").isNull()).isTrue();
        for (String id : running) {
            JsonNode ended = awaitFinished(id);
            assertThat(ended.get("status").asString()).isEqualTo("cancelled");
            assertThat(ended.get("progress").get("step").asInt()).isLessThan(150);
            assertThat(ended.get("images")).isEmpty();
        }
        assertThat(awaitFinished(waiting.get("id").asString()).get("started_at").isNull()).isTrue();
    }

    @Test
    void anInvalidRequestIsA400ProblemAndNoJob() throws Exception {
        HttpResponse<byte[]> response = send("POST", "/generate", "{\"prompt\": \"x\", \"steps\": 100000}", null);

        assertThat(response.statusCode()).isEqualTo(400);
        assertThat(response.headers().firstValue("Content-Type")).hasValue("application/problem+json");
        assertThat(json(response).get("errors").get(0).get("field").asString()).isEqualTo("steps");
    }

    /** The model's allowed sizes, once its worker has measured its costs (as its first work, after readiness). */
    private JsonNode awaitMeasured() throws Exception {
        long deadline = System.nanoTime() + TimeUnit.MINUTES.toNanos(2);
        while (true) {
            JsonNode allowed = json(send("GET", "/models", null, null)).get(0).get("allowed_sizes");
            if (!allowed.isNull()) {
                return allowed;
            }
            assertThat(System.nanoTime()).as("the model's costs get measured").isLessThan(deadline);
            Thread.sleep(100);
        }
    }

    @Test
    void isReadyAndPublishesTheDesignedMetricsAndApiDocs() throws Exception {
        awaitFinished(submit("{\"prompt\": \"metrics\", \"steps\": 2}").get("id").asString());

        assertThat(json(send("GET", "/actuator/health/readiness", null, null)).get("status").asString())
                .isEqualTo("UP");
        assertThat(json(send("GET", "/actuator/health/liveness", null, null)).get("status").asString())
                .isEqualTo("UP");
        String metrics = new String(send("GET", "/actuator/prometheus", null, null).body());
        assertThat(metrics).contains("diffusion_jobs_submitted_total", "diffusion_jobs_finished_total{",
                "status=\"succeeded\"", "diffusion_queue_depth", "diffusion_queue_wait_seconds_bucket",
                "diffusion_job_duration_seconds_bucket", "diffusion_unet_step_seconds_bucket",
                "batch_size=\"1\"", "diffusion_batch_size", "diffusion_images_generated_total",
                "diffusion_model_call_seconds_bucket", "network=\"text_encoder\"", "network=\"vae_decoder\"",
                "diffusion_workers_busy");
        assertThat(metrics).as("no API keys here: the API is open, and says so")
                .containsPattern("diffusion_security_open(\\{[^}]*\\})? 1.0");
        assertThat(metrics).doesNotContain("metrics\"");  // tags never carry prompts
        JsonNode allowed = awaitMeasured();
        assertThat(allowed.get("measured_on").asString()).as("the worker measured the model as its first work")
                .isEqualTo("cpu()");
        assertThat(allowed.get("max_square").asInt()).as("at least the model's own size").isGreaterThanOrEqualTo(64);
        assertThat(allowed.get("max_native_memory").asLong()).isPositive();
        JsonNode docs = json(send("GET", "/v3/api-docs", null, null));
        assertThat(docs.get("paths").has("/generate")).isTrue();
        assertThat(docs.get("paths").has("/jobs/{id}/events")).isTrue();
        assertThat(send("GET", "/swagger-ui.html", null, null).statusCode()).isIn(200, 302);
    }

    private void waitForStatus(String id, String status) throws Exception {
        long deadline = System.nanoTime() + TimeUnit.MINUTES.toNanos(1);
        while (!json(send("GET", "/jobs/" + id, null, null)).get("status").asString().equals(status)) {
            assertThat(System.nanoTime()).as("job %s reaches %s", id, status).isLessThan(deadline);
            Thread.sleep(20);
        }
    }

    private static int[] pixels(byte[] png) throws Exception {
        BufferedImage image = ImageIO.read(new ByteArrayInputStream(png));
        return image.getRGB(0, 0, image.getWidth(), image.getHeight(), null, 0, image.getWidth());
    }

    private static String pngText(byte[] png, String keyword) throws Exception {
        var reader = ImageIO.getImageReadersByFormatName("png").next();
        reader.setInput(ImageIO.createImageInputStream(new ByteArrayInputStream(png)));
        IIOMetadataNode root = (IIOMetadataNode) reader.getImageMetadata(0).getAsTree("javax_imageio_png_1.0");
        var entries = root.getElementsByTagName("tEXtEntry");
        for (int i = 0; i < entries.getLength(); i++) {
            var entry = (IIOMetadataNode) entries.item(i);
            if (keyword.equals(entry.getAttribute("keyword"))) {
                return entry.getAttribute("value");
            }
        }
        throw new AssertionError("no " + keyword + " text chunk");
    }
}
