package dev.diffusion.model;

import com.sun.jna.Function;
import com.sun.jna.Pointer;
import java.io.IOException;

/**
 * Lets oneMKL, which libtorch links in for its matrix products, choose its kernels by the CPU's features on every
 * vendor's CPU. oneMKL 2024 takes its generic kernels ({@code mkl_blas_def_*}) on any CPU whose vendor is not Intel,
 * though an AMD EPYC has the AVX2 and AVX-512 its other kernels use: a 2-row UNet call of the tiny SD 1.x model at
 * 128 px took 6.9–7.4 ms that way against 5.5–5.8 ms with the AVX-512 kernels (BENCHMARKS.md, "Real sizes").
 *
 * <p>oneMKL asks one function, {@value #VENDOR_CHECK}, which runs cpuid's vendor check the first time and keeps the
 * answer in a variable, negative until then. Before the first matrix product this sets that variable to 1 (Intel), as
 * the well-known preloaded stand-in for the function would; the CPU's features still decide which kernels run. It
 * does so only where the function's first instructions are exactly the cached check this libtorch build has
 * ({@code mov cached(%rip),%eax; test; js; ret}), so another build is left as it is. Off with
 * {@value #SWITCH}{@code =false}. oneDNN's convolutions are not MKL's and keep {@code ONEDNN_MAX_CPU_ISA}.
 */
public final class MklCodePath {

    static final String SWITCH = "DIFFUSION_MKL_BY_CPU_FEATURES";
    static final String VENDOR_CHECK = "mkl_serv_intel_cpu_true";
    /** {@code mov disp32(%rip),%eax}, then {@code test %eax,%eax; js +1; ret}: the displacement is bytes 2–5. */
    private static final byte[] CACHED_CHECK = {(byte) 0x8b, 0x05, 0, 0, 0, 0, (byte) 0x85, (byte) 0xc0, 0x78, 0x01,
        (byte) 0xc3};
    private static final int MOV_LENGTH = 6;
    private static String outcome;

    private MklCodePath() {
    }

    /**
     * Applies the change once libtorch is loaded, before its first matrix product (once per process); returns what
     * happened, for the start-up log, or null when there is nothing to say (switched off, no such function, an Intel
     * CPU).
     */
    public static synchronized String apply() {
        if (outcome == null) {
            outcome = decide();
        }
        return outcome.isEmpty() ? null : outcome;
    }

    private static String decide() {
        if ("false".equalsIgnoreCase(System.getenv(SWITCH))) {
            return "";
        }
        try {
            Function check = NativeRuntime.loadedFunction("libtorch_cpu.so", VENDOR_CHECK);
            if (check == null) {
                return "";
            }
            Pointer cached = cachedAnswer(check);
            if (cached == null) {
                return "oneMKL left to choose its kernels by CPU vendor (" + VENDOR_CHECK + " is not the expected "
                        + "code)";
            }
            int answered = cached.getInt(0);
            if (answered >= 0) {
                // asked already, so MKL may have chosen its kernels by that answer: changing it now could mix paths
                return answered == 0 ? "oneMKL had already chosen its generic kernels before the model loaded" : "";
            }
            if (check.invokeInt(new Object[0]) == 1) {
                return "";  // an Intel CPU: nothing to change
            }
            cached.setInt(0, 1);
            return check.invokeInt(new Object[0]) == 1 ? "oneMKL kernels chosen by CPU features, not vendor" : "";
        } catch (IOException | UnsatisfiedLinkError | RuntimeException e) {
            return "";
        }
    }

    /** The variable the function keeps its answer in, or null where its code is not the cached check. */
    static Pointer cachedAnswer(Function check) {
        byte[] code = check.getByteArray(0, CACHED_CHECK.length);
        for (int i = 0; i < code.length; i++) {
            boolean displacement = i >= 2 && i < MOV_LENGTH;
            if (!displacement && code[i] != CACHED_CHECK[i]) {
                return null;
            }
        }
        int displacement = (code[2] & 0xff) | (code[3] & 0xff) << 8 | (code[4] & 0xff) << 16 | code[5] << 24;
        // rip-relative: from the address of the next instruction
        return check.share(MOV_LENGTH + (long) displacement);
    }
}
