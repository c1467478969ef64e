package dev.diffusion.model;

/** DJL defaults for a service that must work offline and send nothing anywhere; explicit settings win. */
public final class DjlSettings {

    private DjlSettings() {
    }

    public static void applyDefaults() {
        // libtorch ships inside the pytorch-native-cpu jar: never try to download it (users may be offline)
        setIfAbsent("ai.djl.offline", "true");
        // DJL otherwise probes a cloud metadata address once a day to report usage
        setIfAbsent("OPT_OUT_TRACKING", "true");
        // TorchScript's profiling executor re-profiles the graph for every new input shape, and a batching worker
        // meets many (rows vary with the jobs in a batch); on CPU it gained nothing in BENCHMARKS.md's measurement
        setIfAbsent("ai.djl.pytorch.graph_optimizer", "false");
    }

    private static void setIfAbsent(String key, String value) {
        if (System.getProperty(key) == null && System.getenv(key) == null) {
            System.setProperty(key, value);
        }
    }
}
