package dev.diffusion.worker;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * A shutdown that never ends (as the service's does while a worker is inside a network call that does not return:
 * the graceful stop waits for it) still ends the process within the watchdog's bound of the SIGTERM, with SIGTERM's
 * exit code. Run in a process of its own, which this test signals.
 */
class ShutdownWatchdogTest {

    /** The process under test: arms the watchdog, then blocks its own shutdown for an hour. */
    public static void main(String[] args) throws InterruptedException {
        ShutdownWatchdog.arm(Duration.ofSeconds(Long.parseLong(args[0])));
        Runtime.getRuntime().addShutdownHook(new Thread(() -> {
            try {
                Thread.sleep(TimeUnit.HOURS.toMillis(1));
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
        }, "stuck-shutdown"));
        System.out.println("armed");
        System.out.flush();
        Thread.sleep(TimeUnit.HOURS.toMillis(1));
    }

    @Test
    void aShutdownThatNeverEndsIsHaltedWithinTheBound(@TempDir Path dir) throws Exception {
        long bound = 2;
        Path output = dir.resolve("out.txt");
        String java = Path.of(System.getProperty("java.home"), "bin", "java").toString();
        Process process = new ProcessBuilder(List.of(java, "-cp", System.getProperty("java.class.path"),
                ShutdownWatchdogTest.class.getName(), Long.toString(bound))).redirectErrorStream(true)
                .redirectOutput(output.toFile()).start();
        try {
            long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(60);
            while (!Files.readString(output).contains("armed")) {
                assertThat(process.isAlive()).isTrue();
                assertThat(System.nanoTime()).as("the process starts").isLessThan(deadline);
                Thread.sleep(20);
            }

            long signalled = System.nanoTime();
            process.destroy();  // SIGTERM
            boolean ended = process.waitFor(bound + 8, TimeUnit.SECONDS);
            double seconds = (System.nanoTime() - signalled) / 1e9;

            assertThat(ended).as("halted, though its shutdown would take an hour").isTrue();
            assertThat(process.exitValue()).isEqualTo(143);
            assertThat(seconds).as("not before the bound").isGreaterThanOrEqualTo(bound);
            assertThat(Files.readString(output)).contains("shutdown overran 2 s");
        } finally {
            process.destroyForcibly();
        }
    }
}
