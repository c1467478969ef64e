package dev.diffusion.testing;

import java.io.IOException;
import java.net.ServerSocket;
import java.net.Socket;
import java.net.URI;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.concurrent.TimeUnit;
import org.testcontainers.DockerClientFactory;
import org.testcontainers.containers.GenericContainer;
import org.testcontainers.utility.DockerImageName;

/**
 * The one Redis that every Redis-backed test of this JVM uses, found in this order: a Testcontainers Redis where Docker
 * is available; else the server {@code DIFFUSION_TEST_REDIS_URL} names (as {@code .ci/run} starts one); else a
 * {@code redis-server} from the PATH, started here on a free port; else none, and the tests that need one are skipped
 * with the reason (never passed).
 */
public final class TestRedisServer {

    public static final String URL_VARIABLE = "DIFFUSION_TEST_REDIS_URL";
    private static final DockerImageName IMAGE = DockerImageName.parse("redis:7.4-alpine");

    /** A running Redis's URL, or why there is none. */
    record Found(String url, String reason) {
    }

    private static Found found;

    private TestRedisServer() {
    }

    /** The URL of a running Redis ({@code redis://host:port}); aborts (skips) the calling test if there is none. */
    public static String url() {
        Found redis = find();
        if (redis.url() == null) {
            throw SkipReasons.aborted(redis.reason());
        }
        return redis.url();
    }

    static synchronized Found find() {
        if (found == null) {
            found = locate();
        }
        return found;
    }

    private static Found locate() {
        if (DockerClientFactory.instance().isDockerAvailable()) {
            GenericContainer<?> container = new GenericContainer<>(IMAGE).withExposedPorts(6379);
            container.start(); // stopped with the JVM by Testcontainers' reaper
            return new Found("redis://" + container.getHost() + ":" + container.getMappedPort(6379), null);
        }
        String given = System.getenv(URL_VARIABLE);
        if (given != null && !given.isBlank()) {
            return answers(given) ? new Found(given, null)
                    : new Found(null, URL_VARIABLE + "=" + given + " does not answer PING");
        }
        return ProgramsOnPath.find("redis-server").map(TestRedisServer::start).orElse(new Found(null,
                "no Redis for the tests: no Docker for Testcontainers, " + URL_VARIABLE
                        + " unset, no redis-server on the PATH (Debian: apt-get install redis-server)"));
    }

    private static Found start(Path binary) {
        try {
            int port = freePort();
            Path dir = Files.createTempDirectory("test-redis");
            Process server = new ProcessBuilder(binary.toString(), "--port", Integer.toString(port), "--bind",
                    "127.0.0.1", "--save", "", "--appendonly", "no", "--dir", dir.toString())
                    .redirectErrorStream(true).redirectOutput(dir.resolve("redis.log").toFile()).start();
            Runtime.getRuntime().addShutdownHook(new Thread(server::destroy));
            String url = "redis://127.0.0.1:" + port;
            long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(10);
            while (!answers(url)) {
                if (System.nanoTime() > deadline || !server.isAlive()) {
                    return new Found(null, binary + " did not answer on port " + port + " (log: " + dir + ")");
                }
                Thread.sleep(50);
            }
            return new Found(url, null);
        } catch (IOException e) {
            return new Found(null, "cannot start " + binary + ": " + e.getMessage());
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            return new Found(null, "interrupted while starting " + binary);
        }
    }

    private static boolean answers(String redisUrl) {
        URI uri = URI.create(redisUrl);
        try (Socket socket = new Socket(uri.getHost(), uri.getPort())) {
            socket.setSoTimeout(2000);
            socket.getOutputStream().write("PING\r\n".getBytes());
            byte[] reply = new byte[5];
            return socket.getInputStream().read(reply) > 0 && new String(reply).startsWith("+PONG");
        } catch (IOException | IllegalArgumentException e) {
            return false;
        }
    }

    private static int freePort() throws IOException {
        try (ServerSocket socket = new ServerSocket(0)) {
            return socket.getLocalPort();
        }
    }
}
