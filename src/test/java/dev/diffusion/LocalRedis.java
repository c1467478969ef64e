package dev.diffusion;

import static org.junit.jupiter.api.Assumptions.assumeTrue;

import java.io.File;
import java.io.IOException;
import java.net.ServerSocket;
import java.net.Socket;
import java.net.URI;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.concurrent.TimeUnit;

/**
 * A real Redis for the tests that need one where Docker is absent: the server named by {@code DIFFUSION_TEST_REDIS_URL}
 * (as {@code .ci/run} starts it), else a {@code redis-server} from the PATH started here on a free port for this JVM,
 * else the test is skipped (an assumption, never a pass).
 */
public final class LocalRedis {

    public static final String URL_VARIABLE = "DIFFUSION_TEST_REDIS_URL";

    private static String url;

    private LocalRedis() {
    }

    /** The URL of a running Redis ({@code redis://host:port}); skips the calling test if there is none. */
    public static synchronized String url() {
        if (url == null) {
            String given = System.getenv(URL_VARIABLE);
            url = given != null && !given.isBlank() ? given : startServer();
        }
        assumeTrue(!url.isEmpty(), "no Redis: set " + URL_VARIABLE + " or install redis-server");
        assumeTrue(answers(url), "no Redis answers at " + url);
        return url;
    }

    private static String startServer() {
        String binary = findOnPath("redis-server");
        if (binary == null) {
            return "";
        }
        try {
            int port = freePort();
            Path dir = Files.createTempDirectory("test-redis");
            Process server = new ProcessBuilder(binary, "--port", Integer.toString(port), "--bind", "127.0.0.1",
                    "--save", "", "--appendonly", "no", "--dir", dir.toString())
                    .redirectErrorStream(true).redirectOutput(dir.resolve("redis.log").toFile()).start();
            Runtime.getRuntime().addShutdownHook(new Thread(server::destroy));
            String started = "redis://127.0.0.1:" + port;
            long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(10);
            while (!answers(started) && System.nanoTime() < deadline) {
                Thread.sleep(50);
            }
            return started;
        } catch (IOException e) {
            return "";
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            return "";
        }
    }

    private static boolean answers(String redisUrl) {
        URI uri = URI.create(redisUrl);
        try (Socket socket = new Socket(uri.getHost(), uri.getPort())) {
            socket.setSoTimeout(2000);
            socket.getOutputStream().write("PING\r\n".getBytes());
            byte[] reply = new byte[5];
            return socket.getInputStream().read(reply) > 0 && new String(reply).startsWith("+PONG");
        } catch (IOException e) {
            return false;
        }
    }

    private static int freePort() throws IOException {
        try (ServerSocket socket = new ServerSocket(0)) {
            return socket.getLocalPort();
        }
    }

    private static String findOnPath(String name) {
        for (String dir : System.getenv().getOrDefault("PATH", "").split(File.pathSeparator)) {
            File candidate = new File(dir, name);
            if (candidate.canExecute()) {
                return candidate.getPath();
            }
        }
        return null;
    }
}
