import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Random;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * Closed-loop load for {@code scripts/bench-batching.sh}: for each concurrency C, C clients each send
 * {@code POST /generate?wait=true} one after another until REQUESTS have finished, after one unmeasured round at the
 * highest concurrency. Prints one Markdown table row per concurrency: images/s, latency p50/p95, and the mean
 * images per UNet call read from the service's own {@code diffusion.batch.size} metric.
 *
 * <p>Usage: {@code java scripts/BatchingLoad.java BASE_URL LABEL REQUESTS C1 [C2 ...]}; extra JSON fields for every
 * request (e.g. {@code "steps": 8}) come from the environment variable {@code BENCH_EXTRA}.
 */
public class BatchingLoad {

    private static final String[] PROMPTS = {
        "a red circle on a blue background", "a small green square", "a large yellow triangle on a purple background",
        "a white square on a black background", "a blue triangle", "an orange circle on a green background"};

    private static final HttpClient HTTP = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(10)).build();

    public static void main(String[] args) throws Exception {
        String base = args[0];
        String label = args[1];
        int requests = Integer.parseInt(args[2]);
        int[] concurrencies = Arrays.stream(args, 3, args.length).mapToInt(Integer::parseInt).toArray();
        String extra = System.getenv().getOrDefault("BENCH_EXTRA", "");
        int warmUp = Arrays.stream(concurrencies).max().orElseThrow();
        run(base, extra, warmUp, warmUp, new Random(0));
        System.out.println("| mode | concurrency | requests | seconds | images/s | p50 latency s | p95 latency s"
                + " | images per UNet call |");
        System.out.println("| --- | --- | --- | --- | --- | --- | --- | --- |");
        Random random = new Random(1);
        for (int concurrency : concurrencies) {
            double[] batchBefore = batchSizeMetric(base);
            long began = System.nanoTime();
            double[] latencies = run(base, extra, concurrency, requests, random);
            double seconds = (System.nanoTime() - began) / 1e9;
            double[] batchAfter = batchSizeMetric(base);
            Arrays.sort(latencies);
            System.out.printf("| %s | %d | %d | %.1f | %.3f | %.2f | %.2f | %.2f |%n", label, concurrency, requests,
                    seconds, requests / seconds, percentile(latencies, 50), percentile(latencies, 95),
                    (batchAfter[0] - batchBefore[0]) / (batchAfter[1] - batchBefore[1]));
        }
    }

    /** {@code requests} generations by {@code concurrency} clients in a closed loop; their latencies in seconds. */
    private static double[] run(String base, String extra, int concurrency, int requests, Random random)
            throws Exception {
        AtomicInteger next = new AtomicInteger();
        double[] latencies = new double[requests];
        long[] seeds = random.longs(requests, 0, 1L << 31).toArray();
        ExecutorService clients = Executors.newFixedThreadPool(concurrency);
        try {
            List<Future<?>> running = new ArrayList<>();
            for (int c = 0; c < concurrency; c++) {
                running.add(clients.submit(() -> {
                    for (int i = next.getAndIncrement(); i < requests; i = next.getAndIncrement()) {
                        latencies[i] = generate(base, extra, PROMPTS[i % PROMPTS.length], seeds[i]);
                    }
                    return null;
                }));
            }
            for (Future<?> client : running) {
                client.get();
            }
        } finally {
            clients.shutdownNow();
        }
        return latencies;
    }

    private static double generate(String base, String extra, String prompt, long seed) throws Exception {
        String body = "{\"prompt\": \"" + prompt + "\", \"seed\": " + seed + (extra.isBlank() ? "" : ", " + extra)
                + "}";
        HttpRequest request = HttpRequest.newBuilder(URI.create(base + "/generate?wait=true"))
                .timeout(Duration.ofMinutes(10)).header("Content-Type", "application/json")
                .POST(HttpRequest.BodyPublishers.ofString(body)).build();
        long start = System.nanoTime();
        HttpResponse<String> response = HTTP.send(request, HttpResponse.BodyHandlers.ofString());
        double seconds = (System.nanoTime() - start) / 1e9;
        if (response.statusCode() != 200 || !response.body().contains("\"status\":\"succeeded\"")) {
            throw new IllegalStateException("generation failed: " + response.statusCode() + " " + response.body());
        }
        return seconds;
    }

    /** Sum and count of {@code diffusion_batch_size} over all its series. */
    private static double[] batchSizeMetric(String base) throws Exception {
        String text = HTTP.send(HttpRequest.newBuilder(URI.create(base + "/actuator/prometheus")).build(),
                HttpResponse.BodyHandlers.ofString()).body();
        double[] sumAndCount = new double[2];
        for (String line : text.split("\n")) {
            String[] parts = line.split(" ");
            if (line.startsWith("diffusion_batch_size_sum")) {
                sumAndCount[0] += Double.parseDouble(parts[parts.length - 1]);
            } else if (line.startsWith("diffusion_batch_size_count")) {
                sumAndCount[1] += Double.parseDouble(parts[parts.length - 1]);
            }
        }
        return sumAndCount;
    }

    /** Nearest-rank percentile of sorted values. */
    private static double percentile(double[] sorted, int p) {
        return sorted[Math.max(0, (int) Math.ceil(p / 100.0 * sorted.length) - 1)];
    }
}
