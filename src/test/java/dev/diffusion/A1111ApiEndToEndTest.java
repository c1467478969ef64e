package dev.diffusion;

import static org.assertj.core.api.Assertions.assertThat;

import dev.diffusion.image.EmbeddedParameters;
import dev.diffusion.image.OutputFormat;
import java.awt.image.BufferedImage;
import java.io.ByteArrayInputStream;
import java.net.http.HttpResponse;
import java.util.ArrayList;
import java.util.Base64;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import javax.imageio.ImageIO;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.springframework.boot.test.web.server.LocalServerPort;
import tools.jackson.databind.JsonNode;
import tools.jackson.databind.json.JsonMapper;

/**
 * AUTOMATIC1111's API over real HTTP through the worker and the test model, with the request bodies its clients send:
 * the A1111 wiki's own example, SillyTavern's (its Stable Diffusion extension's generateAutoImage body, forwarded by
 * its server's src/endpoints/stable-diffusion.js with its own url and auth fields) and Open WebUI's
 * (backend/open_webui/routers/images.py, engine automatic1111). API keys are checked in
 * {@code api.A1111ApiSecurityTest}.
 */
@TinyModelService
class A1111ApiEndToEndTest {

    private static final JsonMapper JSON = JsonMapper.builder().build();

    @LocalServerPort
    int port;

    private HttpTestClient http;

    @BeforeEach
    void client() {
        http = new HttpTestClient(port);
    }

    private JsonNode post(String path, String body) throws Exception {
        HttpResponse<byte[]> response = http.post(path, body);
        assertThat(response.statusCode()).as(new String(response.body())).isEqualTo(200);
        return HttpTestClient.json(response);
    }

    private static JsonNode info(JsonNode answer) {
        return JSON.readTree(answer.get("info").asString());
    }

    private static BufferedImage png(String base64) throws Exception {
        byte[] file = Base64.getDecoder().decode(base64);
        assertThat(file).startsWith(0x89, 'P', 'N', 'G');
        return ImageIO.read(new ByteArrayInputStream(file));
    }

    @Test
    void theA1111WikisExampleAnswersPngsAndInfoAsA1111Does() throws Exception {
        JsonNode answer = post("/sdapi/v1/txt2img", """
                {"prompt": "puppy dog", "steps": 5}""");

        assertThat(answer.get("images")).hasSize(1);
        BufferedImage image = png(answer.get("images").get(0).asString());
        assertThat(image.getWidth()).isEqualTo(64);
        assertThat(image.getHeight()).isEqualTo(64);
        assertThat(answer.get("parameters").get("prompt").asString()).isEqualTo("puppy dog");
        assertThat(answer.get("parameters").get("steps").asInt()).isEqualTo(5);
        JsonNode info = info(answer);
        long seed = info.get("seed").asLong();
        assertThat(seed).as("a seed A1111 would draw").isBetween(0L, 4_294_967_293L);
        assertThat(info.get("all_seeds").get(0).asLong()).isEqualTo(seed);
        assertThat(info.get("prompt").asString()).isEqualTo("puppy dog");
        assertThat(info.get("all_prompts").get(0).asString()).isEqualTo("puppy dog");
        assertThat(info.get("negative_prompt").asString()).isEmpty();
        assertThat(info.get("steps").asInt()).isEqualTo(5);
        assertThat(info.get("width").asInt()).isEqualTo(64);
        assertThat(info.get("sampler_name").asString()).isEqualTo("DDIM");
        assertThat(info.get("sd_model_name").asString()).isEqualTo("tiny");
        assertThat(info.get("job_timestamp").asString()).matches("\\d{14}");
        assertThat(info.get("infotexts").get(0).asString()).startsWith("puppy dog\nSteps: 5, Sampler: DDIM")
                .contains("Seed: " + seed);
        byte[] file = Base64.getDecoder().decode(answer.get("images").get(0).asString());
        assertThat(EmbeddedParameters.read(OutputFormat.PNG, file)).hasValue(info.get("infotexts").get(0).asString());
    }

    @Test
    void sillyTavernsBodyWithItsSamplerAndScheduleAndUnknownFields() throws Exception {
        JsonNode answer = post("/sdapi/v1/txt2img", """
                {"url": "http://127.0.0.1:7860", "auth": "", "prompt": "best quality, absurdres, a red circle",
                 "negative_prompt": "lowres, bad anatomy", "sampler_name": "DPM++ 2M", "scheduler": "Karras",
                 "steps": 6, "cfg_scale": 7, "width": 64, "height": 64, "restore_faces": false, "enable_hr": false,
                 "hr_upscaler": "Latent", "hr_scale": 2, "hr_additional_modules": [], "denoising_strength": 0.7,
                 "hr_second_pass_steps": 0, "seed": 1234,
                 "override_settings": {"CLIP_stop_at_last_layers": 1, "sd_vae": "Automatic"},
                 "override_settings_restore_afterwards": true, "clip_skip": 1, "save_images": true,
                 "send_images": true, "do_not_save_grid": false, "do_not_save_samples": false,
                 "n_iter": 1, "s_churn": 0.0, "s_min_uncond": 0.0, "s_noise": 1.0, "s_tmax": null, "s_tmin": 0.0}""");

        assertThat(answer.get("images")).hasSize(1);
        png(answer.get("images").get(0).asString());
        JsonNode info = info(answer);
        assertThat(info.get("seed").asLong()).isEqualTo(1234);
        assertThat(info.get("sampler_name").asString()).isEqualTo("DPM++ 2M");
        assertThat(info.get("extra_generation_params").get("Schedule type").asString()).isEqualTo("Karras");
        assertThat(info.get("denoising_strength").isNull()).as("txt2img takes no denoising strength").isTrue();
        assertThat(info.get("infotexts").get(0).asString()).isEqualTo("""
                best quality, absurdres, a red circle
                Negative prompt: lowres, bad anatomy
                Steps: 6, Sampler: DPM++ 2M Karras, CFG scale: 7.0, Seed: 1234, Size: 64x64, Model: tiny""");
        assertThat(answer.get("parameters").get("scheduler").asString()).isEqualTo("Karras");
    }

    @Test
    void openWebUisBodyMakesBatchSizeImages() throws Exception {
        JsonNode answer = post("/sdapi/v1/txt2img", """
                {"prompt": "a small green square", "batch_size": 2, "width": 64, "height": 32, "steps": 3,
                 "negative_prompt": ""}""");

        assertThat(answer.get("images")).hasSize(2);
        for (JsonNode image : answer.get("images")) {
            BufferedImage png = png(image.asString());
            assertThat(png.getWidth()).isEqualTo(64);
            assertThat(png.getHeight()).isEqualTo(32);
        }
        assertThat(info(answer).get("batch_size").asInt()).isEqualTo(2);
    }

    @Test
    void nIterTimesBatchSizeImagesWithSeedsAsA1111AssignsThem() throws Exception {
        JsonNode answer = post("/sdapi/v1/txt2img", """
                {"prompt": "a blue triangle", "seed": 1000, "batch_size": 2, "n_iter": 2, "steps": 3,
                 "sampler_name": "Euler a", "subseed": 77}""");

        assertThat(answer.get("images")).hasSize(4);
        JsonNode info = info(answer);
        List<Long> seeds = new ArrayList<>();
        info.get("all_seeds").forEach(seed -> seeds.add(seed.asLong()));
        assertThat(seeds).containsExactly(1000L, 1001L, 1002L, 1003L);
        assertThat(info.get("all_prompts")).hasSize(4);
        assertThat(info.get("subseed").asLong()).isEqualTo(77);
        for (int i = 0; i < 4; i++) {
            assertThat(info.get("infotexts").get(i).asString()).contains("Sampler: Euler a,")
                    .contains("Seed: " + (1000 + i) + ",");
        }
        // the last image is the one a request for its seed alone makes
        JsonNode alone = post("/sdapi/v1/txt2img", """
                {"prompt": "a blue triangle", "seed": 1003, "steps": 3, "sampler_name": "k_euler_a"}""");
        assertThat(pixels(png(answer.get("images").get(3).asString())))
                .isEqualTo(pixels(png(alone.get("images").get(0).asString())));
    }

    @Test
    void seedMinusOneDrawsADifferentSeedEachTimeAndIsEchoedAsSent() throws Exception {
        String body = """
                {"prompt": "a red circle", "seed": -1, "steps": 2}""";
        JsonNode first = post("/sdapi/v1/txt2img", body);
        JsonNode second = post("/sdapi/v1/txt2img", body);

        assertThat(first.get("parameters").get("seed").asLong()).isEqualTo(-1);
        long seed = info(first).get("seed").asLong();
        assertThat(seed).isNotNegative().isNotEqualTo(info(second).get("seed").asLong());
    }

    @Test
    void img2imgFromADataUrlWithDenoisingStrength() throws Exception {
        String start = post("/sdapi/v1/txt2img", """
                {"prompt": "a red circle", "seed": 5, "steps": 2}""").get("images").get(0).asString();

        JsonNode answer = post("/sdapi/v1/img2img", """
                {"prompt": "a red square", "init_images": ["data:image/png;base64,%s"], "denoising_strength": 0.5,
                 "steps": 4, "seed": 9, "resize_mode": 0, "mask": null, "include_init_images": false}"""
                .formatted(start));

        png(answer.get("images").get(0).asString());
        assertThat(answer.get("parameters").get("init_images").isNull()).as("not echoed unless asked").isTrue();
        JsonNode info = info(answer);
        assertThat(info.get("denoising_strength").asDouble()).isEqualTo(0.5);
        assertThat(info.get("infotexts").get(0).asString()).contains("Denoising strength: 0.5");
    }

    @Test
    void badInputIsAProblemNamingA1111sFields() throws Exception {
        HttpResponse<byte[]> unknownSampler = http.post("/sdapi/v1/txt2img", """
                {"prompt": "x", "sampler_name": "Restart"}""");
        assertThat(unknownSampler.statusCode()).isEqualTo(400);
        assertThat(unknownSampler.headers().firstValue("Content-Type")).hasValue("application/problem+json");
        assertThat(HttpTestClient.json(unknownSampler).get("errors").get(0).get("field").asString())
                .isEqualTo("sampler_name");

        HttpResponse<byte[]> tooMany = http.post("/sdapi/v1/txt2img", """
                {"prompt": "x", "batch_size": 3, "n_iter": 3, "cfg_scale": 31}""");
        assertThat(tooMany.statusCode()).isEqualTo(400);
        assertThat(HttpTestClient.json(tooMany).get("errors").findValuesAsString("field"))
                .containsExactlyInAnyOrder("cfg_scale", "batch_size × n_iter");

        HttpResponse<byte[]> noImage = http.post("/sdapi/v1/img2img", """
                {"prompt": "x", "mask": "abc", "init_images": [null]}""");
        assertThat(HttpTestClient.json(noImage).get("errors").findValuesAsString("field"))
                .containsExactlyInAnyOrder("init_images", "mask");
        HttpResponse<byte[]> url = http.post("/sdapi/v1/img2img", """
                {"prompt": "x", "init_images": ["https://example.com/a.png"]}""");
        assertThat(url.statusCode()).as("no URL is fetched").isEqualTo(400);
        assertThat(HttpTestClient.json(url).get("errors").get(0).get("field").asString()).isEqualTo("init_images");
    }

    @Test
    void theModelOfARequestByItsTitleFromSdModels() throws Exception {
        JsonNode models = HttpTestClient.json(http.get("/sdapi/v1/sd-models"));
        String title = models.get(0).get("title").asString();
        assertThat(title).isEqualTo("tiny");
        assertThat(HttpTestClient.json(http.get("/sdapi/v1/options")).get("sd_model_checkpoint").asString())
                .isEqualTo(title);

        JsonNode answer = post("/sdapi/v1/txt2img", """
                {"prompt": "x", "steps": 2, "override_settings": {"sd_model_checkpoint": "%s"}}""".formatted(title));
        assertThat(info(answer).get("sd_model_name").asString()).isEqualTo("tiny");

        HttpResponse<byte[]> unknown = http.post("/sdapi/v1/txt2img", """
                {"prompt": "x", "override_settings": {"sd_model_checkpoint": "v1-5-pruned-emaonly.safetensors"}}""");
        assertThat(unknown.statusCode()).isEqualTo(400);
        assertThat(HttpTestClient.json(unknown).get("errors").get(0).get("field").asString())
                .isEqualTo("override_settings.sd_model_checkpoint");
    }

    @Test
    void whatClientsReadAtStartUp() throws Exception {
        JsonNode samplers = HttpTestClient.json(http.get("/sdapi/v1/samplers"));
        assertThat(samplers.findValuesAsString("name")).contains("DPM++ 2M", "Euler a", "DDIM");
        JsonNode schedulers = HttpTestClient.json(http.get("/sdapi/v1/schedulers"));
        assertThat(schedulers.findValuesAsString("name")).containsExactly("automatic", "uniform", "karras");
        assertThat(schedulers.get(2).get("default_rho").asDouble()).isEqualTo(7.0);
        assertThat(schedulers.get(0).has("need_inner_model")).isTrue();
        for (String empty : List.of("sd-vae", "loras", "upscalers", "latent-upscale-modes")) {
            assertThat(HttpTestClient.json(http.get("/sdapi/v1/" + empty))).as(empty).isEmpty();
        }
        assertThat(HttpTestClient.json(http.get("/sdapi/v1/embeddings")).get("loaded")).isEmpty();
        // SillyTavern's "set model": POST options, then wait until progress is 0 with no jobs
        assertThat(http.post("/sdapi/v1/options", "{\"sd_model_checkpoint\": \"tiny\"}").statusCode()).isEqualTo(200);
        assertThat(http.post("/sdapi/v1/options", "{\"sd_model_checkpoint\": \"nope\"}").statusCode()).isEqualTo(400);
    }

    @Test
    void theOpenApiDocumentDescribesIt() throws Exception {
        JsonNode docs = HttpTestClient.json(http.get("/v3/api-docs"));
        for (String path : List.of("/sdapi/v1/txt2img", "/sdapi/v1/img2img", "/sdapi/v1/progress",
                "/sdapi/v1/interrupt", "/sdapi/v1/sd-models", "/sdapi/v1/samplers", "/sdapi/v1/schedulers",
                "/sdapi/v1/options")) {
            assertThat(docs.get("paths").has(path)).as(path).isTrue();
        }
        JsonNode request = docs.get("components").get("schemas").get("A1111Request").get("properties");
        assertThat(request.has("sampler_name")).isTrue();
        assertThat(request.has("n_iter")).isTrue();
        assertThat(request.has("override_settings")).isTrue();
        assertThat(docs.get("components").get("schemas").get("GenerateRequest").get("properties")
                .has("negative_prompt")).as("named as the JSON is written").isTrue();
    }

    @Test
    void progressDuringARunningJobThenInterruptEndsItWithNoImages() throws Exception {
        CompletableFuture<HttpResponse<byte[]>> slow = CompletableFuture.supplyAsync(() -> {
            try {
                return http.post("/sdapi/v1/txt2img", """
                        {"prompt": "a slow one", "steps": 150, "batch_size": 4, "n_iter": 2, "seed": 3}""");
            } catch (Exception e) {
                throw new IllegalStateException(e);
            }
        });
        JsonNode progress = awaitProgress(p -> p.get("state").get("sampling_step").asInt() > 0);
        assertThat(progress.get("state").get("job_count").asInt()).isEqualTo(1);
        assertThat(progress.get("state").get("sampling_steps").asInt()).isEqualTo(150);
        assertThat(progress.get("progress").asDouble()).isBetween(0.01, 1.0);
        assertThat(progress.get("eta_relative").asDouble()).isPositive();
        assertThat(progress.get("state").get("job").asString()).isEqualTo("scripts_txt2img");
        // previews are made once someone watches: the first call starts watching
        JsonNode withPreview = awaitProgress(p -> p.hasNonNull("current_image"));
        png(withPreview.get("current_image").asString());

        // as SillyTavern's server sends it when its user cancels: no body, no Content-Type
        assertThat(http.post("/sdapi/v1/interrupt", new byte[0], null).statusCode()).isEqualTo(200);

        HttpResponse<byte[]> interrupted = slow.get();
        assertThat(interrupted.statusCode()).isEqualTo(200);
        JsonNode answer = HttpTestClient.json(interrupted);
        assertThat(answer.get("images")).isEmpty();
        assertThat(info(answer).get("all_seeds")).hasSize(8);
        JsonNode idle = awaitProgress(p -> p.get("state").get("job_count").asInt() == 0);
        assertThat(idle.get("progress").asDouble()).isZero();
        assertThat(idle.get("current_image").isNull()).isTrue();
    }

    private JsonNode awaitProgress(java.util.function.Predicate<JsonNode> until) throws Exception {
        long deadline = System.nanoTime() + 60_000_000_000L;
        while (true) {
            JsonNode progress = HttpTestClient.json(http.get("/sdapi/v1/progress"));
            if (until.test(progress)) {
                return progress;
            }
            if (System.nanoTime() > deadline) {
                throw new AssertionError("progress never got there: " + progress);
            }
            Thread.sleep(20);
        }
    }

    private static int[] pixels(BufferedImage image) {
        return image.getRGB(0, 0, image.getWidth(), image.getHeight(), null, 0, image.getWidth());
    }
}
