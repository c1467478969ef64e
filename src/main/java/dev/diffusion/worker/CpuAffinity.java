package dev.diffusion.worker;

import com.sun.jna.Function;
import com.sun.jna.Memory;
import com.sun.jna.NativeLibrary;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;

/**
 * The calling thread's CPU affinity (Linux {@code sched_getaffinity}/{@code sched_setaffinity}), so that the cost
 * probe can time each call on more than one CPU: a shared VM's vCPUs slow down one at a time, for seconds to minutes,
 * and a thread the scheduler keeps on the slow one measures every call slow.
 */
final class CpuAffinity {

    /** {@code cpu_set_t}: 1024 CPUs. */
    private static final int SET_BYTES = 128;
    private static final Function GET = lookup("sched_getaffinity");
    private static final Function SET = lookup("sched_setaffinity");

    private CpuAffinity() {
    }

    /** The CPUs the calling thread may run on now; empty where that cannot be read (not Linux). */
    static Optional<Memory> current() {
        if (GET == null || SET == null) {
            return Optional.empty();
        }
        Memory mask = new Memory(SET_BYTES);
        mask.clear();
        try {
            return GET.invokeInt(new Object[] {0, (long) SET_BYTES, mask}) == 0 ? Optional.of(mask) : Optional.empty();
        } catch (RuntimeException | UnsatisfiedLinkError e) {
            return Optional.empty();
        }
    }

    /** The CPU numbers in a mask. */
    static List<Integer> cpus(Memory mask) {
        List<Integer> cpus = new ArrayList<>();
        for (int cpu = 0; cpu < SET_BYTES * 8; cpu++) {
            if ((mask.getByte(cpu / 8) & (1 << (cpu % 8))) != 0) {
                cpus.add(cpu);
            }
        }
        return cpus;
    }

    /** Keeps the calling thread on one CPU; false where it cannot. */
    static boolean pin(int cpu) {
        Memory mask = new Memory(SET_BYTES);
        mask.clear();
        mask.setByte(cpu / 8, (byte) (1 << (cpu % 8)));
        return set(mask);
    }

    /** Sets the calling thread's CPUs back to a mask {@link #current} read; false where it cannot. */
    static boolean set(Memory mask) {
        try {
            return SET != null && SET.invokeInt(new Object[] {0, (long) SET_BYTES, mask}) == 0;
        } catch (RuntimeException | UnsatisfiedLinkError e) {
            return false;
        }
    }

    private static Function lookup(String name) {
        try {
            return NativeLibrary.getProcess().getFunction(name);
        } catch (UnsatisfiedLinkError | RuntimeException e) {
            return null;
        }
    }
}
