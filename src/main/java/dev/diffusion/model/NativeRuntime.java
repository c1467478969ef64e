package dev.diffusion.model;

import com.sun.jna.Function;
import com.sun.jna.Library;
import com.sun.jna.Memory;
import com.sun.jna.Native;
import com.sun.jna.NativeLibrary;
import com.sun.jna.Platform;
import com.sun.jna.Pointer;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

/**
 * Settings of libtorch's native runtime that it reads once, when it loads, so they are made at start before DJL
 * loads it. Explicit settings win: a variable already in the environment (for glibc's malloc, any
 * {@code GLIBC_TUNABLES}) is left as it is, and where the C library lacks a call (musl, macOS) nothing changes.
 *
 * <ul>
 * <li>OpenMP threads that wait for work sleep instead of spinning ({@code OMP_WAIT_POLICY=PASSIVE}). Small calls run
 * on one thread and never wait; a large call on two cores spun its second thread away whenever another process
 * wanted a core, many times slower on a busy machine (BENCHMARKS.md, "Real sizes").</li>
 * <li>Memory. A UNet call at a large latent allocates buffers of tens to hundreds of MB (attention scores) and frees
 * them at once; with glibc's defaults every call faults them in again. libtorch places its large buffers on
 * transparent huge pages ({@code THP_MEM_ALLOC_ENABLE}), one fault per huge page instead of per page; and under glibc's
 * malloc (not when jemalloc is preloaded) the thresholds under which glibc maps buffers separately and gives the top
 * of its heap back go up to 1 GiB ({@code mallopt}, as {@code MALLOC_MMAP_THRESHOLD_}/{@code MALLOC_TRIM_THRESHOLD_}
 * would), so that freed buffers are reused. glibc serves threads other than the main one from arenas of bounded
 * size, so larger buffers are still mapped anew on every call: jemalloc (README, "Native memory") keeps them.</li>
 * <li>Logging: libtorch logs errors only ({@code TORCH_CPP_LOG_LEVEL=ERROR}). On CPUs NNPACK does not support it
 * warned at every convolution, thousands of lines a minute. A C++ program must ask c10 to read the variable, as
 * Python's torch does at import and DJL does not: {@link #applyLibtorchLogLevel} does, once libtorch is loaded.</li>
 * <li>oneDNN's kernels go up to AVX2 ({@code ONEDNN_MAX_CPU_ISA=AVX2}): on AMD EPYC CPUs its AVX-512 kernels in
 * libtorch 2.7.1 intermittently returned all-NaN UNet outputs (README, "Environment for libtorch"). Set it to
 * {@code ALL} where AVX-512 is known to be safe.</li>
 * <li>ATen's own kernels (element-wise ops, softmax, normalisation) go up to AVX2 too ({@code ATEN_CPU_CAPABILITY=avx2}).
 * Its AVX-512 exp (SLEEF, in every SiLU, GELU and softmax) took tens of times longer on these VMs whenever the kernel
 * had aged libtorch's pages (cleared their accessed bits, as the machine's DAMON reclaim does to cold memory), and a
 * process then ran at half speed or worse for as long as it lived, sometimes from its first minute. The AVX2 kernels
 * are immune, and 3-15% slower than fresh AVX-512 ones (BENCHMARKS.md, "Real sizes", item 8).</li>
 * </ul>
 */
public final class NativeRuntime {

    static final String HUGE_PAGES = "THP_MEM_ALLOC_ENABLE";
    static final String WAIT_POLICY = "OMP_WAIT_POLICY";
    static final String LOG_LEVEL = "TORCH_CPP_LOG_LEVEL";
    static final String MAX_CPU_ISA = "ONEDNN_MAX_CPU_ISA";
    static final String ATEN_CAPABILITY = "ATEN_CPU_CAPABILITY";
    /** {@code at::get_cpu_capability()}: the kernels ATen dispatches to, as a {@code std::string}. */
    private static final String GET_CPU_CAPABILITY = "_ZN2at18get_cpu_capabilityB5cxx11Ev";
    /** A {@code std::string} of libstdc++: data pointer, length, then 16 bytes of inline storage. */
    private static final int STD_STRING_BYTES = 32;
    private static final int STD_STRING_INLINE = 15;
    /** {@code c10::initLogging()}: reads {@value #LOG_LEVEL} into c10's log level. */
    private static final String INIT_LOGGING = "_ZN3c1011initLoggingEv";
    private static boolean logLevelApplied;
    private static final int M_TRIM_THRESHOLD = -1;
    private static final int M_MMAP_THRESHOLD = -3;
    private static final int KEEP_UP_TO = 1 << 30;

    /** The C library calls this needs. */
    interface CLibrary extends Library {
        int mallopt(int param, int value);

        int setenv(String name, String value, int overwrite);
    }

    private NativeRuntime() {
    }

    /** Applies the settings; returns what was done, for the start-up log. */
    static String configure() {
        CLibrary libc;
        try {
            libc = Native.load(Platform.C_LIBRARY_NAME, CLibrary.class);
        } catch (UnsatisfiedLinkError | RuntimeException e) {
            return "left as it is (" + e.getMessage() + ")";
        }
        List<String> done = new ArrayList<>();
        try {
            if (setIfAbsent(libc, WAIT_POLICY, "PASSIVE")) {
                done.add("idle OpenMP threads sleep");
            }
            if (setIfAbsent(libc, LOG_LEVEL, "ERROR")) {
                done.add("libtorch logs errors only");
            }
            if (setIfAbsent(libc, MAX_CPU_ISA, "AVX2")) {
                done.add("oneDNN kernels up to AVX2");
            }
            if (setIfAbsent(libc, ATEN_CAPABILITY, "avx2")) {
                done.add("ATen kernels up to AVX2");
            }
            if (setIfAbsent(libc, HUGE_PAGES, "1")) {
                done.add("libtorch buffers of 2 MB and more on transparent huge pages");
            }
            if (jemallocLoaded()) {
                done.add("jemalloc serves malloc");
            } else if (!glibcMallocSetByHand() && libc.mallopt(M_MMAP_THRESHOLD, KEEP_UP_TO) == 1
                    && libc.mallopt(M_TRIM_THRESHOLD, KEEP_UP_TO) == 1) {
                done.add("glibc's malloc keeps freed buffers up to 1 GiB, but maps larger ones anew on every call of a "
                        + "large latent: preload jemalloc for those (README, \"Native memory\")");
            }
        } catch (UnsatisfiedLinkError e) {
            done.add("no " + e.getMessage() + " in this C library");
        }
        return done.isEmpty() ? "left as it is" : String.join("; ", done);
    }

    private static boolean setIfAbsent(CLibrary libc, String name, String value) {
        return System.getenv(name) == null && libc.setenv(name, value, 0) == 0;
    }

    private static boolean glibcMallocSetByHand() {
        return System.getenv("GLIBC_TUNABLES") != null || System.getenv("MALLOC_MMAP_THRESHOLD_") != null
                || System.getenv("MALLOC_TRIM_THRESHOLD_") != null;
    }

    /**
     * Has c10 read {@value #LOG_LEVEL} (see the class comment); call once libtorch is loaded. Returns whether it could:
     * not where the library or the call is missing (another libtorch build, no {@code /proc}).
     */
    public static synchronized boolean applyLibtorchLogLevel() {
        if (!logLevelApplied) {
            try {
                Function initLogging = loadedFunction("libc10.so", INIT_LOGGING);
                if (initLogging != null) {
                    initLogging.invokeVoid(new Object[0]);
                    logLevelApplied = true;
                }
            } catch (IOException | UnsatisfiedLinkError | RuntimeException e) {
                return false;
            }
        }
        return logLevelApplied;
    }

    /**
     * The instruction set of the kernels ATen dispatches to ({@code AVX2}, {@code AVX512}, {@code NO AVX}), as
     * libtorch itself reports it; null before libtorch is loaded or where the call is missing (another build).
     */
    public static String atenKernels() {
        try {
            Function capability = loadedFunction("libtorch_cpu.so", GET_CPU_CAPABILITY);
            if (capability == null) {
                return null;
            }
            // returned through a hidden pointer to the caller's std::string (x86-64 C++ ABI)
            Memory result = new Memory(STD_STRING_BYTES);
            capability.invoke(Pointer.class, new Object[] {result});
            long length = result.getLong(Long.BYTES);
            // the names are short enough to live inside the string object, so there is nothing to free
            return length <= STD_STRING_INLINE
                    ? new String(result.getPointer(0).getByteArray(0, (int) length), StandardCharsets.US_ASCII)
                    : null;
        } catch (IOException | UnsatisfiedLinkError | RuntimeException e) {
            return null;
        }
    }

    /** A function of a shared library mapped into this process; null where the library is not mapped. */
    static Function loadedFunction(String fileName, String symbol) throws IOException {
        Path library = loadedLibrary(fileName);
        return library == null ? null : NativeLibrary.getInstance(library.toString()).getFunction(symbol);
    }

    /** The path of a shared library mapped into this process, or null. */
    static Path loadedLibrary(String fileName) throws IOException {
        for (String line : Files.readAllLines(Path.of("/proc/self/maps"))) {
            int slash = line.indexOf('/');
            if (slash >= 0 && line.endsWith("/" + fileName)) {
                return Path.of(line.substring(slash));
            }
        }
        return null;
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
