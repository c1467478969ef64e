package dev.diffusion;

import static org.assertj.core.api.Assertions.assertThat;

import java.awt.image.BufferedImage;
import java.io.ByteArrayInputStream;
import java.util.LinkedHashMap;
import java.util.Map;
import javax.imageio.ImageIO;
import org.junit.jupiter.api.Test;
import org.springframework.boot.test.context.SpringBootTest;
import org.springframework.boot.test.web.server.LocalServerPort;
import tools.jackson.databind.JsonNode;

/**
 * Each model's recommended scheduler, steps and guidance (its model_index.json defaults) in {@code GET /models}, and
 * taken by requests that leave them out: on the guidance-distilled test model ({@code tiny-lcm}: lcm, 4 steps,
 * guidance 1.5 as the guidance-scale embedding) beside the ordinary test model ({@code tiny}).
 */
@SpringBootTest(webEnvironment = SpringBootTest.WebEnvironment.RANDOM_PORT, properties = {
    TinyModelApplication.TINY_MODEL, TinyModelApplication.NO_EXTRA_BUNDLED, TinyModelApplication.CPU,
    "diffusion.models-dir=src/test/resources/models"})
class ModelDefaultsTest {

    private static final String PROMPT = "a red circle on a blue background";
    private static final String NEGATIVE = "a green square";

    @LocalServerPort
    int port;

    @Test
    void modelsShowTheirRecommendedSettings() throws Exception {
        HttpTestClient http = new HttpTestClient(port);
        Map<String, JsonNode> models = new LinkedHashMap<>();
        HttpTestClient.json(http.get("/models")).forEach(model -> models.put(model.get("name").asString(), model));

        JsonNode lcm = models.get("tiny-lcm");
        assertThat(lcm.get("default_scheduler").asString()).isEqualTo("lcm");
        assertThat(lcm.get("default_steps").asInt()).isEqualTo(4);
        assertThat(lcm.get("default_guidance_scale").asDouble()).isEqualTo(1.5);
        assertThat(lcm.get("guidance_embedding").asBoolean()).isTrue();
        JsonNode tiny = models.get("tiny");
        assertThat(tiny.get("default_scheduler").asString()).isEqualTo("ddim");
        assertThat(tiny.get("guidance_embedding").asBoolean()).isFalse();
    }

    @Test
    void aRequestWithoutStepsSchedulerOrGuidanceRunsTheModelsOwnWithoutAnUnconditionalPass() throws Exception {
        HttpTestClient http = new HttpTestClient(port);
        JsonNode job = generate(http, Map.of("model", "tiny-lcm", "prompt", PROMPT, "seed", 5));
        JsonNode resolved = job.get("request");
        assertThat(resolved.get("scheduler").asString()).isEqualTo("lcm");
        assertThat(resolved.get("steps").asInt()).isEqualTo(4);
        assertThat(resolved.get("guidance_scale").asDouble()).isEqualTo(1.5);
        assertThat(job.get("progress").get("total_steps").asInt()).isEqualTo(4);
        int[] byDefault = pixels(http, job);

        // the same image as the settings named: the defaults are what ran
        assertThat(pixels(http, generate(http, Map.of("model", "tiny-lcm", "prompt", PROMPT, "seed", 5,
                "scheduler", "lcm", "steps", 4, "guidance_scale", 1.5)))).isEqualTo(byDefault);
        // a negative prompt changes nothing: the guidance is the UNet's input, with no unconditional pass to take it
        assertThat(pixels(http, generate(http, Map.of("model", "tiny-lcm", "prompt", PROMPT, "seed", 5,
                "negative_prompt", NEGATIVE)))).isEqualTo(byDefault);
        // while another guidance scale reaches the UNet
        assertThat(pixels(http, generate(http, Map.of("model", "tiny-lcm", "prompt", PROMPT, "seed", 5,
                "guidance_scale", 4.0)))).isNotEqualTo(byDefault);
    }

    @Test
    void onAnOrdinaryModelTheNegativePromptTakesTheUnconditionalPass() throws Exception {
        HttpTestClient http = new HttpTestClient(port);
        JsonNode job = generate(http, Map.of("model", "tiny", "prompt", PROMPT, "seed", 5));
        assertThat(job.get("request").get("guidance_scale").asDouble()).isGreaterThan(1);
        assertThat(pixels(http, generate(http, Map.of("model", "tiny", "prompt", PROMPT, "seed", 5,
                "negative_prompt", NEGATIVE)))).isNotEqualTo(pixels(http, job));
    }

    private static JsonNode generate(HttpTestClient http, Map<String, Object> body) throws Exception {
        var response = http.post("/generate?wait=true", HttpTestClient.toJson(body));
        assertThat(response.statusCode()).as(new String(response.body())).isEqualTo(200);
        JsonNode job = HttpTestClient.json(response);
        assertThat(job.get("status").asString()).as("job %s", job).isEqualTo("succeeded");
        return job;
    }

    private static int[] pixels(HttpTestClient http, JsonNode job) throws Exception {
        BufferedImage image = ImageIO.read(new ByteArrayInputStream(
                http.get("/jobs/" + job.get("id").asString() + "/images/0").body()));
        return image.getRGB(0, 0, image.getWidth(), image.getHeight(), null, 0, image.getWidth());
    }
}
