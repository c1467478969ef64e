package dev.diffusion.model;

/** DJL defaults for a service that must work offline and send nothing anywhere; explicit settings win. */
public final class DjlSettings {

    private static final String THREADS = "ai.djl.pytorch.num_threads";
    private static boolean applied;
    /** Whether the user chose libtorch's thread count, so that {@link IntraOpThreads} leaves it alone. */
    private static boolean threadsSetByHand;
    /** What {@link NativeRuntime} did at start, for the log. */
    private static String nativeRuntime = "not configured yet";

    private DjlSettings() {
    }

    public static synchronized void applyDefaults() {
        if (applied) {
            return;
        }
        applied = true;
        threadsSetByHand = isSet(THREADS);
        // before libtorch loads: it reads its OpenMP and huge-page settings once
        nativeRuntime = NativeRuntime.configure();
        // libtorch ships inside the pytorch-native-cpu jar: never try to download it (users may be offline)
        setIfAbsent("ai.djl.offline", "true");
        // DJL otherwise probes a cloud metadata address once a day to report usage
        setIfAbsent("OPT_OUT_TRACKING", "true");
        // TorchScript's profiling executor re-profiles the graph for every new input shape, and a batching worker
        // meets many (rows vary with the jobs in a batch); on CPU it gained nothing in BENCHMARKS.md's measurement
        setIfAbsent("ai.djl.pytorch.graph_optimizer", "false");
        // On 2 cores one intra-op thread beats two for this service's small calls, in call time and in images/s
        // (BENCHMARKS.md, "Threads"); large batched calls take both cores again (IntraOpThreads). With more cores
        // DJL's default (one thread per core) stays
        if (Runtime.getRuntime().availableProcessors() <= 2) {
            setIfAbsent(THREADS, "1");
        }
    }

    /** What was set for libtorch's native runtime at start (see {@link NativeRuntime}). */
    public static synchronized String nativeRuntime() {
        applyDefaults();
        return nativeRuntime;
    }

    static synchronized boolean threadsSetByHand() {
        applyDefaults();
        return threadsSetByHand;
    }

    private static boolean isSet(String key) {
        return System.getProperty(key) != null || System.getenv(key) != null;
    }

    private static void setIfAbsent(String key, String value) {
        if (!isSet(key)) {
            System.setProperty(key, value);
        }
    }
}
