package dev.diffusion.model;

import com.sun.jna.Library;
import com.sun.jna.Native;
import com.sun.jna.Platform;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;

/**
 * How libtorch gets its native memory, set once at start before libtorch loads. A UNet call at a large latent
 * allocates buffers of tens to hundreds of MB (attention scores) and frees them at once; glibc's defaults hand such
 * buffers back to the kernel on every free, and the next call pays for them again in page faults: an SD-architecture
 * UNet at a 64x64 latent took 4 s per call that way against 0.4-0.8 s when the memory was kept (BENCHMARKS.md).
 *
 * <ul>
 * <li>libtorch is asked to place buffers of 2 MB and more on transparent huge pages ({@code THP_MEM_ALLOC_ENABLE},
 * read by libtorch itself): a fresh buffer then costs one fault per 2 MB instead of one per 4 KB. This matters where
 * a buffer cannot be kept: glibc serves a thread other than the main one from arenas of at most 64 MB, so a larger
 * buffer is always mapped anew.</li>
 * <li>Under glibc's malloc (not when jemalloc is preloaded, as the Docker image does) the thresholds under which
 * glibc maps buffers separately and gives the top of its heap back go up to 1 GiB, as
 * {@code MALLOC_MMAP_THRESHOLD_}/{@code MALLOC_TRIM_THRESHOLD_} would do, so that freed buffers are reused.</li>
 * </ul>
 * Explicit settings win: a variable already in the environment (or any {@code GLIBC_TUNABLES}) is left as it is.
 * Where the C library has neither call (musl, macOS) nothing changes.
 */
public final class NativeAllocator {

    static final String HUGE_PAGES = "THP_MEM_ALLOC_ENABLE";
    private static final int M_TRIM_THRESHOLD = -1;
    private static final int M_MMAP_THRESHOLD = -3;
    private static final int KEEP_UP_TO = 1 << 30;

    /** The C library calls this needs. */
    interface CLibrary extends Library {
        int mallopt(int param, int value);

        int setenv(String name, String value, int overwrite);
    }

    private NativeAllocator() {
    }

    /** Applies the settings; returns what was done, for the start-up log. */
    static String configure() {
        CLibrary libc;
        try {
            libc = Native.load(Platform.C_LIBRARY_NAME, CLibrary.class);
        } catch (UnsatisfiedLinkError | RuntimeException e) {
            return "native allocator left as it is (" + e.getMessage() + ")";
        }
        StringBuilder done = new StringBuilder();
        try {
            if (System.getenv(HUGE_PAGES) == null && libc.setenv(HUGE_PAGES, "1", 0) == 0) {
                done.append("libtorch buffers of 2 MB and more on transparent huge pages");
            }
            if (jemallocLoaded()) {
                return done.append(done.isEmpty() ? "" : "; ").append("jemalloc serves malloc").toString();
            }
            if (!glibcMallocSetByHand() && libc.mallopt(M_MMAP_THRESHOLD, KEEP_UP_TO) == 1
                    && libc.mallopt(M_TRIM_THRESHOLD, KEEP_UP_TO) == 1) {
                done.append(done.isEmpty() ? "" : "; ").append("glibc keeps freed buffers up to 1 GiB");
            }
        } catch (UnsatisfiedLinkError e) {
            done.append(done.isEmpty() ? "" : "; ").append("no mallopt in this C library");
        }
        return done.isEmpty() ? "native allocator left as it is" : done.toString();
    }

    private static boolean glibcMallocSetByHand() {
        return System.getenv("GLIBC_TUNABLES") != null || System.getenv("MALLOC_MMAP_THRESHOLD_") != null
                || System.getenv("MALLOC_TRIM_THRESHOLD_") != null;
    }

    /** Whether jemalloc is mapped into this process (preloaded, as in the Docker image). */
    public static boolean jemallocLoaded() {
        try {
            return Files.readString(Path.of("/proc/self/maps")).contains("jemalloc");
        } catch (IOException | RuntimeException e) {
            return false;
        }
    }
}
