package dev.diffusion;

import static org.assertj.core.api.Assertions.assertThat;

import java.awt.Color;
import java.awt.Graphics2D;
import java.awt.image.BufferedImage;
import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.util.Base64;
import java.util.LinkedHashMap;
import java.util.Map;
import javax.imageio.ImageIO;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.springframework.boot.test.web.server.LocalServerPort;
import tools.jackson.databind.JsonNode;

/**
 * img2img through {@code POST /generate}: {@code init_image} (PNG or JPEG, base64) and {@code strength}.
 *
 * <p>The test model's VAE has random weights, so it does not give back the colours of an image it encodes: "close to
 * the input" is measured against the input as this model reproduces it, a run at the least strength the service
 * takes (one denoising step at the lowest noise). With a trained model that reproduction is the input itself.
 */
@TinyModelService
class ImageToImageTest {

    private static final String PROMPT = "a red circle on a blue background";
    private static final long SEED = 5;

    @LocalServerPort
    int port;

    private HttpTestClient http;

    @BeforeEach
    void client() {
        http = new HttpTestClient(port);
    }

    @Test
    void aLowStrengthStaysCloseToTheInputAndAHighOneRepaintsIt() throws Exception {
        String circle = base64(picture(Color.BLUE, Color.RED, 96), "png");
        int[] reproduced = generate(Map.of("init_image", circle, "strength", 0.05, "steps", 25));

        int[] low = generate(Map.of("init_image", circle, "strength", 0.2));
        int[] high = generate(Map.of("init_image", circle, "strength", 1.0));
        int[] textOnly = generate(Map.of());
        int[] otherPictureLow = generate(Map.of("init_image", base64(picture(Color.GREEN, Color.YELLOW, 96), "png"),
                "strength", 0.2));

        double lowDistance = meanAbsoluteDifference(low, reproduced);
        assertThat(lowDistance).isLessThan(meanAbsoluteDifference(high, reproduced) / 2);
        assertThat(lowDistance).isLessThan(meanAbsoluteDifference(textOnly, reproduced) / 2);
        // it is the input that the result stays close to: another picture at the same strength and seed is far off
        assertThat(lowDistance).isLessThan(meanAbsoluteDifference(otherPictureLow, reproduced) / 2);
    }

    @Test
    void aJpegInputWorksLikeAPng() throws Exception {
        BufferedImage circle = picture(Color.BLUE, Color.RED, 64);
        int[] fromPng = generate(Map.of("init_image", base64(circle, "png"), "strength", 0.2));

        int[] fromJpeg = generate(Map.of("init_image", "data:image/jpeg;base64," + base64(circle, "jpeg"),
                "strength", 0.2));

        int[] textOnly = generate(Map.of());
        assertThat(meanAbsoluteDifference(fromJpeg, fromPng))
                .isLessThan(meanAbsoluteDifference(textOnly, fromPng) / 2);
    }

    @Test
    void badBase64AndNonImagesAreRefusedOnInitImage() throws Exception {
        BufferedImage circle = picture(Color.BLUE, Color.RED, 64);
        Map<String, String> refusals = Map.of(
                "abc=d", "is not valid base64",
                Base64.getEncoder().encodeToString("not an image".getBytes(StandardCharsets.US_ASCII)),
                "not a PNG or JPEG image",
                base64(circle, "gif"), "only PNG and JPEG images are accepted, not gif");

        for (Map.Entry<String, String> refusal : refusals.entrySet()) {
            HttpResponse<byte[]> response = http.post("/generate",
                    HttpTestClient.toJson(Map.of("prompt", PROMPT, "init_image", refusal.getKey())));

            assertThat(response.statusCode()).isEqualTo(400);
            JsonNode error = HttpTestClient.json(response).get("errors").get(0);
            assertThat(error.get("field").asString()).isEqualTo("init_image");
            assertThat(error.get("message").asString()).isEqualTo(refusal.getValue());
        }
    }

    /** The pixels of one 64 × 64 image made with the shared prompt and seed plus {@code fields}. */
    private int[] generate(Map<String, Object> fields) throws Exception {
        Map<String, Object> body = new LinkedHashMap<>(Map.of("prompt", PROMPT, "seed", SEED, "steps", 10));
        body.putAll(fields);
        HttpResponse<byte[]> response = http.post("/generate?wait=true", HttpTestClient.toJson(body),
                "Accept", "image/png");
        assertThat(response.statusCode()).as(new String(response.body(), StandardCharsets.UTF_8)).isEqualTo(200);
        BufferedImage image = ImageIO.read(new ByteArrayInputStream(response.body()));
        assertThat(image.getWidth()).isEqualTo(64);
        return image.getRGB(0, 0, 64, 64, null, 0, 64);
    }

    private static BufferedImage picture(Color background, Color shape, int size) {
        BufferedImage picture = new BufferedImage(size, size, BufferedImage.TYPE_INT_RGB);
        Graphics2D g = picture.createGraphics();
        g.setColor(background);
        g.fillRect(0, 0, size, size);
        g.setColor(shape);
        g.fillOval(size / 5, size / 5, size * 3 / 5, size * 3 / 5);
        g.dispose();
        return picture;
    }

    private static String base64(BufferedImage picture, String format) throws Exception {
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        assertThat(ImageIO.write(picture, format, out)).isTrue();
        return Base64.getEncoder().encodeToString(out.toByteArray());
    }

    /** Mean absolute difference over every RGB channel of every pixel, 0..255. */
    private static double meanAbsoluteDifference(int[] a, int[] b) {
        long sum = 0;
        for (int p = 0; p < a.length; p++) {
            for (int shift = 0; shift <= 16; shift += 8) {
                sum += Math.abs(((a[p] >> shift) & 0xff) - ((b[p] >> shift) & 0xff));
            }
        }
        return (double) sum / (a.length * 3);
    }
}
