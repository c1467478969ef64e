package dev.diffusion.bench;

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
 * Closed-loop load for {@code scripts/bench-batching.sh} and {@code scripts/bench-models.sh}. For each concurrency C,
 * C clients each send
 * {@code POST /generate?wait=true} one after another until REQUESTS have finished. The services under test take
 * turns cell by cell, for ROUNDS rounds, so that the load of a shared machine drifts over all of them alike; each
 * service first gets one unmeasured round at the highest concurrency. Prints every cell as it ends, then a Markdown
 * table: images/s (median of the rounds), latency p50/p95/p99 over all rounds, the mean images per UNet call from the
 * service's own {@code diffusion.batch.size} metric, and the worker's time outside the networks; then each service's
 * images/s against the first one's.
 *
 * <p>Time outside the networks, from the service's metrics over the cell: the worker's busy time minus the time
 * inside network calls ({@code diffusion.model.call}: text encoder, UNet, VAE), per UNet call (step) and as a share
 * of the busy time. The busy time is taken as the smaller of the cell's wall time and the sum of its jobs'
 * {@code diffusion.job.duration}: the worker is busy only while it runs a job and only within the cell, so this
 * bounds it from above, and the time outside the networks with it (at concurrency 1 it is the jobs' time; from
 * about 2, the wall time).
 *
 * <p>Usage: {@code scripts/bench-program.sh BatchingLoad REQUESTS ROUNDS "C1 C2 ..." LABEL=URL[=FIELDS] ...}; extra
 * JSON fields for every request (e.g. {@code "steps": 8}) come from the environment variable {@code BENCH_EXTRA}, and
 * for one service's requests from its FIELDS (e.g. {@code "model": "shapes-lcm"}: two models of one service); the
 * unmeasured warm-up sends {@code WARMUP_REQUESTS} requests (default: the highest concurrency) to each service, after
 * {@code CLIENT_WARMUP} (200) {@code GET /models} that warm this client's own HTTP code.
 */
public class BatchingLoad {

    private static final String[] PROMPTS = {
        "a red circle on a blue background", "a small green square", "a large yellow triangle on a purple background",
        "a white square on a black background", "a blue triangle", "an orange circle on a green background"};

    private static final HttpClient HTTP = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(10)).build();

    /** One service under test (its URL and the JSON fields of its requests) and what its cells measured. */
    private record Service(String label, String url, String fields, Map<Integer, List<Double>> imagesPerSecond,
            Map<Integer, List<Double>> latencies, Map<Integer, Metrics> metrics) {
    }

    /**
     * Sums over every series of the meters the table uses, from the service's Prometheus page, or their change over
     * cells; {@code busySeconds} is the worker's busy time (see the class comment), known only for changes.
     */
    private record Metrics(double batchSizeSum, double batchSizeCount, double modelCallSeconds, double jobSeconds,
            double unetCalls, double busySeconds) {

        /** What changed since {@code before} over a cell that took {@code wallSeconds}. */
        Metrics since(Metrics before, double wallSeconds) {
            double jobs = jobSeconds - before.jobSeconds;
            return new Metrics(batchSizeSum - before.batchSizeSum, batchSizeCount - before.batchSizeCount,
                    modelCallSeconds - before.modelCallSeconds, jobs, unetCalls - before.unetCalls,
                    Math.min(wallSeconds, jobs));
        }

        Metrics plus(Metrics other) {
            return new Metrics(batchSizeSum + other.batchSizeSum, batchSizeCount + other.batchSizeCount,
                    modelCallSeconds + other.modelCallSeconds, jobSeconds + other.jobSeconds,
                    unetCalls + other.unetCalls, busySeconds + other.busySeconds);
        }

        double outsideNetworksSeconds() {
            return busySeconds - modelCallSeconds;
        }
    }

    public static void main(String[] args) throws Exception {
        if (args.length < 4) {
            System.err.println("usage: BatchingLoad REQUESTS ROUNDS \"C1 C2 ...\" LABEL=URL [LABEL=URL ...]");
            System.exit(2);
        }
        int requests = Integer.parseInt(args[0]);
        int rounds = Integer.parseInt(args[1]);
        int[] concurrencies = Arrays.stream(args[2].trim().split("\\s+")).mapToInt(Integer::parseInt).toArray();
        String extra = System.getenv().getOrDefault("BENCH_EXTRA", "");
        List<Service> services = new ArrayList<>();
        for (String service : Arrays.copyOfRange(args, 3, args.length)) {
            String[] parts = service.split("=", 3);
            String fields = String.join(", ", Arrays.stream(new String[] {extra, parts.length > 2 ? parts[2] : ""})
                    .filter(f -> !f.isBlank()).toList());
            services.add(new Service(parts[0], parts[1], fields, new LinkedHashMap<>(), new LinkedHashMap<>(),
                    new LinkedHashMap<>()));
        }
        Random random = new Random(1);
        int warmUp = Arrays.stream(concurrencies).max().orElseThrow();
        // the JIT needs a few thousand steps before the loop's own code runs at full speed: the time outside the
        // networks fell from 0.43 to 0.27 ms per step over the first 300 jobs at concurrency 1 (BENCHMARKS.md)
        int warmUpRequests = Integer.parseInt(System.getenv().getOrDefault("WARMUP_REQUESTS", "" + warmUp));
        // this client's own JIT: a fresh JVM's HTTP client adds its compilation to every measured latency, which at
        // one client counts against the service; cheap requests warm it where few generations do
        int clientWarmUp = Integer.parseInt(System.getenv().getOrDefault("CLIENT_WARMUP", "200"));
        for (Service service : services) {
            warmClient(service.url(), clientWarmUp);
            run(service.url(), service.fields(), warmUp, warmUpRequests, random);
        }
        for (int round = 1; round <= rounds; round++) {
            for (int concurrency : concurrencies) {
                for (Service service : services) {
                    Metrics before = metrics(service.url());
                    long began = System.nanoTime();
                    double[] latencies = run(service.url(), service.fields(), concurrency, requests, random);
                    double seconds = (System.nanoTime() - began) / 1e9;
                    double rate = requests / seconds;
                    Metrics cell = metrics(service.url()).since(before, seconds);
                    service.imagesPerSecond().computeIfAbsent(concurrency, c -> new ArrayList<>()).add(rate);
                    List<Double> all = service.latencies().computeIfAbsent(concurrency, c -> new ArrayList<>());
                    Arrays.stream(latencies).forEach(all::add);
                    service.metrics().merge(concurrency, cell, Metrics::plus);
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
                + " | p95 latency s | p99 latency s | images per UNet call | outside the networks per step ms"
                + " | outside the networks % of worker time |");
        System.out.println("| --- | --- | --- | --- | --- | --- | --- | --- | --- | --- |");
        for (int concurrency : concurrencies) {
            for (Service service : services) {
                List<Double> rates = service.imagesPerSecond().get(concurrency);
                double[] latencies = service.latencies().get(concurrency).stream().mapToDouble(Double::doubleValue)
                        .sorted().toArray();
                Metrics cells = service.metrics().get(concurrency);
                System.out.printf("| %d | %s | %.3f | %s | %.2f | %.2f | %.2f | %.2f | %.2f | %.2f |%n", concurrency,
                        service.label(), median(rates),
                        String.join(" ", rates.stream().map(r -> String.format("%.2f", r)).toList()),
                        percentile(latencies, 50), percentile(latencies, 95), percentile(latencies, 99),
                        cells.batchSizeSum() / cells.batchSizeCount(),
                        1000 * cells.outsideNetworksSeconds() / cells.unetCalls(),
                        100 * cells.outsideNetworksSeconds() / cells.busySeconds());
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
    private static double[] run(String base, String fields, int concurrency, int requests, Random random)
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
                        latencies[i] = generate(base, fields, PROMPTS[i % PROMPTS.length], seeds[i]);
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

    private static double generate(String base, String fields, String prompt, long seed) throws Exception {
        String body = "{\"prompt\": \"" + prompt + "\", \"seed\": " + seed + (fields.isBlank() ? "" : ", " + fields)
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

    /** {@code requests} GET /models, unmeasured, one after another. */
    private static void warmClient(String base, int requests) throws Exception {
        HttpRequest request = HttpRequest.newBuilder(URI.create(base + "/models")).timeout(Duration.ofSeconds(10))
                .build();
        for (int i = 0; i < requests; i++) {
            HttpResponse<String> response = HTTP.send(request, HttpResponse.BodyHandlers.ofString());
            if (response.statusCode() != 200) {
                throw new IllegalStateException("GET /models: " + response.statusCode() + " " + response.body());
            }
        }
    }

    private static Metrics metrics(String base) throws Exception {
        String text = HTTP.send(HttpRequest.newBuilder(URI.create(base + "/actuator/prometheus")).build(),
                HttpResponse.BodyHandlers.ofString()).body();
        return new Metrics(sum(text, "diffusion_batch_size_sum"), sum(text, "diffusion_batch_size_count"),
                sum(text, "diffusion_model_call_seconds_sum"), sum(text, "diffusion_job_duration_seconds_sum"),
                sum(text, "diffusion_unet_step_seconds_count"), 0);
    }

    /** The sum of every series of one metric on a Prometheus page. */
    private static double sum(String page, String metric) {
        double total = 0;
        for (String line : page.split("\n")) {
            if (line.startsWith(metric + "{") || line.startsWith(metric + " ")) {
                total += Double.parseDouble(line.substring(line.lastIndexOf(' ') + 1));
            }
        }
        return total;
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
