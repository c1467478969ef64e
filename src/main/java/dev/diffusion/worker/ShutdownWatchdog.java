package dev.diffusion.worker;

import java.time.Duration;
import java.util.concurrent.atomic.AtomicBoolean;

/**
 * Ends the process within a bound of a SIGTERM even if a network call never returns: the graceful shutdown waits for
 * running jobs, and a worker thread inside libtorch can neither be interrupted nor left behind by the JVM. On the
 * signal a daemon timer starts; if the shutdown has not finished when it fires, the process halts (exit code 143, as
 * for a SIGTERM), and a durable queue hands its jobs to other workers. A process that ends in time never notices it.
 */
final class ShutdownWatchdog {

    private static final int EXIT_ON_SIGTERM = 143;
    private static final AtomicBoolean ARMED = new AtomicBoolean();

    private ShutdownWatchdog() {
    }

    /** Arms the watchdog once per process; {@code bound} counts from the signal. */
    static void arm(Duration bound) {
        if (ARMED.compareAndSet(false, true)) {
            Runtime.getRuntime().addShutdownHook(new Thread(() -> startTimer(bound), "shutdown-watchdog"));
        }
    }

    private static void startTimer(Duration bound) {
        Thread timer = new Thread(() -> {
            try {
                Thread.sleep(bound.toMillis());
            } catch (InterruptedException e) {
                return;
            }
            // logging may already be shut down
            System.err.println("shutdown overran " + bound.toSeconds() + " s (a network call that did not return); "
                    + "halting");
            Runtime.getRuntime().halt(EXIT_ON_SIGTERM);
        }, "shutdown-halt");
        timer.setDaemon(true);
        timer.start();
    }
}
