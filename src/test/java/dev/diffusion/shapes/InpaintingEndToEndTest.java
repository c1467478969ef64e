package dev.diffusion.shapes;

import static org.assertj.core.api.Assertions.assertThat;

import dev.diffusion.shapes.ShapeGrammar.Color;
import dev.diffusion.shapes.ShapeGrammar.Shape;
import dev.diffusion.shapes.ShapeGrammar.Size;
import dev.diffusion.shapes.ShapeRenderer.Scene;
import java.awt.image.BufferedImage;
import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Base64;
import java.util.List;
import java.util.Random;
import javax.imageio.ImageIO;
import org.junit.jupiter.api.Test;
import org.springframework.boot.test.context.SpringBootTest;
import org.springframework.boot.test.web.server.LocalServerPort;
import tools.jackson.databind.JsonNode;
import tools.jackson.databind.json.JsonMapper;
import tools.jackson.databind.node.ObjectNode;

/**
 * Inpainting and outpainting through {@code POST /generate} on the bundled model, which draws one coloured shape on a
 * plain background: a rendered scene's shape is masked and another colour asked for. What the mask keeps must come
 * back as it was (within 2 levels beyond the blur's reach) and the shape must take the new colour, as
 * {@link ShapeJudge} reads it, in at least 90% of 40 scenes that neither training nor other tests use.
 */
@SpringBootTest(webEnvironment = SpringBootTest.WebEnvironment.RANDOM_PORT, properties = {
    "diffusion.extra-bundled-models=", "diffusion.models-dir=target/no-extra-models", "diffusion.workers.devices=cpu",
    "diffusion.queue.capacity=64"})
class InpaintingEndToEndTest {

    private static final int SIZE = 64;
    private static final int MASK_BLUR = 2;
    /** The mask covers the shape and this many pixels around it, its antialiased edge included. */
    private static final int MASK_MARGIN = 2;
    private static final int TOLERANCE = 2;
    private static final long SCENE_SEED = 2121;
    private static final int SCENES = 40;
    private static final JsonMapper JSON = JsonMapper.builder().build();

    @LocalServerPort
    int port;

    private final HttpClient http = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(5)).build();

    @Test
    void theMaskedShapeTakesTheNewColourAndTheRestStaysAsItWas() throws Exception {
        Random random = new Random(SCENE_SEED);
        List<Scene> scenes = new ArrayList<>();
        List<Color> wanted = new ArrayList<>();
        List<String> jobs = new ArrayList<>();
        for (int i = 0; i < SCENES; i++) {
            Color background = pick(random, null, null);
            Color color = pick(random, background, null);
            Scene scene = Scene.random(random, color, background, Shape.values()[random.nextInt(3)],
                    Size.values()[random.nextInt(2)]);
            Color recolour = pick(random, background, color);
            scenes.add(scene);
            wanted.add(recolour);
            // all queued at once, so that the worker batches them as it would any traffic
            jobs.add(submit(edit(scene, recolour, 7000 + i)));
        }

        int recoloured = 0;
        int checked = 0;
        List<String> misses = new ArrayList<>();
        for (int i = 0; i < SCENES; i++) {
            Scene scene = scenes.get(i);
            byte[] input = ShapeRenderer.render(scene, SIZE, SIZE);
            byte[] output = image(awaitSucceeded(jobs.get(i)), 0);

            checked += assertKeptBeyondTheBlur(input, output, shapeMask(scene), MASK_BLUR, "scene " + i);
            Color read = ShapeJudge.judge(output, SIZE, SIZE).color();
            if (read == wanted.get(i)) {
                recoloured++;
            } else {
                misses.add(scene + " asked " + wanted.get(i) + ", read " + read);
            }
        }
        System.out.printf("Inpainting on the bundled model: %d of %d masked shapes took the asked colour%n",
                recoloured, SCENES);
        assertThat(checked).as("pixels beyond the blur, all scenes").isGreaterThan(SCENES * 300);
        assertThat(recoloured).as("scenes whose shape took the asked colour; misses: %s", misses)
                .isGreaterThanOrEqualTo(SCENES * 9 / 10);
    }

    @Test
    void onlyTheMaskedAreaAtFullResolutionIsPastedBackIntoTheRest() throws Exception {
        Scene scene = new Scene(Color.YELLOW, Color.PURPLE, Shape.SQUARE, 0.36, 0.5, 0.5);
        byte[] input = ShapeRenderer.render(scene, SIZE, SIZE);
        ObjectNode request = edit(scene, Color.WHITE, 11).put("inpaint_area", "masked").put("inpaint_padding", 4);
        request.remove("mask_blur");  // the default, 4

        JsonNode job = awaitSucceeded(submit(request));
        byte[] output = image(job, 0);

        assertThat(job.get("request").get("inpaint_area").asString()).isEqualTo("masked");
        boolean[] mask = shapeMask(scene);
        assertThat(assertKeptBeyondTheBlur(input, output, mask, 4, "only masked")).isGreaterThan(1000);
        assertThat(meanDifference(input, output, mask)).as("the masked square was repainted").isGreaterThan(20);
    }

    @Test
    void outpaintingKeepsThePictureAndPaintsTheNewBorder() throws Exception {
        Scene scene = new Scene(Color.RED, Color.GREEN, Shape.CIRCLE, 0.36, 0.5, 0.5);
        byte[] inner = ShapeRenderer.render(scene, SIZE - 32, SIZE);
        ObjectNode request = JSON.createObjectNode().put("prompt", "a small red circle on a green background")
                .put("seed", 3).put("init_image", png(inner, SIZE - 32, SIZE)).put("mask_blur", 2);
        request.putObject("outpaint").put("left", 32);

        byte[] output = image(awaitSucceeded(submit(request)), 0);

        // the inner picture at x 32..63, kept beyond the blur's reach (radius 2: 6 pixels) of the new border
        int largest = 0;
        for (int y = 0; y < SIZE; y++) {
            for (int x = 32 + 6; x < SIZE; x++) {
                for (int c = 0; c < 3; c++) {
                    int in = inner[(y * (SIZE - 32) + x - 32) * 3 + c] & 0xff;
                    largest = Math.max(largest, Math.abs(in - (output[(y * SIZE + x) * 3 + c] & 0xff)));
                }
            }
        }
        assertThat(largest).as("largest change of the kept picture").isLessThanOrEqualTo(TOLERANCE);
        // the new border was painted: mostly the background colour, as the model paints this scene's background
        assertThat(ShapeJudge.judge(output, SIZE, SIZE).background()).isEqualTo(Color.GREEN);
    }

    /** The request: the scene, its shape masked (white on black), and a prompt for the same scene in another colour. */
    private static ObjectNode edit(Scene scene, Color recolour, long seed) throws Exception {
        String prompt = ShapeGrammar.word(sizeOf(scene)) + " " + ShapeGrammar.word(recolour) + " "
                + ShapeGrammar.word(scene.shape()) + " on a " + ShapeGrammar.word(scene.background()) + " background";
        boolean[] mask = shapeMask(scene);
        byte[] maskRgb = new byte[SIZE * SIZE * 3];
        for (int p = 0; p < mask.length; p++) {
            if (mask[p]) {
                maskRgb[p * 3] = (byte) 255;
                maskRgb[p * 3 + 1] = (byte) 255;
                maskRgb[p * 3 + 2] = (byte) 255;
            }
        }
        return JSON.createObjectNode().put("prompt", "a " + prompt).put("seed", seed)
                .put("init_image", png(ShapeRenderer.render(scene, SIZE, SIZE), SIZE, SIZE))
                .put("mask", "data:image/png;base64," + png(maskRgb, SIZE, SIZE)).put("mask_blur", MASK_BLUR);
    }

    /** The scene's shape, as any pixel the shape touches, grown by {@link #MASK_MARGIN}. */
    private static boolean[] shapeMask(Scene scene) {
        Scene shapeOnly = new Scene(Color.WHITE, Color.BLACK, scene.shape(), scene.extent(), scene.centerX(),
                scene.centerY());
        byte[] rgb = ShapeRenderer.render(shapeOnly, SIZE, SIZE);
        boolean[] mask = new boolean[SIZE * SIZE];
        for (int y = 0; y < SIZE; y++) {
            for (int x = 0; x < SIZE; x++) {
                if ((rgb[(y * SIZE + x) * 3] & 0xff) != Color.BLACK.r) {
                    for (int dy = -MASK_MARGIN; dy <= MASK_MARGIN; dy++) {
                        for (int dx = -MASK_MARGIN; dx <= MASK_MARGIN; dx++) {
                            int mx = x + dx;
                            int my = y + dy;
                            if (mx >= 0 && mx < SIZE && my >= 0 && my < SIZE) {
                                mask[my * SIZE + mx] = true;
                            }
                        }
                    }
                }
            }
        }
        return mask;
    }

    /**
     * Every pixel farther than the blur reaches from the mask is the input's, within {@link #TOLERANCE} levels;
     * returns how many were checked. Pillow's Gaussian of radius 2 or 4 reaches 3 × the radius: three box passes
     * of a box radius a little below it.
     */
    private static int assertKeptBeyondTheBlur(byte[] input, byte[] output, boolean[] mask, int blur, String what) {
        int reach = 3 * blur;
        int largest = 0;
        int checked = 0;
        for (int y = 0; y < SIZE; y++) {
            for (int x = 0; x < SIZE; x++) {
                if (nearMask(mask, x, y, reach)) {
                    continue;
                }
                checked++;
                for (int c = 0; c < 3; c++) {
                    int p = (y * SIZE + x) * 3 + c;
                    largest = Math.max(largest, Math.abs((input[p] & 0xff) - (output[p] & 0xff)));
                }
            }
        }
        assertThat(largest).as("%s: largest change beyond the blur", what).isLessThanOrEqualTo(TOLERANCE);
        return checked;
    }

    private static boolean nearMask(boolean[] mask, int x, int y, int reach) {
        for (int my = Math.max(0, y - reach); my <= Math.min(SIZE - 1, y + reach); my++) {
            for (int mx = Math.max(0, x - reach); mx <= Math.min(SIZE - 1, x + reach); mx++) {
                if (mask[my * SIZE + mx]) {
                    return true;
                }
            }
        }
        return false;
    }

    private static double meanDifference(byte[] input, byte[] output, boolean[] mask) {
        long sum = 0;
        int count = 0;
        for (int p = 0; p < mask.length; p++) {
            if (mask[p]) {
                for (int c = 0; c < 3; c++) {
                    sum += Math.abs((input[p * 3 + c] & 0xff) - (output[p * 3 + c] & 0xff));
                    count++;
                }
            }
        }
        return (double) sum / count;
    }

    private static Size sizeOf(Scene scene) {
        return scene.extent() < ShapeJudge.SIZE_SPLIT ? Size.SMALL : Size.LARGE;
    }

    /** A palette colour other than the ones given. */
    private static Color pick(Random random, Color not, Color norThis) {
        while (true) {
            Color color = Color.values()[random.nextInt(Color.values().length)];
            if (color != not && color != norThis) {
                return color;
            }
        }
    }

    private String submit(ObjectNode request) throws Exception {
        HttpResponse<byte[]> response = http.send(HttpRequest.newBuilder(URI.create(url("/generate")))
                .header("Content-Type", "application/json")
                .POST(HttpRequest.BodyPublishers.ofString(JSON.writeValueAsString(request))).build(),
                HttpResponse.BodyHandlers.ofByteArray());
        assertThat(response.statusCode()).as(new String(response.body())).isEqualTo(202);
        return JSON.readTree(response.body()).get("id").asString();
    }

    private JsonNode awaitSucceeded(String id) throws Exception {
        long deadline = System.nanoTime() + Duration.ofMinutes(10).toNanos();
        while (System.nanoTime() < deadline) {
            JsonNode job = JSON.readTree(get("/jobs/" + id));
            String status = job.get("status").asString();
            if (!status.equals("queued") && !status.equals("running")) {
                assertThat(status).as("job %s", job).isEqualTo("succeeded");
                return job;
            }
            Thread.sleep(100);
        }
        throw new AssertionError("job " + id + " did not finish");
    }

    /** Image {@code index} of a finished job as packed RGB. */
    private byte[] image(JsonNode job, int index) throws Exception {
        BufferedImage image = ImageIO.read(new ByteArrayInputStream(get(job.get("images").get(index).get("url")
                .asString())));
        byte[] rgb = new byte[image.getWidth() * image.getHeight() * 3];
        for (int y = 0; y < image.getHeight(); y++) {
            for (int x = 0; x < image.getWidth(); x++) {
                int pixel = image.getRGB(x, y);
                int p = (y * image.getWidth() + x) * 3;
                rgb[p] = (byte) (pixel >> 16);
                rgb[p + 1] = (byte) (pixel >> 8);
                rgb[p + 2] = (byte) pixel;
            }
        }
        return rgb;
    }

    private byte[] get(String path) throws Exception {
        return http.send(HttpRequest.newBuilder(URI.create(url(path))).build(),
                HttpResponse.BodyHandlers.ofByteArray()).body();
    }

    private String url(String path) {
        return "http://localhost:" + port + path;
    }

    private static String png(byte[] rgb, int width, int height) throws Exception {
        BufferedImage image = new BufferedImage(width, height, BufferedImage.TYPE_INT_RGB);
        for (int y = 0; y < height; y++) {
            for (int x = 0; x < width; x++) {
                int p = (y * width + x) * 3;
                image.setRGB(x, y, (rgb[p] & 0xff) << 16 | (rgb[p + 1] & 0xff) << 8 | rgb[p + 2] & 0xff);
            }
        }
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        ImageIO.write(image, "png", out);
        return Base64.getEncoder().encodeToString(out.toByteArray());
    }
}
