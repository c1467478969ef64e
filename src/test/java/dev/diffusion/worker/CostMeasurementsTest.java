package dev.diffusion.worker;

import static org.assertj.core.api.Assertions.assertThat;

import dev.diffusion.model.CallCost;
import dev.diffusion.model.ModelCosts;
import dev.diffusion.model.ModelFolder;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.FileTime;
import java.time.Instant;
import java.util.stream.Stream;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Kept cost measurements are reused only for the same model files, device, budget and probe. */
class CostMeasurementsTest {

    private static final long BUDGET = 1L << 30;
    private static final String PROBE = "max call 0.5 s";
    private static final ModelCosts COSTS = new ModelCosts(new CallCost(1, 2, 3), new CallCost(0.1, 0.2, 0.3),
            new CallCost(4, 5, 6), new CallCost(0.4, 0.5, 0.6));

    @TempDir
    Path temp;
    private ModelFolder model;
    private CostMeasurements kept;

    @BeforeEach
    void copyModel() throws IOException {
        Path source = Path.of("src/test/resources/models/tiny");
        Path copy = temp.resolve("models/tiny");
        try (Stream<Path> files = Files.walk(source)) {
            for (Path path : files.toList()) {
                // links (the shared tokenizer) are copied as the files they point to
                Path target = copy.resolve(source.relativize(path).toString());
                if (Files.isDirectory(path)) {
                    Files.createDirectories(target);
                } else {
                    Files.copy(path, target);
                }
            }
        }
        model = ModelFolder.open(copy);
        kept = new CostMeasurements(temp.resolve("costs"));
    }

    @Test
    void aSavedMeasurementIsFoundForTheSameModelDeviceBudgetAndProbe() {
        assertThat(kept.find(model, "cpu()", BUDGET, PROBE)).isEmpty();
        kept.save(model, "cpu()", BUDGET, PROBE, COSTS);

        assertThat(kept.find(model, "cpu()", BUDGET, PROBE)).hasValue(COSTS);
        assertThat(new CostMeasurements(temp.resolve("costs")).find(model, "cpu()", BUDGET, PROBE))
                .as("by another start").hasValue(COSTS);
        assertThat(kept.find(model, "gpu(0)", BUDGET, PROBE)).as("another device").isEmpty();
        assertThat(kept.find(model, "cpu()", BUDGET / 2, PROBE)).as("another budget").isEmpty();
        assertThat(kept.find(model, "cpu()", BUDGET, "max call 1.0 s")).as("another probe").isEmpty();
    }

    @Test
    void aChangedModelFileIsMeasuredAgain() throws IOException {
        kept.save(model, "cpu()", BUDGET, PROBE, COSTS);
        Path unet = model.dir().resolve("unet/model.pt");
        Files.setLastModifiedTime(unet, FileTime.from(Instant.now().plusSeconds(60)));

        assertThat(kept.find(model, "cpu()", BUDGET, PROBE)).isEmpty();
    }

    @Test
    void anUnreadableFileIsMeasuredAgainAndAnUnwritableFolderOnlyLosesTheSaving() throws IOException {
        kept.save(model, "cpu()", BUDGET, PROBE, COSTS);
        try (Stream<Path> files = Files.list(temp.resolve("costs"))) {
            Files.writeString(files.findFirst().orElseThrow(), "{\"key\": ");
        }
        assertThat(kept.find(model, "cpu()", BUDGET, PROBE)).isEmpty();

        Path notAFolder = Files.writeString(temp.resolve("a-file"), "");
        CostMeasurements nowhere = new CostMeasurements(notAFolder.resolve("costs"));
        nowhere.save(model, "cpu()", BUDGET, PROBE, COSTS);
        assertThat(nowhere.find(model, "cpu()", BUDGET, PROBE)).isEmpty();
    }

    @Test
    void withoutAFolderNothingIsKept() {
        CostMeasurements none = new CostMeasurements(null);
        none.save(model, "cpu()", BUDGET, PROBE, COSTS);
        assertThat(none.find(model, "cpu()", BUDGET, PROBE)).isEmpty();
    }
}
