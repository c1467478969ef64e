package dev.diffusion.image;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.twelvemonkeys.imageio.plugins.webp.WebPImageReaderSpi;
import java.awt.image.BufferedImage;
import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.stream.Stream;
import javax.imageio.ImageIO;
import javax.imageio.ImageReader;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.EnumSource;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * Every output format decodes, through a decoder that is not the encoder's (ImageIO's PNG and JPEG readers,
 * TwelveMonkeys' pure-Java WebP reader), to the size and pixels written, and carries the infotext where AUTOMATIC1111
 * puts it, byte for byte.
 */
class ImageEncodersTest {

    private static final int WIDTH = 61; // odd, and not a multiple of JPEG's or WebP's 16-pixel blocks
    private static final int HEIGHT = 43;
    private static final byte[] PIXELS = TestPictures.gradients(WIDTH, HEIGHT, 7);
    private static final String INFOTEXT = "a red circle on a blue background\nNegative prompt: blurry\n"
            + "Steps: 20, Sampler: DPM++ 2M, Schedule type: Karras, CFG scale: 7.5, Seed: 42, Size: 61x43, "
            + "Model: shapes";

    /**
     * Format, compression, and how far a decoded channel value may be from the original: mean, and at most. The lossy
     * bounds leave a margin over what this picture measures; JPEG is not exact even at 100, as its 4:2:0 chroma drops
     * the colour noise.
     */
    static Stream<Arguments> fidelity() {
        return Stream.of(
                Arguments.of(OutputFormat.PNG, 100, 0.0, 0),
                Arguments.of(OutputFormat.WEBP, 100, 0.0, 0),
                Arguments.of(OutputFormat.JPEG, 100, 3.5, 24),
                Arguments.of(OutputFormat.JPEG, 75, 5.0, 32),
                Arguments.of(OutputFormat.WEBP, 75, 7.0, 50),
                Arguments.of(OutputFormat.WEBP, 0, 16.0, 140));
    }

    @ParameterizedTest(name = "{0} at {1}")
    @MethodSource("fidelity")
    void decodesToTheSizeAndPixelsWritten(OutputFormat format, int compression, double meanError, int maxError)
            throws IOException {
        BufferedImage decoded = decode(format, format.encoder().encode(WIDTH, HEIGHT, PIXELS, INFOTEXT, compression));

        assertThat(decoded.getWidth()).isEqualTo(WIDTH);
        assertThat(decoded.getHeight()).isEqualTo(HEIGHT);
        long total = 0;
        int worst = 0;
        for (int p = 0; p < WIDTH * HEIGHT; p++) {
            int rgb = decoded.getRGB(p % WIDTH, p / WIDTH);
            for (int c = 0; c < 3; c++) {
                int error = Math.abs((rgb >> (16 - 8 * c) & 0xff) - (PIXELS[p * 3 + c] & 0xff));
                total += error;
                worst = Math.max(worst, error);
            }
        }
        assertThat((double) total / (WIDTH * HEIGHT * 3)).as("mean error").isLessThanOrEqualTo(meanError);
        assertThat(worst).as("largest error").isLessThanOrEqualTo(maxError);
    }

    static Stream<Arguments> texts() {
        List<String> texts = List.of(
                INFOTEXT,
                "café, crème brûlée — ½ × ¼",
                "一个红色的圆 ✓, 🎨🖼️ (non-BMP), עברית\u200f, Ωμέγα",
                "NUL \0 inside, \0\0 twice, CR\r, LF\n, CRLF\r\n, tab\t, \"quotes\", \\backslash, \u0001\u001f\u007f",
                "\0",
                "",
                "long " + "a prompt, with words, 語, ".repeat(1_100)); // 30,805 characters: fits one JPEG segment
        return Stream.of(OutputFormat.values()).flatMap(format -> texts.stream().map(t -> Arguments.of(format, t)));
    }

    @ParameterizedTest(name = "{0}, text {index}")
    @MethodSource("texts")
    void theParametersReadBackByteForByte(OutputFormat format, String parameters) throws IOException {
        byte[] picture = format.encoder().encode(WIDTH, HEIGHT, PIXELS, parameters, 90);

        // a PNG text chunk cannot hold a NUL (it ends the keyword): the encoder writes U+FFFD instead
        String expected = format == OutputFormat.PNG ? parameters.replace('\0', '\uFFFD') : parameters;
        assertThat(EmbeddedParameters.read(format, picture)).hasValue(expected);
    }

    @ParameterizedTest
    @EnumSource(value = OutputFormat.class, names = {"PNG", "WEBP"})
    void formatsWithoutASegmentLimitCarryVeryLongParameters(OutputFormat format) throws IOException {
        String parameters = "Steps: 20, ".repeat(40_000) + "✓";

        byte[] picture = format.encoder().encode(WIDTH, HEIGHT, PIXELS, parameters, 100);

        assertThat(EmbeddedParameters.read(format, picture)).hasValue(parameters);
    }

    @ParameterizedTest
    @EnumSource(OutputFormat.class)
    void withoutParametersNothingIsEmbedded(OutputFormat format) throws IOException {
        byte[] picture = format.encoder().encode(WIDTH, HEIGHT, PIXELS, null, 100);

        assertThat(EmbeddedParameters.read(format, picture)).isEmpty();
        assertThat(decode(format, picture).getWidth()).isEqualTo(WIDTH);
    }

    @Test
    void aJpegStartsWithTheExifSegmentInPlaceOfJfifAsPiexifWritesIt() {
        byte[] jpeg = OutputFormat.JPEG.encoder().encode(WIDTH, HEIGHT, PIXELS, INFOTEXT, 90);

        assertThat(jpeg).startsWith(0xff, 0xd8, 0xff, 0xe1);
        assertThat(new String(jpeg, 6, 6, StandardCharsets.US_ASCII)).isEqualTo("Exif\0\0");
        assertThat(new String(jpeg, StandardCharsets.ISO_8859_1)).doesNotContain("JFIF\0");
    }

    @Test
    void aJpegRefusesParametersLongerThanOneSegmentCarries() {
        String longest = "x".repeat(JpegEncoder.MAX_PARAMETERS_LENGTH);
        byte[] jpeg = OutputFormat.JPEG.encoder().encode(WIDTH, HEIGHT, PIXELS, longest, 90);

        assertThat(((jpeg[4] & 0xff) << 8 | (jpeg[5] & 0xff))).isEqualTo(65_535 - 1); // the length field's maximum
        assertThatThrownBy(() -> OutputFormat.JPEG.encoder().encode(WIDTH, HEIGHT, PIXELS, longest + "x", 90))
                .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("at most");
    }

    @Test
    void aWebpWithParametersIsExtendedFormatWithTheExifChunkLast() {
        List<EmbeddedParameters.Chunk> lossless = EmbeddedParameters.webpChunks(
                OutputFormat.WEBP.encoder().encode(WIDTH, HEIGHT, PIXELS, INFOTEXT, 100));
        List<EmbeddedParameters.Chunk> lossy = EmbeddedParameters.webpChunks(
                OutputFormat.WEBP.encoder().encode(WIDTH, HEIGHT, PIXELS, INFOTEXT, 99));

        assertThat(lossless).extracting(EmbeddedParameters.Chunk::fourCc).containsExactly("VP8X", "VP8L", "EXIF");
        assertThat(lossy).extracting(EmbeddedParameters.Chunk::fourCc).containsExactly("VP8X", "VP8 ", "EXIF");
        byte[] header = lossless.get(0).data();
        assertThat(header[0]).as("flags: EXIF only").isEqualTo((byte) 0x08);
        assertThat((header[4] & 0xff) | (header[5] & 0xff) << 8 | (header[6] & 0xff) << 16).isEqualTo(WIDTH - 1);
        assertThat((header[7] & 0xff) | (header[8] & 0xff) << 8 | (header[9] & 0xff) << 16).isEqualTo(HEIGHT - 1);
    }

    @ParameterizedTest
    @EnumSource(value = OutputFormat.class, names = {"JPEG", "WEBP"})
    void aLowerCompressionValueMakesASmallerFile(OutputFormat format) {
        byte[] large = TestPictures.gradients(256, 256, 3);
        int previous = Integer.MAX_VALUE;
        for (int compression : new int[] {99, 75, 40, 0}) {
            int size = format.encoder().encode(256, 256, large, null, compression).length;
            assertThat(size).as("size at %d", compression).isLessThan(previous);
            previous = size;
        }
    }

    @ParameterizedTest
    @EnumSource(OutputFormat.class)
    void refusesPixelsThatDoNotFitAndCompressionOutOfRange(OutputFormat format) {
        assertThatThrownBy(() -> format.encoder().encode(2, 2, new byte[11], null, 100))
                .isInstanceOf(IllegalArgumentException.class);
        assertThatThrownBy(() -> format.encoder().encode(2, 2, new byte[12], null, 101))
                .isInstanceOf(IllegalArgumentException.class);
        assertThatThrownBy(() -> format.encoder().encode(2, 2, new byte[12], null, -1))
                .isInstanceOf(IllegalArgumentException.class);
    }

    @Test
    void formatsAreNamedAsOpenAiNamesThem() {
        assertThat(OutputFormat.of("png").encoder().mediaType()).isEqualTo("image/png");
        assertThat(OutputFormat.of("jpeg").encoder().mediaType()).isEqualTo("image/jpeg");
        assertThat(OutputFormat.of("webp").encoder().mediaType()).isEqualTo("image/webp");
        assertThat(OutputFormat.DEFAULT).isEqualTo(OutputFormat.PNG);
        assertThatThrownBy(() -> OutputFormat.of("jpg")).hasMessage("must be one of png, jpeg, webp");
        assertThatThrownBy(() -> OutputFormat.of("PNG")).isInstanceOf(IllegalArgumentException.class);
    }

    private static BufferedImage decode(OutputFormat format, byte[] picture) throws IOException {
        ImageReader reader = format == OutputFormat.WEBP
                ? new WebPImageReaderSpi().createReaderInstance(null)
                : ImageIO.getImageReadersByFormatName(format.id()).next();
        try {
            reader.setInput(ImageIO.createImageInputStream(new ByteArrayInputStream(picture)));
            return reader.read(0);
        } finally {
            reader.dispose();
        }
    }
}
