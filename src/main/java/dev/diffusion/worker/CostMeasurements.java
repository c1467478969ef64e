package dev.diffusion.worker;

import dev.diffusion.model.ModelCosts;
import dev.diffusion.model.ModelFolder;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.HexFormat;
import java.util.List;
import java.util.Optional;
import java.util.UUID;
import java.util.stream.Stream;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import tools.jackson.core.JacksonException;
import tools.jackson.databind.json.JsonMapper;

/**
 * The cost probe's measurements kept in a folder ({@code diffusion.limits.cost-cache-dir}), so that a restart on the
 * same machine does not spend its worker's first half-minute measuring again. A measurement is reused only for the
 * same model files (path, size and modification time of each), device, memory budget and probe, and the same
 * machine as far as the speed depends on it: CPU, processors, allocator and oneDNN settings. Anything unreadable is
 * measured again; a folder that cannot be written only loses the saving.
 */
public final class CostMeasurements {

    private static final Logger log = LoggerFactory.getLogger(CostMeasurements.class);
    private static final JsonMapper JSON = JsonMapper.builder().build();
    /**
     * Raise when what the probe measures changes, so that older files are measured again (3: ATen kernels at AVX2;
     * 4: an 8-row mid-size UNet call; 5: the rows exponent; 6: warm-up, a second timing pass, decoder batches;
     * 7: a per-row term, attention's term without the batch discount; 8: decoder batches of 2).
     */
    private static final int FORMAT = 8;
    private static final List<String> SPEED_SETTINGS = List.of("ONEDNN_MAX_CPU_ISA", "ATEN_CPU_CAPABILITY", "LD_PRELOAD",
            "MALLOC_CONF", "MALLOC_MMAP_THRESHOLD_", "MALLOC_TRIM_THRESHOLD_", "OMP_NUM_THREADS");

    /** What a file holds: the key it was measured under (readable, and checked on reading) and the costs. */
    record Entry(String key, ModelCosts costs) {
    }

    private final Path dir;

    /** @param dir where the files go; null keeps nothing (every start measures) */
    public CostMeasurements(Path dir) {
        this.dir = dir;
    }

    public Optional<ModelCosts> find(ModelFolder folder, String device, long budgetBytes, String probe) {
        if (dir == null) {
            return Optional.empty();
        }
        String key = key(folder, device, budgetBytes, probe);
        Path file = file(folder, key);
        if (!Files.isRegularFile(file)) {
            return Optional.empty();
        }
        try {
            Entry entry = JSON.readValue(file.toFile(), Entry.class);
            return key.equals(entry.key()) ? Optional.ofNullable(entry.costs()) : Optional.empty();
        } catch (JacksonException e) {
            log.warn("measured costs in {} are unreadable, measuring again: {}", file, e.getOriginalMessage());
            return Optional.empty();
        }
    }

    public void save(ModelFolder folder, String device, long budgetBytes, String probe, ModelCosts costs) {
        if (dir == null) {
            return;
        }
        String key = key(folder, device, budgetBytes, probe);
        Path file = file(folder, key);
        try {
            Files.createDirectories(dir);
            Path partial = Files.createTempFile(dir, file.getFileName().toString(), ".tmp");
            Files.writeString(partial, JSON.writeValueAsString(new Entry(key, costs)));
            Files.move(partial, file, StandardCopyOption.REPLACE_EXISTING, StandardCopyOption.ATOMIC_MOVE);
        } catch (IOException | JacksonException e) {
            log.warn("could not keep model {}'s measured costs in {}: {}", folder.name(), dir, e.toString());
        }
    }

    private Path file(ModelFolder folder, String key) {
        return dir.resolve(folder.name() + "-" + sha256(key).substring(0, 16) + ".json");
    }

    /** Everything a measurement depends on, as text. */
    static String key(ModelFolder folder, String device, long budgetBytes, String probe) {
        StringBuilder key = new StringBuilder("format ").append(FORMAT)
                .append("; device ").append(device)
                .append("; budget ").append(budgetBytes)
                .append("; probe ").append(probe)
                .append("; processors ").append(Runtime.getRuntime().availableProcessors())
                .append("; cpu ").append(cpuModel())
                .append("; arch ").append(System.getProperty("os.arch"));
        for (String setting : SPEED_SETTINGS) {
            key.append("; ").append(setting).append(' ').append(System.getenv().getOrDefault(setting, ""));
        }
        key.append("; files");
        try (Stream<Path> files = Files.walk(folder.dir())) {
            for (Path path : files.filter(Files::isRegularFile).sorted().toList()) {
                key.append(' ').append(folder.dir().relativize(path)).append(':').append(Files.size(path))
                        .append(':').append(Files.getLastModifiedTime(path).toMillis());
            }
        } catch (IOException e) {
            key.append(" unlisted ").append(UUID.randomUUID());  // never equal to a later key: measured again
        }
        return key.toString();
    }

    private static String cpuModel() {
        try (Stream<String> lines = Files.lines(Path.of("/proc/cpuinfo"))) {
            return lines.filter(line -> line.startsWith("model name")).findFirst()
                    .map(line -> line.substring(line.indexOf(':') + 1).trim()).orElse("unknown");
        } catch (IOException | RuntimeException e) {
            return "unknown";
        }
    }

    private static String sha256(String text) {
        try {
            return HexFormat.of().formatHex(MessageDigest.getInstance("SHA-256")
                    .digest(text.getBytes(StandardCharsets.UTF_8)));
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException(e);
        }
    }
}
