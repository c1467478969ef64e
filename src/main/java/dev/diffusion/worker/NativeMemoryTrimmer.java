package dev.diffusion.worker;

import com.sun.jna.Library;
import com.sun.jna.Native;
import com.sun.jna.Platform;
import dev.diffusion.RunsWorkers;
import dev.diffusion.model.DjlSettings;
import dev.diffusion.model.NativeRuntime;
import io.micrometer.core.instrument.MeterRegistry;
import io.micrometer.core.instrument.Timer;
import java.time.Duration;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.springframework.beans.factory.annotation.Autowired;
import org.springframework.stereotype.Component;

/**
 * Hands the memory that libtorch has freed back to the operating system. libtorch allocates tensors with
 * {@code malloc}, and glibc keeps freed chunks in its arenas for reuse; with batches of ever-changing sizes the
 * arenas fragment and the resident memory of a worker grew over a soak of mixed batches, though no tensor stayed
 * alive (BENCHMARKS.md, "Soak"). glibc's {@code malloc_trim(0)} returns every free page of every arena; this calls
 * it every {@code diffusion.workers.memory-trim-interval} (0 turns it off) on a thread of its own,
 * through JNA, which DJL already brings. Where the C library has no {@code malloc_trim} (musl, macOS) it does
 * nothing. Each trim is timed in {@code diffusion.memory.trim}.
 */
@Component
@RunsWorkers
public class NativeMemoryTrimmer implements AutoCloseable {

    private static final Logger log = LoggerFactory.getLogger(NativeMemoryTrimmer.class);

    /** The one function of glibc this needs. */
    interface CLibrary extends Library {
        int malloc_trim(long pad);
    }

    private final ScheduledExecutorService scheduler;

    @Autowired
    public NativeMemoryTrimmer(WorkerProperties settings, MeterRegistry registry) {
        this(settings.memoryTrimInterval(), registry);
    }

    NativeMemoryTrimmer(Duration interval, MeterRegistry registry) {
        log.info("libtorch native runtime: {}", DjlSettings.nativeRuntime());
        CLibrary libc = interval.isZero() || interval.isNegative() ? null : glibc();
        if (libc == null) {
            scheduler = null;
            return;
        }
        if (!NativeRuntime.jemallocLoaded()) {
            log.info("native memory comes from glibc's malloc: freed memory goes back to the system every {} s; for a "
                    + "long-running worker preload jemalloc as the Docker image does (README, \"Native memory\")",
                    interval.toSeconds());
        }
        Timer trims = Timer.builder("diffusion.memory.trim")
                .description("One return of freed native memory to the operating system (malloc_trim)")
                .register(registry);
        scheduler = Executors.newSingleThreadScheduledExecutor(task -> {
            Thread thread = new Thread(task, "native-memory-trim");
            thread.setDaemon(true);
            return thread;
        });
        scheduler.scheduleWithFixedDelay(() -> trims.record(() -> libc.malloc_trim(0)), interval.toMillis(),
                interval.toMillis(), TimeUnit.MILLISECONDS);
    }

    /** glibc's {@code malloc_trim}, or null where the C library has none. */
    static CLibrary glibc() {
        try {
            CLibrary libc = Native.load(Platform.C_LIBRARY_NAME, CLibrary.class);
            libc.malloc_trim(0);
            return libc;
        } catch (UnsatisfiedLinkError | RuntimeException e) {
            log.info("no malloc_trim in this C library; freed native memory stays with the allocator: {}",
                    e.toString());
            return null;
        }
    }

    boolean running() {
        return scheduler != null;
    }

    @Override
    public void close() {
        if (scheduler != null) {
            scheduler.shutdownNow();
        }
    }
}
