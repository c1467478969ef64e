package dev.diffusion;

import static org.assertj.core.api.Assertions.assertThat;
import static org.junit.jupiter.api.DynamicContainer.dynamicContainer;
import static org.junit.jupiter.api.DynamicTest.dynamicTest;

import java.awt.image.BufferedImage;
import java.io.ByteArrayInputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Base64;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.TimeUnit;
import javax.imageio.ImageIO;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.DynamicContainer;
import org.junit.jupiter.api.DynamicTest;
import org.junit.jupiter.api.TestFactory;
import org.springframework.boot.test.context.SpringBootTest;
import org.springframework.boot.test.web.server.LocalServerPort;
import tools.jackson.databind.JsonNode;
import tools.jackson.databind.json.JsonMapper;
import tools.jackson.databind.node.ObjectNode;

/**
 * The service against diffusers' own pipelines, pixel for pixel, as a user runs them: tiny SD 1.x, SD 2.x and SDXL
 * checkpoints built from diffusers' and transformers' classes, exported with {@code src/training/export_diffusers.py}
 * and served from {@code diffusion.models-dir}, asked through the HTTP API for every case that
 * {@code src/training/parity/build_fixtures.py} rendered with diffusers (every scheduler, sizes, guidance, negative
 * prompts, tokenizer edge cases, img2img, several images per request), and a guidance-distilled SD 1.x (LCM and TCD
 * from {@code build_lcm_fixture.py}, through diffusers' LCM pipelines), and inpainting with a mask on the SD 1.x
 * checkpoint and on a 9-channel inpainting one ({@code build_inpaint_fixture.py}, through diffusers'
 * {@code StableDiffusionInpaintPipeline} and its {@code apply_overlay}). Every image must be within
 * {@value #TOLERANCE} levels of diffusers' in every channel of every pixel. All cases are queued at once, so the
 * service batches them as it would any traffic (the queue holds them all; batched calls stay on one libtorch thread,
 * which keeps the test's time bounded when other processes take the cores).
 */
@SpringBootTest(webEnvironment = SpringBootTest.WebEnvironment.RANDOM_PORT, properties = {
    TinyModelApplication.TINY_MODEL, TinyModelApplication.NO_EXTRA_BUNDLED, TinyModelApplication.CPU,
    "diffusion.models-dir=" + DiffusersParityTest.FIXTURES + "/models",
    "diffusion.queue.capacity=256", "diffusion.batching.parallel-from-rows=0",
    // the cases are at most 96×64: a short cost probe admits them (the full one took 100 s of the worker's time)
    "diffusion.limits.probe-call-time=20ms"})
class DiffusersParityTest {

    static final String FIXTURES = "src/test/resources/parity";
    private static final int TOLERANCE = 2;
    /** The folders of references/: each cases.json names its model, or each case its own. */
    private static final List<String> REFERENCES = List.of("tiny-sd15", "tiny-sd2", "tiny-sdxl",
            "tiny-sd15-lcm", "inpainting");
    private static final JsonMapper JSON = JsonMapper.builder().build();
    /** The largest difference per model, inpainting or not, and scheduler, for the summary. */
    private static final Map<String, Integer> LARGEST = new ConcurrentHashMap<>();

    @LocalServerPort
    int port;

    @TestFactory
    List<DynamicContainer> everyCaseMatchesDiffusers() throws Exception {
        HttpTestClient http = new HttpTestClient(port);
        http.awaitCostsMeasured();  // cases larger than a model's own size are taken once it is measured
        List<DynamicContainer> containers = new ArrayList<>();
        for (String folder : REFERENCES) {
            Path references = Path.of(FIXTURES, "references", folder);
            JsonNode fixture = JSON.readTree(references.resolve("cases.json").toFile());
            List<DynamicTest> tests = new ArrayList<>();
            for (JsonNode parityCase : fixture.get("cases")) {
                String model = (parityCase.hasNonNull("model") ? parityCase : fixture).get("model").asString();
                String id = submit(http, model, references, parityCase);
                tests.add(dynamicTest(parityCase.get("name").asString(),
                        () -> check(http, model, references, parityCase, id)));
            }
            containers.add(dynamicContainer(folder, tests));
        }
        return containers;
    }

    private static String submit(HttpTestClient http, String model, Path references, JsonNode parityCase)
            throws Exception {
        ObjectNode request = ((ObjectNode) parityCase.get("request")).deepCopy();
        request.put("model", model);
        for (String image : List.of("init_image", "mask")) {
            if (parityCase.hasNonNull(image)) {
                byte[] png = Files.readAllBytes(references.resolve(parityCase.get(image).asString()));
                request.put(image, Base64.getEncoder().encodeToString(png));
            }
        }
        var response = http.post("/generate", HttpTestClient.toJson(request));
        assertThat(response.statusCode()).as("%s: %s", parityCase.get("name"), new String(response.body()))
                .isEqualTo(202);
        return HttpTestClient.json(response).get("id").asString();
    }

    private static void check(HttpTestClient http, String model, Path references, JsonNode parityCase, String id)
            throws Exception {
        JsonNode job = awaitFinished(http, id);
        assertThat(job.get("status").asString()).as("job %s", job).isEqualTo("succeeded");
        JsonNode expected = parityCase.get("images");
        assertThat(job.get("images")).hasSize(expected.size());
        int largest = 0;
        for (int i = 0; i < expected.size(); i++) {
            BufferedImage reference = ImageIO.read(references.resolve(expected.get(i).asString()).toFile());
            BufferedImage served = ImageIO.read(new ByteArrayInputStream(
                    http.get("/jobs/" + id + "/images/" + i).body()));
            largest = Math.max(largest, largestDifference(reference, served));
        }
        String scheduler = job.get("request").get("scheduler").asString();
        String kind = parityCase.hasNonNull("mask") ? " inpainting " : " ";
        LARGEST.merge(model + kind + scheduler, largest, Math::max);
        assertThat(largest).as("largest difference from diffusers (levels) of %s", parityCase.get("name"))
                .isLessThanOrEqualTo(TOLERANCE);
    }

    private static JsonNode awaitFinished(HttpTestClient http, String id) throws Exception {
        long deadline = System.nanoTime() + TimeUnit.MINUTES.toNanos(5);
        while (System.nanoTime() < deadline) {
            JsonNode job = HttpTestClient.json(http.get("/jobs/" + id));
            if (List.of("succeeded", "failed", "cancelled").contains(job.get("status").asString())) {
                return job;
            }
            Thread.sleep(50);
        }
        throw new AssertionError("job " + id + " did not finish");
    }

    /** The largest difference in any channel of any pixel. */
    private static int largestDifference(BufferedImage expected, BufferedImage actual) {
        assertThat(actual.getWidth()).isEqualTo(expected.getWidth());
        assertThat(actual.getHeight()).isEqualTo(expected.getHeight());
        int largest = 0;
        for (int y = 0; y < expected.getHeight(); y++) {
            for (int x = 0; x < expected.getWidth(); x++) {
                int a = expected.getRGB(x, y);
                int b = actual.getRGB(x, y);
                for (int shift = 0; shift <= 16; shift += 8) {
                    largest = Math.max(largest, Math.abs((a >> shift & 0xff) - (b >> shift & 0xff)));
                }
            }
        }
        return largest;
    }

    @AfterAll
    static void printLargestDifferences() {
        StringBuilder table = new StringBuilder("Largest difference from diffusers, levels (model, scheduler):\n");
        new TreeMap<>(LARGEST).forEach((key, value) -> table.append(String.format("  %-40s %d%n", key, value)));
        System.out.print(table);
    }
}
