package dev.diffusion.model;

import com.sun.jna.Function;
import com.sun.jna.NativeLibrary;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;

/**
 * The process's resident memory as Linux tells it, for measuring what a network call takes at its peak: the peak
 * ({@code VmHWM}) can be reset to the current resident size, and memory the allocator keeps after a call can be handed
 * back first, so that the next call's growth shows. Where any of this is missing (not Linux, another C library) the
 * methods say so instead of guessing.
 */
public final class NativeMemory {

    private static final Path STATUS = Path.of("/proc/self/status");
    private static final Path CLEAR_REFS = Path.of("/proc/self/clear_refs");

    /** jemalloc's {@code mallctl} ("arena.4096.purge": every arena), when the process has jemalloc. */
    private static final Function MALLCTL = lookup("mallctl");
    /** glibc's {@code malloc_trim}. */
    private static final Function MALLOC_TRIM = lookup("malloc_trim");

    private NativeMemory() {
    }

    /** {@code VmRSS} in bytes, or -1 where there is no such file. */
    public static long residentBytes() {
        return status("VmRSS:");
    }

    /** {@code VmHWM}, the peak resident size since the process started or {@link #resetPeak}, or -1. */
    public static long peakBytes() {
        return status("VmHWM:");
    }

    /** Sets the peak to the current resident size (Linux 4.0 and later); false where it cannot. */
    public static boolean resetPeak() {
        try {
            Files.writeString(CLEAR_REFS, "5");
            return true;
        } catch (IOException | UnsupportedOperationException | SecurityException e) {
            return false;
        }
    }

    /**
     * Hands the freed memory the allocator keeps back to the system: jemalloc's arenas purged where the process runs
     * on jemalloc, else glibc's {@code malloc_trim(0)}. False where neither is there.
     */
    public static boolean releaseFreed() {
        try {
            if (MALLCTL != null) {
                return MALLCTL.invokeInt(new Object[] {"arena.4096.purge", null, null, null, 0L}) == 0;
            }
            if (MALLOC_TRIM != null) {
                MALLOC_TRIM.invokeInt(new Object[] {0L});
                return true;
            }
        } catch (RuntimeException | UnsatisfiedLinkError e) {
            return false;
        }
        return false;
    }

    private static Function lookup(String name) {
        try {
            return NativeLibrary.getProcess().getFunction(name);
        } catch (UnsatisfiedLinkError | RuntimeException e) {
            return null;
        }
    }

    private static long status(String key) {
        try {
            for (String line : Files.readAllLines(STATUS)) {
                if (line.startsWith(key)) {
                    return Long.parseLong(line.replaceAll("[^0-9]", "")) * 1024;
                }
            }
        } catch (IOException | NumberFormatException e) {
            return -1;
        }
        return -1;
    }
}
