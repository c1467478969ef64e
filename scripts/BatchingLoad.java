import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * Closed-loop load for {@code scripts/bench-batching.sh}. For each concurrency C, C clients each send
 * {@code POST /generate?wait=true} one after another until REQUESTS have finished. The services under test take
 * turns cell by cell, for ROUNDS rounds, so that the load of a shared machine drifts over all of them alike; each
 * service first gets one unmeasured round at the highest concurrency. Prints every cell as it ends, then a Markdown
 * table: images/s (median of the rounds), latency p50/p95 over all rounds, and the mean images per UNet call from
 * the service's own {@code diffusion.batch.size} metric; then each service's images/s against the first one's.
 *
 * <p>Usage: {@code java scripts/BatchingLoad.java REQUESTS ROUNDS "C1 C2 ..." LABEL=URL [LABEL=URL ...]}; extra
 * JSON fields for every request (e.g. {@code "steps": 8}) come from the environment variable {@code BENCH_EXTRA}.
 */
public class BatchingLoad {

    private static final String[] PROMPTS = {
        "a red circle on a blue background", "a small green square", "a large yellow triangle on a purple background",
        "a white square on a black background", "a blue triangle", "an orange circle on a green background"};

    private static final HttpClient HTTP = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(10)).build();

    /** One service under test and what its cells measured, by concurrency. */
    private record Service(String label, String url, Map<Integer, List<Double>> imagesPerSecond,
            Map<Integer, List<Double>> latencies, Map<Integer, double[]> batchSizeSumAndCount) {
    }

    public static void main(String[] args) throws Exception {
        int requests = Integer.parseInt(args[0]);
        int rounds = Integer.parseInt(args[1]);
        int[] concurrencies = Arrays.stream(args[2].trim().split("\\s+")).mapToInt(Integer::parseInt).toArray();
        List<Service> services = new ArrayList<>();
        for (String service : Arrays.copyOfRange(args, 3, args.length)) {
            String[] labelAndUrl = service.split("=", 2);
            services.add(new Service(labelAndUrl[0], labelAndUrl[1], new LinkedHashMap<>(), new LinkedHashMap<>(),
                    new LinkedHashMap<>()));
        }
        String extra = System.getenv().getOrDefault("BENCH_EXTRA", "");
        Random random = new Random(1);
        int warmUp = Arrays.stream(concurrencies).max().orElseThrow();
        for (Service service : services) {
            run(service.url(), extra, warmUp, warmUp, random);
        }
        for (int round = 1; round <= rounds; round++) {
            for (int concurrency : concurrencies) {
                for (Service service : services) {
                    double[] batchBefore = batchSizeMetric(service.url());
                    long began = System.nanoTime();
                    double[] latencies = run(service.url(), extra, concurrency, requests, random);
                    double rate = requests / ((System.nanoTime() - began) / 1e9);
                    double[] batchAfter = batchSizeMetric(service.url());
                    service.imagesPerSecond().computeIfAbsent(concurrency, c -> new ArrayList<>()).add(rate);
                    List<Double> all = service.latencies().computeIfAbsent(concurrency, c -> new ArrayList<>());
                    Arrays.stream(latencies).forEach(all::add);
                    double[] batch = service.batchSizeSumAndCount().computeIfAbsent(concurrency, c -> new double[2]);
                    batch[0] += batchAfter[0] - batchBefore[0];
                    batch[1] += batchAfter[1] - batchBefore[1];
                    System.out.printf("round %d, %s, concurrency %d: %.3f images/s%n", round, service.label(),
                            concurrency, rate);
                }
            }
        }
        printTable(services, concurrencies, requests, rounds);
    }

    private static void printTable(List<Service> services, int[] concurrencies, int requests, int rounds) {
        System.out.printf("%n%d requests per cell, %d rounds%n%n", requests, rounds);
        System.out.println("| concurrency | mode | images/s (median) | images/s per round | p50 latency s"
                + " | p95 latency s | images per UNet call |");
        System.out.println("| --- | --- | --- | --- | --- | --- | --- |");
        for (int concurrency : concurrencies) {
            for (Service service : services) {
                List<Double> rates = service.imagesPerSecond().get(concurrency);
                double[] latencies = service.latencies().get(concurrency).stream().mapToDouble(Double::doubleValue)
                        .sorted().toArray();
                double[] batch = service.batchSizeSumAndCount().get(concurrency);
                System.out.printf("| %d | %s | %.3f | %s | %.2f | %.2f | %.2f |%n", concurrency, service.label(),
                        median(rates), String.join(" ", rates.stream().map(r -> String.format("%.2f", r)).toList()),
                        percentile(latencies, 50), percentile(latencies, 95), batch[0] / batch[1]);
            }
        }
        Service base = services.get(0);
        for (Service service : services.subList(1, services.size())) {
            System.out.println();
            for (int concurrency : concurrencies) {
                System.out.printf("concurrency %d: %s gives %.2f× the images/s of %s%n", concurrency, base.label(),
                        median(base.imagesPerSecond().get(concurrency))
                                / median(service.imagesPerSecond().get(concurrency)), service.label());
            }
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

    private static double median(List<Double> values) {
        double[] sorted = values.stream().mapToDouble(Double::doubleValue).sorted().toArray();
        int middle = sorted.length / 2;
        return sorted.length % 2 == 1 ? sorted[middle] : (sorted[middle - 1] + sorted[middle]) / 2;
    }

    /** Nearest-rank percentile of sorted values. */
    private static double percentile(double[] sorted, int p) {
        return sorted[Math.max(0, (int) Math.ceil(p / 100.0 * sorted.length) - 1)];
    }
}
