package dev.diffusion;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.Map;
import org.junit.jupiter.api.Test;
import org.springframework.boot.test.context.SpringBootTest;
import org.springframework.boot.test.web.server.LocalServerPort;
import tools.jackson.databind.JsonNode;

/**
 * The service as it ships: the bundled model (the default) and its few-step distillation beside it, each answering a
 * request that sets nothing but the prompt and the model with its own scheduler, steps and guidance.
 */
@SpringBootTest(webEnvironment = SpringBootTest.WebEnvironment.RANDOM_PORT, properties = {
    "diffusion.models-dir=target/no-extra-models",
    "diffusion.workers.devices=cpu"})
class BundledModelsTest {

    @LocalServerPort
    int port;

    @Test
    void bothBundledModelsAreServedWithTheirOwnDefaults() throws Exception {
        HttpTestClient http = new HttpTestClient(port);
        JsonNode models = HttpTestClient.json(http.get("/models"));
        assertThat(models).hasSize(2);
        assertThat(models.get(0).get("name").asString()).isEqualTo("shapes");
        assertThat(models.get(0).get("is_default").asBoolean()).isTrue();
        JsonNode lcm = models.get(1);
        assertThat(lcm.get("name").asString()).isEqualTo("shapes-lcm");
        assertThat(lcm.get("default_scheduler").asString()).isEqualTo("lcm");
        assertThat(lcm.get("default_steps").asInt()).isEqualTo(4);
        assertThat(lcm.get("guidance_embedding").asBoolean()).isTrue();

        for (JsonNode served : models) {
            String model = served.get("name").asString();
            var response = http.post("/generate?wait=true", HttpTestClient.toJson(Map.of("prompt",
                    "a large red circle on a blue background", "model", model, "seed", 7)));
            assertThat(response.statusCode()).as(new String(response.body())).isEqualTo(200);
            JsonNode job = HttpTestClient.json(response);
            assertThat(job.get("status").asString()).as("job %s", job).isEqualTo("succeeded");
            assertThat(job.get("request").get("steps").asInt()).as(model)
                    .isEqualTo(served.get("default_steps").asInt());
            assertThat(job.get("request").get("scheduler").asString()).as(model)
                    .isEqualTo(served.get("default_scheduler").asString());
            assertThat(job.get("images")).hasSize(1);
        }
    }
}
