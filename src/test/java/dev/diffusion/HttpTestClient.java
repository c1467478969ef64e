package dev.diffusion;

import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.time.Duration;
import tools.jackson.databind.JsonNode;
import tools.jackson.databind.json.JsonMapper;

/** Plain HTTP to the service under test, as an outside client sends it. */
final class HttpTestClient {

    private static final JsonMapper JSON = JsonMapper.builder().build();

    private final String base;
    private final HttpClient http = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(5)).build();

    HttpTestClient(int port) {
        this.base = "http://localhost:" + port;
    }

    String url(String path) {
        return base + path;
    }

    /** POSTs {@code json}; {@code headers} are name, value pairs. */
    HttpResponse<byte[]> post(String path, String json, String... headers) throws Exception {
        HttpRequest.Builder request = HttpRequest.newBuilder(URI.create(url(path)))
                .timeout(Duration.ofMinutes(2))
                .header("Content-Type", "application/json")
                .POST(HttpRequest.BodyPublishers.ofString(json));
        if (headers.length > 0) {
            request.headers(headers);
        }
        return http.send(request.build(), HttpResponse.BodyHandlers.ofByteArray());
    }

    /** POSTs raw bytes, with {@code contentType} unless it is null. */
    HttpResponse<byte[]> post(String path, byte[] body, String contentType) throws Exception {
        HttpRequest.Builder request = HttpRequest.newBuilder(URI.create(url(path)))
                .timeout(Duration.ofMinutes(2))
                .POST(HttpRequest.BodyPublishers.ofByteArray(body));
        if (contentType != null) {
            request.header("Content-Type", contentType);
        }
        return http.send(request.build(), HttpResponse.BodyHandlers.ofByteArray());
    }

    HttpResponse<byte[]> get(String url) throws Exception {
        HttpRequest request = HttpRequest.newBuilder(URI.create(url.startsWith("/") ? url(url) : url))
                .timeout(Duration.ofMinutes(2)).build();
        return http.send(request, HttpResponse.BodyHandlers.ofByteArray());
    }

    /**
     * Waits until a worker has measured every served model's costs ({@code GET /models} shows its allowed sizes):
     * until then sizes above a model's own are answered 503. A worker measures its models one after another, each in
     * seconds on a quiet machine and more than a minute on a busy one: the wait allows 2 minutes per model, at least 5.
     */
    void awaitCostsMeasured() throws Exception {
        long began = System.nanoTime();
        while (true) {
            JsonNode models = json(get("/models"));
            Duration allowed = Duration.ofMinutes(Math.max(5, 2L * models.size()));
            boolean measured = true;
            for (JsonNode model : models) {
                measured &= model.hasNonNull("allowed_sizes");
            }
            if (measured) {
                return;
            }
            if (System.nanoTime() - began > allowed.toNanos()) {
                throw new AssertionError("no worker measured the models' costs within " + allowed + ": " + models);
            }
            Thread.sleep(200);
        }
    }

    static JsonNode json(HttpResponse<byte[]> response) {
        return JSON.readTree(response.body());
    }

    static String toJson(Object value) {
        return JSON.writeValueAsString(value);
    }
}
