package dev.diffusion.bench;

import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Random;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * The soak driver of {@code scripts/soak.sh}: warms the service up with WARMUP images (first CONCURRENCY requests of 8
 * images at once, the largest batch these clients can make, so that libtorch has met its largest shapes), reads the
 * service process's resident memory, then has CONCURRENCY closed-loop clients make IMAGES images
 * ({@code POST /generate?wait=true}, 1 to 8 images a request, schedulers and seeds varied, every PNG fetched and
 * checked), sampling the resident memory as it goes. Prints failures and the memory growth from after the warm-up to
 * the end, and a Markdown row for BENCHMARKS.md; exits 1 if any image failed or the growth passed GROWTH_LIMIT_MB.
 *
 * <p>Usage: {@code scripts/bench-program.sh SoakLoad URL PID IMAGES WARMUP CONCURRENCY GROWTH_LIMIT_MB}
 */
public class SoakLoad {

    private static final String[] PROMPTS = {
        "a red circle on a blue background", "a small green square", "a large yellow triangle on a purple background",
        "a white square on a black background", "a blue triangle", "an orange circle on a green background"};
    private static final String[] SCHEDULERS = {"dpmpp_2m", "euler_ancestral", "ddim", "unipc", "dpmpp_2m_karras"};
    private static final Pattern IMAGE_URL = Pattern.compile("\"url\":\"(/jobs/[^\"]+/images/\\d+)\"");
    private static final byte[] PNG_SIGNATURE = {(byte) 0x89, 'P', 'N', 'G', '\r', '\n', 0x1a, '\n'};
    private static final HttpClient HTTP = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(10)).build();

    public static void main(String[] args) throws Exception {
        if (args.length != 6) {
            System.err.println("usage: SoakLoad URL PID IMAGES WARMUP CONCURRENCY GROWTH_LIMIT_MB");
            System.exit(2);
        }
        String base = args[0];
        long pid = Long.parseLong(args[1]);
        int images = Integer.parseInt(args[2]);
        int warmUp = Integer.parseInt(args[3]);
        int concurrency = Integer.parseInt(args[4]);
        long growthLimitMb = Long.parseLong(args[5]);
        Random random = new Random(1);

        System.out.printf("warm-up: %d images%n", warmUp);
        Result warm = run(base, warmUp, concurrency, random, pid, 0, true);
        long rssAfterWarmUp = residentKb(pid);
        System.out.printf("warm-up done: %d failures; resident memory %d MB%n", warm.failures().size(),
                rssAfterWarmUp / 1024);

        long began = System.nanoTime();
        Result soak = run(base, images, concurrency, random, pid, Math.max(1, images / 10), false);
        double seconds = (System.nanoTime() - began) / 1e9;
        long rssAtEnd = residentKb(pid);
        long growthMb = Math.round((rssAtEnd - rssAfterWarmUp) / 1024.0);

        System.out.printf("%nsoak: %d images in %d requests, %.0f s (%.2f images/s), concurrency %d%n", soak.images(),
                soak.requests(), seconds, soak.images() / seconds, concurrency);
        System.out.printf("failures: %d%n", soak.failures().size());
        soak.failures().stream().limit(10).forEach(failure -> System.out.println("  " + failure));
        System.out.printf("resident memory: %d MB after warm-up, %d MB at the end, growth %+d MB (goal <= %d MB)%n",
                rssAfterWarmUp / 1024, rssAtEnd / 1024, growthMb, growthLimitMb);
        System.out.printf("resident memory samples (MB): %s%n", String.join(" ", soak.samplesMb()));
        System.out.println();
        System.out.println("| images | requests | concurrency | failures | RSS after warm-up | RSS at end | growth |");
        System.out.println("| --- | --- | --- | --- | --- | --- | --- |");
        System.out.printf("| %d | %d | %d | %d | %d MB | %d MB | %+d MB |%n", soak.images(), soak.requests(),
                concurrency, soak.failures().size(), rssAfterWarmUp / 1024, rssAtEnd / 1024, growthMb);
        boolean met = soak.failures().isEmpty() && warm.failures().isEmpty() && growthMb <= growthLimitMb;
        System.out.println(met ? "goal met" : "GOAL NOT MET");
        System.exit(met ? 0 : 1);
    }

    private record Result(int images, int requests, List<String> failures, List<String> samplesMb) {
    }

    /**
     * {@code images} images by {@code concurrency} clients, each request of 1 to 8 of them (8 for the first
     * {@code concurrency} requests if {@code largestFirst}); samples the resident memory every {@code sampleEvery}
     * images (0: never).
     */
    private static Result run(String base, int images, int concurrency, Random random, long pid, int sampleEvery,
            boolean largestFirst) throws Exception {
        List<int[]> requests = new ArrayList<>();
        for (int left = images; left > 0; ) {
            int n = Math.min(left, largestFirst && requests.size() < concurrency ? 8 : 1 + random.nextInt(8));
            requests.add(new int[] {n, random.nextInt(1 << 30)});
            left -= n;
        }
        AtomicInteger next = new AtomicInteger();
        AtomicInteger made = new AtomicInteger();
        AtomicInteger nextSample = new AtomicInteger(sampleEvery);
        List<String> samples = new ArrayList<>();
        ConcurrentLinkedQueue<String> failed = new ConcurrentLinkedQueue<>();
        ExecutorService clients = Executors.newFixedThreadPool(concurrency);
        try {
            List<Future<?>> running = new ArrayList<>();
            for (int c = 0; c < concurrency; c++) {
                running.add(clients.submit(() -> {
                    for (int i = next.getAndIncrement(); i < requests.size(); i = next.getAndIncrement()) {
                        int[] request = requests.get(i);
                        String failure = generate(base, i, request[0], request[1]);
                        if (failure != null) {
                            failed.add(failure);
                        }
                        int total = made.addAndGet(request[0]);
                        if (sampleEvery > 0 && total >= nextSample.get()) {
                            synchronized (samples) {
                                if (total >= nextSample.get()) {
                                    nextSample.addAndGet(sampleEvery);
                                    long mb = residentKb(pid) / 1024;
                                    samples.add(Long.toString(mb));
                                    System.out.printf("%d/%d images, %d failures, resident memory %d MB%n", total,
                                            images, failed.size(), mb);
                                }
                            }
                        }
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
        return new Result(made.get(), requests.size(), List.copyOf(failed), samples);
    }

    /** One request and its images; null if every image came back as a PNG, else what went wrong. */
    private static String generate(String base, int index, int images, long seed) {
        String body = String.format("{\"prompt\": \"%s\", \"scheduler\": \"%s\", \"seed\": %d, \"num_images\": %d}",
                PROMPTS[index % PROMPTS.length], SCHEDULERS[index % SCHEDULERS.length], seed, images);
        try {
            HttpResponse<String> response = HTTP.send(HttpRequest.newBuilder(URI.create(base + "/generate?wait=true"))
                    .timeout(Duration.ofMinutes(10)).header("Content-Type", "application/json")
                    .POST(HttpRequest.BodyPublishers.ofString(body)).build(), HttpResponse.BodyHandlers.ofString());
            if (response.statusCode() != 200 || !response.body().contains("\"status\":\"succeeded\"")) {
                return "request " + index + ": " + response.statusCode() + " " + response.body();
            }
            Matcher url = IMAGE_URL.matcher(response.body());
            int fetched = 0;
            while (url.find()) {
                HttpResponse<byte[]> png = HTTP.send(HttpRequest.newBuilder(URI.create(base + url.group(1)))
                        .timeout(Duration.ofMinutes(1)).build(), HttpResponse.BodyHandlers.ofByteArray());
                if (png.statusCode() != 200 || !startsWith(png.body(), PNG_SIGNATURE)) {
                    return "request " + index + ": image " + url.group(1) + " answered " + png.statusCode();
                }
                fetched++;
            }
            return fetched == images ? null : "request " + index + ": " + fetched + " of " + images + " images";
        } catch (Exception e) {
            return "request " + index + ": " + e;
        }
    }

    private static boolean startsWith(byte[] data, byte[] prefix) {
        if (data.length < prefix.length) {
            return false;
        }
        for (int i = 0; i < prefix.length; i++) {
            if (data[i] != prefix[i]) {
                return false;
            }
        }
        return true;
    }

    /** The process's resident set size (VmRSS) in kB. */
    private static long residentKb(long pid) throws Exception {
        for (String line : Files.readAllLines(Path.of("/proc/" + pid + "/status"))) {
            if (line.startsWith("VmRSS:")) {
                return Long.parseLong(line.replaceAll("[^0-9]", ""));
            }
        }
        throw new IllegalStateException("no VmRSS for process " + pid);
    }
}
