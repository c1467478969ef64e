package dev.diffusion.pipeline;

import static org.assertj.core.api.Assertions.assertThat;
import static org.junit.jupiter.api.DynamicTest.dynamicTest;

import com.fasterxml.jackson.annotation.JsonIgnoreProperties;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.stream.IntStream;
import java.util.stream.Stream;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.DynamicTest;
import org.junit.jupiter.api.TestFactory;
import tools.jackson.databind.ObjectMapper;

/**
 * Checks {@link ClipTokenizer#ids} with the project's tokenizer.json against OpenAI CLIP's tokenizer (see
 * src/test/resources/conformance/README.md); the vectors file is named by the system property
 * {@code conformance.tokenizer.file}.
 */
class ClipTokenizerConformanceTest {

    private static final String FILE_PROPERTY = "conformance.tokenizer.file";
    private static final String DEFAULT_FILE = "src/test/resources/conformance/clip_tokens.json";
    static final Path TOKENIZER_JSON = Path.of("src/training/clip/tokenizer.json");
    private static final int NAME_TEXT_LENGTH = 40;

    private static ClipTokenizer tokenizer;

    @JsonIgnoreProperties(ignoreUnknown = true)
    record TokenVectors(List<TokenCase> cases) {
    }

    @JsonIgnoreProperties(ignoreUnknown = true)
    record TokenCase(String text, long[] ids) {
    }

    @BeforeAll
    static void loadTokenizer() {
        // maxLength and pad id do not matter here: ids() neither pads nor truncates
        tokenizer = new ClipTokenizer(TOKENIZER_JSON, 77, 49407);
    }

    @AfterAll
    static void closeTokenizer() {
        tokenizer.close();
    }

    @TestFactory
    Stream<DynamicTest> idsMatchOpenAiClip() {
        List<TokenCase> cases = readCases();
        return IntStream.range(0, cases.size()).mapToObj(index -> {
            TokenCase tokenCase = cases.get(index);
            String name = "#" + index + " " + shortened(tokenCase.text());
            return dynamicTest(name, () ->
                    assertThat(tokenizer.ids(tokenCase.text())).as("ids of case %s", name).containsExactly(tokenCase.ids()));
        });
    }

    private static String shortened(String text) {
        String oneLine = text.replace("\n", "\\n").replace("\t", "\\t");
        return '"' + (oneLine.length() <= NAME_TEXT_LENGTH ? oneLine : oneLine.substring(0, NAME_TEXT_LENGTH) + "…") + '"';
    }

    private static List<TokenCase> readCases() {
        Path file = Path.of(System.getProperty(FILE_PROPERTY, DEFAULT_FILE));
        assertThat(Files.isRegularFile(file))
                .as("CLIP token vectors %s (system property %s) must exist", file.toAbsolutePath(), FILE_PROPERTY)
                .isTrue();
        List<TokenCase> cases = new ObjectMapper().readValue(file.toFile(), TokenVectors.class).cases();
        assertThat(cases).as("cases in %s", file).isNotEmpty();
        return cases;
    }
}
