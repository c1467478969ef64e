package dev.diffusion;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import dev.diffusion.testing.RequiresRedis;
import dev.diffusion.testing.TestRedisServer;
import dev.diffusion.webhooks.Receiver;
import dev.diffusion.webhooks.StandardWebhooksVerifier;
import java.io.File;
import java.io.IOException;
import java.net.ServerSocket;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.UUID;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.springframework.beans.factory.annotation.Autowired;
import org.springframework.boot.test.context.SpringBootTest;
import org.springframework.boot.test.web.server.LocalServerPort;
import org.springframework.data.domain.Range;
import org.springframework.data.redis.connection.stream.MapRecord;
import org.springframework.data.redis.connection.stream.PendingMessage;
import org.springframework.data.redis.core.StringRedisTemplate;
import org.springframework.test.context.DynamicPropertyRegistry;
import org.springframework.test.context.DynamicPropertySource;
import tools.jackson.databind.JsonNode;
import tools.jackson.databind.json.JsonMapper;

/**
 * Scale-out with a dead worker: this JVM is an API instance ({@code diffusion.role=api}); two worker processes run the
 * bundled model from one Redis. One worker is killed with SIGKILL while it runs jobs; every job submitted still
 * succeeds, the killed worker's jobs started again by the other one (keeping their start time and timeout).
 */
@RequiresRedis
@SpringBootTest(webEnvironment = SpringBootTest.WebEnvironment.RANDOM_PORT, properties = {
    "diffusion.role=api",
    "diffusion.queue.backend=redis",
    "diffusion.extra-bundled-models=",
    "diffusion.models-dir=target/no-extra-models",
    "diffusion.webhooks.secret=" + ServiceEndToEndTest.WEBHOOK_SECRET,
    "diffusion.webhooks.allowed-hosts=127.0.0.0/8",
    "diffusion.webhooks.claim-idle=2s"})
class WorkerTakeoverTest {

    private static final JsonMapper JSON = JsonMapper.builder().build();
    private static final String PREFIX = "takeover-" + UUID.randomUUID() + ":";
    private static final String GROUP = "diffusion-workers";
    private static final List<String> WORKERS = List.of("worker-1", "worker-2");
    private static final Map<String, Process> processes = new LinkedHashMap<>();
    private static final Map<String, Integer> ports = new LinkedHashMap<>();

    @LocalServerPort
    int port;

    @Autowired
    StringRedisTemplate redis;

    private final Receiver receiver = new Receiver();

    WorkerTakeoverTest() throws IOException {
    }

    @AfterEach
    void stopReceiver() {
        receiver.close();
    }

    @BeforeAll
    static void startWorkers() throws Exception {
        String redisUrl = TestRedisServer.url();
        String java = Path.of(System.getProperty("java.home"), "bin", "java").toString();
        for (String name : WORKERS) {
            List<String> command = List.of(java, "-cp", System.getProperty("java.class.path"),
                    DiffusionServiceApplication.class.getName(),
                    "--diffusion.role=worker",
                    "--diffusion.queue.backend=redis",
                    "--spring.data.redis.url=" + redisUrl,
                    "--diffusion.queue.redis.key-prefix=" + PREFIX,
                    "--diffusion.queue.redis.consumer-name=" + name,
                    "--diffusion.queue.redis.claim-idle=3s",
                    "--diffusion.extra-bundled-models=", "--diffusion.models-dir=target/no-extra-models",
                    "--diffusion.workers.devices=cpu",
                    // one size per worker, so that both workers get work
                    "--diffusion.batching.max-groups=1",
                    "--diffusion.webhooks.secret=" + ServiceEndToEndTest.WEBHOOK_SECRET,
                    "--diffusion.webhooks.allowed-hosts=127.0.0.0/8",
                    "--diffusion.webhooks.claim-idle=2s",
                    // the build's kept cost measurements (pom.xml), so that a worker need not measure the model again
                    "--diffusion.limits.cost-cache-dir=" + System.getProperty("diffusion.limits.cost-cache-dir",
                            "target/cost-measurements"),
                    "--server.port=" + freePort(name));
            processes.put(name, new ProcessBuilder(command).redirectErrorStream(true)
                    .redirectOutput(new File("target/" + PREFIX.replace(":", "") + name + ".log")).start());
        }
    }

    @AfterAll
    static void stopWorkers() {
        processes.values().forEach(Process::destroyForcibly);
    }

    @DynamicPropertySource
    static void redis(DynamicPropertyRegistry properties) {
        properties.add("spring.data.redis.url", TestRedisServer::url);
        properties.add("diffusion.queue.redis.key-prefix", () -> PREFIX);
    }

    @Test
    void everyJobSucceedsAndTellsItsWebhookWhenAWorkerIsKilledWhileRunningJobs() throws Exception {
        HttpTestClient http = new HttpTestClient(port);
        awaitWorkersReady();
        http.awaitCostsMeasured();  // 96-wide jobs are taken once a worker has measured the model

        List<String> jobs = new ArrayList<>();
        for (int i = 0; i < 8; i++) {
            // two sizes, so that both workers get work (a worker here runs one size at a time)
            String body = "{\"prompt\": \"a red circle\", \"steps\": 80, \"seed\": " + i
                    + (i % 2 == 0 ? "" : ", \"width\": 96") + ", \"webhook\": \"" + receiver.url("/") + "\"}";
            var response = http.post("/generate", body);
            assertThat(response.statusCode()).isEqualTo(202);
            jobs.add(HttpTestClient.json(response).get("id").asString());
        }

        Map<String, Set<String>> held = awaitBothWorkersRunningJobs();
        String victim = WORKERS.get(0);
        Map<String, String> startedOnVictim = new LinkedHashMap<>();
        for (String id : held.get(victim)) {
            JsonNode job = HttpTestClient.json(http.get("/jobs/" + id));
            if (job.get("status").asString().equals("running")) {
                startedOnVictim.put(id, job.get("started_at").asString());
            }
        }
        processes.get(victim).destroyForcibly().waitFor(30, TimeUnit.SECONDS);  // SIGKILL: no shutdown hook runs

        for (String id : jobs) {
            JsonNode job = awaitFinished(http, id);
            assertThat(job.get("status").asString()).as("job %s", id).isEqualTo("succeeded");
            assertThat(job.get("images")).hasSize(1);
        }
        assertThat(startedOnVictim).as("jobs the killed worker was running").isNotEmpty();
        for (Map.Entry<String, String> started : startedOnVictim.entrySet()) {
            JsonNode job = HttpTestClient.json(http.get("/jobs/" + started.getKey()));
            assertThat(job.get("started_at").asString()).as("job %s, run to its end by the other worker, keeps its "
                    + "start (and so its timeout)", started.getKey()).isEqualTo(started.getValue());
        }
        assertThat(redis.opsForStream().size(PREFIX + "jobs")).as("every entry acknowledged").isZero();

        // each job's ending reaches its webhook, signed, also those of the jobs the killed worker held
        await().atMost(Duration.ofMinutes(1)).until(() -> succeededJobsTold(receiver).containsAll(jobs));
        for (Receiver.Request request : receiver.requests()) {
            assertThat(StandardWebhooksVerifier.verifies(ServiceEndToEndTest.WEBHOOK_SECRET, request)).isTrue();
        }
    }

    private static Set<String> succeededJobsTold(Receiver receiver) {
        Set<String> told = new HashSet<>();
        for (Receiver.Request request : receiver.requests()) {
            JsonNode body = JSON.readTree(request.body());
            if (body.get("type").asString().equals("job.succeeded")) {
                told.add(body.get("data").get("id").asString());
            }
        }
        return told;
    }

    private static int freePort(String worker) throws IOException {
        try (ServerSocket socket = new ServerSocket(0)) {
            ports.put(worker, socket.getLocalPort());
            return socket.getLocalPort();
        }
    }

    /** A worker is ready (its readiness probe says UP) once its models are loaded and its worker threads run. */
    private void awaitWorkersReady() throws Exception {
        long deadline = System.nanoTime() + TimeUnit.MINUTES.toNanos(4);
        for (String name : WORKERS) {
            HttpTestClient worker = new HttpTestClient(ports.get(name));
            while (!ready(worker)) {
                assertThat(processes.get(name).isAlive()).as(name + " runs").isTrue();
                assertThat(System.nanoTime()).as(name + " gets ready").isLessThan(deadline);
                Thread.sleep(200);
            }
        }
    }

    private static boolean ready(HttpTestClient worker) {
        try {
            return HttpTestClient.json(worker.get("/actuator/health/readiness")).get("status").asString().equals("UP");
        } catch (Exception notYetListening) {
            return false;
        }
    }

    /** The jobs each worker holds, once both hold at least one that runs. */
    private Map<String, Set<String>> awaitBothWorkersRunningJobs() throws Exception {
        long deadline = System.nanoTime() + TimeUnit.MINUTES.toNanos(2);
        while (System.nanoTime() < deadline) {
            Map<String, Set<String>> held = new LinkedHashMap<>();
            for (PendingMessage pending : redis.opsForStream().pending(PREFIX + "jobs", GROUP, Range.unbounded(), 100)) {
                held.computeIfAbsent(pending.getConsumerName(), name -> new HashSet<>())
                        .add(jobOf(pending.getIdAsString()));
            }
            if (held.keySet().containsAll(WORKERS) && held.get(WORKERS.get(0)).stream().anyMatch(this::running)) {
                return held;
            }
            Thread.sleep(50);
        }
        throw new AssertionError("both workers never ran jobs at once");
    }

    private String jobOf(String entryId) {
        List<MapRecord<String, Object, Object>> entries =
                redis.opsForStream().range(PREFIX + "jobs", Range.closed(entryId, entryId));
        return String.valueOf(entries.get(0).getValue().get("job"));
    }

    private boolean running(String jobId) {
        String stored = redis.opsForValue().get(PREFIX + "job:" + jobId);
        return stored != null && stored.contains("\"status\":\"RUNNING\"");
    }

    private static JsonNode awaitFinished(HttpTestClient http, String id) throws Exception {
        long deadline = System.nanoTime() + TimeUnit.MINUTES.toNanos(3);
        while (System.nanoTime() < deadline) {
            JsonNode job = HttpTestClient.json(http.get("/jobs/" + id));
            if (List.of("succeeded", "failed", "cancelled").contains(job.get("status").asString())) {
                return job;
            }
            Thread.sleep(100);
        }
        throw new AssertionError("job " + id + " did not finish");
    }
}
