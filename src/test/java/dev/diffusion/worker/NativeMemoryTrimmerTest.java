package dev.diffusion.worker;

import static org.assertj.core.api.Assertions.assertThat;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import com.sun.jna.Memory;
import dev.diffusion.ProcessMemoryMetrics;
import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;

class NativeMemoryTrimmerTest {

    private static final int CHUNK = 96 * 1024;  // below glibc's mmap threshold: from the arena, as libtorch's tensors
    private static final int CHUNKS = 2000;

    @Test
    void returnsFreedHolesOfTheHeapToTheOperatingSystem() {
        NativeMemoryTrimmer.CLibrary libc = NativeMemoryTrimmer.glibc();
        assumeTrue(libc != null && ProcessMemoryMetrics.residentBytes() > 0, "glibc and /proc needed");
        // every other chunk stays alive, so the freed ones are holes that glibc keeps until trimmed
        List<Memory> kept = new ArrayList<>();
        List<Memory> freed = new ArrayList<>();
        for (int i = 0; i < CHUNKS; i++) {
            Memory chunk = new Memory(CHUNK);
            chunk.clear();  // touch every page, so that it is resident
            (i % 2 == 0 ? kept : freed).add(chunk);
        }
        freed.forEach(Memory::close);
        double before = ProcessMemoryMetrics.residentBytes();

        libc.malloc_trim(0);
        double after = ProcessMemoryMetrics.residentBytes();

        kept.forEach(Memory::close);
        double holes = (double) CHUNK * CHUNKS / 2;
        assertThat(before - after).as("resident bytes returned of %.0f freed", holes).isGreaterThan(holes / 2);
    }

    @Test
    void runsOnItsOwnThreadUnlessTurnedOff() {
        try (NativeMemoryTrimmer off = new NativeMemoryTrimmer(Duration.ZERO, new SimpleMeterRegistry())) {
            assertThat(off.running()).isFalse();
        }
        SimpleMeterRegistry registry = new SimpleMeterRegistry();
        try (NativeMemoryTrimmer on = new NativeMemoryTrimmer(Duration.ofMillis(20), registry)) {
            assumeTrue(on.running(), "glibc needed");
            long deadline = System.nanoTime() + Duration.ofSeconds(5).toNanos();
            while (registry.timer("diffusion.memory.trim").count() < 2 && System.nanoTime() < deadline) {
                Thread.onSpinWait();
            }
            assertThat(registry.timer("diffusion.memory.trim").count()).isGreaterThanOrEqualTo(2);
        }
    }
}
