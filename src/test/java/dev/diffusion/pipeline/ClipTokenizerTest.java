package dev.diffusion.pipeline;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.diffusion.model.TextCleaning;
import java.io.UncheckedIOException;
import java.nio.file.Path;
import java.util.Arrays;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

class ClipTokenizerTest {

    private static final int MAX_LENGTH = 77;
    private static final long START = 49406;
    private static final long END = 49407;
    // Not the end token, so that padding can be told apart from the end token
    private static final long PAD = 0;
    private static final long WORD = 2653; // "word</w>"

    private static ClipTokenizer tokenizer;

    @BeforeAll
    static void loadTokenizer() {
        tokenizer = new ClipTokenizer(ClipTokenizerConformanceTest.TOKENIZER_JSON, MAX_LENGTH, PAD);
    }

    @AfterAll
    static void closeTokenizer() {
        tokenizer.close();
    }

    @Test
    void shortTextIsPaddedAfterItsEndToken() {
        long[] encoded = tokenizer.encode("word word");

        assertThat(encoded).hasSize(MAX_LENGTH);
        assertThat(Arrays.copyOf(encoded, 4)).containsExactly(START, WORD, WORD, END);
        assertThat(Arrays.copyOfRange(encoded, 4, MAX_LENGTH)).containsOnly(PAD);
    }

    @Test
    void textThatFillsTheLengthExactlyIsUnchanged() {
        String text = "word ".repeat(MAX_LENGTH - 2);
        long[] ids = tokenizer.ids(text);

        assertThat(ids).hasSize(MAX_LENGTH);
        assertThat(tokenizer.encode(text)).containsExactly(ids);
    }

    @Test
    void longTextIsCutKeepingTheEndTokenLast() {
        String text = "word ".repeat(100);
        long[] ids = tokenizer.ids(text);
        long[] encoded = tokenizer.encode(text);

        assertThat(ids).hasSize(102);
        assertThat(encoded).hasSize(MAX_LENGTH);
        assertThat(encoded[0]).isEqualTo(START);
        assertThat(Arrays.copyOfRange(encoded, 1, MAX_LENGTH - 1)).containsOnly(WORD);
        assertThat(encoded[MAX_LENGTH - 1]).isEqualTo(END);
    }

    @Test
    void emptyTextIsStartAndEndOnly() {
        assertThat(tokenizer.ids(" \t\n ")).containsExactly(START, END);
    }

    @Test
    void lengthBelowStartAndEndTokensIsRejected() {
        assertThatThrownBy(() -> new ClipTokenizer(ClipTokenizerConformanceTest.TOKENIZER_JSON, 1, PAD))
                .isInstanceOf(IllegalArgumentException.class);
    }

    @Test
    void missingTokenizerFileFails() {
        assertThatThrownBy(() -> new ClipTokenizer(Path.of("no/such/tokenizer.json"), MAX_LENGTH, PAD))
                .isInstanceOf(UncheckedIOException.class);
    }

    /**
     * Expected values are OpenAI CLIP's cleaning without ftfy: Python's {@code html.unescape} twice, then
     * whitespace_clean (the {@code regex} module's {@code \s}, then {@code strip()}) and {@code lower()}. The Java
     * escapes in the text block stand for tabs and invisible characters.
     */
    @ParameterizedTest(name = "[{index}] {0}")
    @CsvSource(delimiter = '|', quoteCharacter = '`', textBlock = """
            &amp;lt;b&amp;gt;              | <b>
            don&#39;t &#x27;x&#X27;         | don't 'x'
            &apos;&quot;&hellip;&euro;      | '"…€
            AT&T &amp R&D                   | at&t & r&d
            &notit; &not it &ampx &AMP;     | ¬it; ¬ it &x &
            &copy2024 &frac12; &Eacute;t&eacute; | ©2024 ½ été
            &unknown; &; & x &#; &#x; &#xZ; | &unknown; &; & x &#; &#x; &#xz;
            &#0; &#128; &#x9D; &#x80        | \uFFFD € \u009D €
            a&#1;b&#x7F;c&#xFFFF;d&#11;e     | abcde
            &#xD800;&#1114112;&#99999999999 | \uFFFD\uFFFD\uFFFD
            &#128512;&#x1F600;              | 😀😀
            &#65&#66;C                      | abc
            &Sigma;&sigma;&sigmaf; &Omega;  | σσς ω
            `  Tabs\tand\u00A0no-break\u3000spaces  ` | tabs and no-break spaces
            a&#x20;&#x20;b&nbsp;&#9;c       | a b c
            a\u001Cb \u001F c               | a\u001Cb \u001F c
            `\u001Ca b\u001F`               | a b
            ΑΣ ΟΔΟΣ                         | ας οδος
            ΑΣ:© ΑΣ.Α ΑΣ\u0301 Σ            | ας:© ασ.α ας\u0301 σ
            """)
    void cleansTextAsTheReference(String text, String expected) {
        assertThat(ClipTokenizer.clean(text)).isEqualTo(expected);
    }

    /**
     * Expected values are transformers 4.57's slow CLIPTokenizer without ftfy (as diffusers runs Stable Diffusion
     * checkpoints): {@code " ".join(tokenizer.nlp.tokenize(text))}, its BasicTokenizer. HTML entities stay; control and
     * format characters go; CJK ideographs become words; NFC.
     */
    @ParameterizedTest(name = "[{index}] {0}")
    @CsvSource(delimiter = '|', quoteCharacter = '`', textBlock = """
            salt &amp; pepper &lt;3 caf&eacute; &#x263A;    | salt &amp; pepper &lt;3 caf&eacute; &#x263a;
            Ein Fuchs\u200B im Schnee\u0007 \u72D0\u72F8 im \u03A3NOW, caf\u00E9 | ein fuchs im schnee \u72D0 \u72F8 im \u03C3now, caf\u00E9
            `  A\tB\nC\u00A0D\u2028E\u000BF\u0085G  `        | a b c d efg
            ΟΔΟΣ ΟΔΟΣ. Σ                                    | \u03BF\u03B4\u03BF\u03C2 \u03BF\u03B4\u03BF\u03C2. \u03C3
            cafe\u0301 \uE000private \uD83D\uDE00 emoji      | caf\u00E9 private \uD83D\uDE00 emoji
            \uF900\u3400x                                   | \u8C48 \u3400 x
            """)
    void cleansTextAsTransformersSlowTokenizer(String text, String expected) {
        assertThat(ClipTokenizer.cleanAsTransformers(text)).isEqualTo(expected);
    }

    @Test
    void withTransformersCleaningTheIdsAreTransformersIdsAndHtmlEntitiesStay() {
        String text = "salt &amp; pepper &lt;3 caf&eacute; &#x263A;";
        try (ClipTokenizer transformers = new ClipTokenizer(ClipTokenizerConformanceTest.TOKENIZER_JSON, MAX_LENGTH,
                PAD, TextCleaning.TRANSFORMERS_SLOW)) {
            // CLIPTokenizer(...)(text).input_ids, transformers 4.57.6 without ftfy
            assertThat(transformers.ids(text)).containsExactly(49406, 6611, 261, 6259, 282, 8253, 261, 3333, 282, 274,
                    20867, 261, 68, 19734, 282, 5, 258, 343, 273, 277, 274, 320, 282, 49407);
        }
        // OpenAI's reference unescapes them: "salt & pepper <3 café ☺"
        assertThat(tokenizer.ids(text)).hasSizeLessThan(15);
    }
}
