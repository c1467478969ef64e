package dev.diffusion;

import io.micrometer.core.instrument.Gauge;
import io.micrometer.core.instrument.MeterRegistry;
import io.micrometer.core.instrument.binder.MeterBinder;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import org.springframework.stereotype.Component;

/**
 * {@code process.memory.rss}: the resident memory of the whole process. libtorch's tensors and models live outside
 * the JVM's heap, so the JVM's own memory meters miss most of what a worker holds. Linux only (from /proc).
 */
@Component
public class ProcessMemoryMetrics implements MeterBinder {

    private static final Path STATUS = Path.of("/proc/self/status");

    @Override
    public void bindTo(MeterRegistry registry) {
        if (residentBytes() >= 0) {
            Gauge.builder("process.memory.rss", ProcessMemoryMetrics::residentBytes)
                    .description("Resident memory of the process, native libraries included")
                    .baseUnit("bytes")
                    .register(registry);
        }
    }

    /** VmRSS of /proc/self/status in bytes, or -1 where there is no such file. */
    public static double residentBytes() {
        try {
            for (String line : Files.readAllLines(STATUS)) {
                if (line.startsWith("VmRSS:")) {
                    return Long.parseLong(line.replaceAll("[^0-9]", "")) * 1024.0;
                }
            }
        } catch (IOException | NumberFormatException e) {
            return -1;
        }
        return -1;
    }
}
