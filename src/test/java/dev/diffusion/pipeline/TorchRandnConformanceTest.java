package dev.diffusion.pipeline;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.within;
import static org.junit.jupiter.api.DynamicTest.dynamicTest;

import com.fasterxml.jackson.annotation.JsonIgnoreProperties;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.stream.IntStream;
import java.util.stream.Stream;
import org.junit.jupiter.api.DynamicTest;
import org.junit.jupiter.api.TestFactory;
import tools.jackson.databind.ObjectMapper;

/**
 * Checks {@link TorchRandom} against {@code torch.randn} vectors (see src/test/resources/conformance/README.md); the file
 * is named by the system property {@code conformance.randn.file}.
 */
class TorchRandnConformanceTest {

    private static final String FILE_PROPERTY = "conformance.randn.file";
    private static final String DEFAULT_FILE = "src/test/resources/conformance/torch_randn.json";
    private static final double TOLERANCE = 1e-6;
    // Below this size torch takes its scalar path; at and above it, the vectorised one in 16-value chunks.
    private static final int VECTOR_CHUNK = 16;

    @JsonIgnoreProperties(ignoreUnknown = true)
    record RandnVectors(List<RandnCase> cases) {
    }

    @JsonIgnoreProperties(ignoreUnknown = true)
    record RandnCase(long seed, int[] shape, double[] values) {
        String name() {
            return "seed " + seed + " shape " + Arrays.toString(shape);
        }
    }

    @TestFactory
    Stream<DynamicTest> randnMatchesTorch() {
        return readCases().stream().map(randnCase -> dynamicTest(randnCase.name(), () ->
                assertMatches(new TorchRandom(randnCase.seed()).randn(randnCase.shape()), randnCase)));
    }

    /**
     * Torch continues one generator's stream across calls: on the scalar path the cached second normal of a pair
     * carries over (so any split of a small draw gives the same values), and on the vectorised path whole
     * 16-value chunks are independent (so drawing 16 at a time gives the same values).
     */
    @TestFactory
    Stream<DynamicTest> consecutiveCallsContinueTheStream() {
        List<DynamicTest> tests = new ArrayList<>();
        for (RandnCase randnCase : readCases()) {
            int size = randnCase.values().length;
            if (size < VECTOR_CHUNK) {
                for (int first = 1; first < size; first++) {
                    tests.add(splitDrawTest(randnCase, first, size - first));
                }
            } else if (size % VECTOR_CHUNK == 0 && size > VECTOR_CHUNK) {
                tests.add(splitDrawTest(randnCase, IntStream.generate(() -> VECTOR_CHUNK)
                        .limit(size / VECTOR_CHUNK).toArray()));
            }
        }
        return tests.stream();
    }

    private static DynamicTest splitDrawTest(RandnCase randnCase, int... drawSizes) {
        String name = randnCase.name() + " drawn as " + Arrays.toString(drawSizes);
        return dynamicTest(name, () -> {
            TorchRandom random = new TorchRandom(randnCase.seed());
            float[] joined = new float[0];
            for (int drawSize : drawSizes) {
                float[] draw = random.randn(drawSize);
                int joinedSize = joined.length;
                joined = Arrays.copyOf(joined, joinedSize + draw.length);
                System.arraycopy(draw, 0, joined, joinedSize, draw.length);
            }
            assertMatches(joined, randnCase);
        });
    }

    private static void assertMatches(float[] actual, RandnCase randnCase) {
        double[] expected = randnCase.values();
        assertThat(actual).as("%s: number of values", randnCase.name()).hasSize(expected.length);
        for (int i = 0; i < expected.length; i++) {
            assertThat((double) actual[i]).as("%s: value %d", randnCase.name(), i)
                    .isCloseTo(expected[i], within(TOLERANCE));
        }
    }

    private static List<RandnCase> readCases() {
        Path file = Path.of(System.getProperty(FILE_PROPERTY, DEFAULT_FILE));
        assertThat(Files.isRegularFile(file))
                .as("torch.randn vectors %s (system property %s) must exist", file.toAbsolutePath(), FILE_PROPERTY)
                .isTrue();
        List<RandnCase> cases = new ObjectMapper().readValue(file.toFile(), RandnVectors.class).cases();
        assertThat(cases).as("cases in %s", file).isNotEmpty();
        return cases;
    }
}
