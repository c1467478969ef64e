package dev.diffusion;

import static org.assertj.core.api.Assertions.assertThat;

import dev.diffusion.image.EmbeddedParameters;
import dev.diffusion.image.OutputFormat;
import java.awt.image.BufferedImage;
import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.net.http.HttpResponse;
import java.util.ArrayList;
import java.util.Base64;
import java.util.List;
import java.util.Random;
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
        // the last image is the one a request for its seed alone makes, to the 2 levels batching may move a channel
        // (a call of more rows can take other kernels, which sum in another order; README, "Batching")
        JsonNode alone = post("/sdapi/v1/txt2img", """
                {"prompt": "a blue triangle", "seed": 1003, "steps": 3, "sampler_name": "k_euler_a"}""");
        assertThat(largestLevelDifference(png(answer.get("images").get(3).asString()),
                png(alone.get("images").get(0).asString()))).isLessThanOrEqualTo(2);
        // and a different seed makes a different image
        assertThat(largestLevelDifference(png(answer.get("images").get(2).asString()),
                png(alone.get("images").get(0).asString()))).isGreaterThan(20);
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
                 "steps": 4, "seed": 9, "resize_mode": 0, "mask": null, "include_init_images": false,
                 "inpainting_fill": 1, "inpaint_full_res": false, "mask_blur": 4}"""
                .formatted(start));

        png(answer.get("images").get(0).asString());
        assertThat(answer.get("parameters").get("init_images").isNull()).as("not echoed unless asked").isTrue();
        JsonNode info = info(answer);
        assertThat(info.get("denoising_strength").asDouble()).isEqualTo(0.5);
        assertThat(info.get("infotexts").get(0).asString()).contains("Denoising strength: 0.5")
                .as("inpainting fields without a mask are ignored, as A1111 does").doesNotContain("Mask blur");
    }

    @Test
    void img2imgWithAMaskRepaintsItsWhiteAndKeepsTheRest() throws Exception {
        BufferedImage input = gradients();

        JsonNode answer = post("/sdapi/v1/img2img", """
                {"prompt": "inpainting the middle", "init_images": ["%s"], "mask": "%s", "mask_blur": 0,
                 "inpainting_fill": 1, "inpaint_full_res": false, "inpaint_full_res_padding": 16,
                 "inpainting_mask_invert": 0, "denoising_strength": 0.9, "steps": 4, "seed": 31}""".formatted(
                base64(input), base64(whiteSquareMask())));

        BufferedImage edited = png(answer.get("images").get(0).asString());
        int changedInside = 0;
        for (int y = 0; y < 64; y++) {
            for (int x = 0; x < 64; x++) {
                int difference = largestChannelDifference(input.getRGB(x, y), edited.getRGB(x, y));
                if (inSquare(x, y)) {
                    changedInside += difference > 2 ? 1 : 0;
                } else {
                    assertThat(difference).as("kept pixel (%d, %d)", x, y).isLessThanOrEqualTo(2);
                }
            }
        }
        assertThat(changedInside).as("repainted pixels of 1024").isGreaterThan(768);
        assertThat(answer.get("parameters").get("mask").isNull()).as("not echoed unless asked").isTrue();
        JsonNode job = jobOf("inpainting the middle");
        assertThat(job.get("mask_mode").asString()).isEqualTo("luminance");
        assertThat(job.get("mask_blur").asInt()).isZero();
        assertThat(job.get("masked_content").asString()).isEqualTo("original");
        assertThat(job.get("inpaint_area").asString()).isEqualTo("whole");
        assertThat(job.get("inpaint_padding").asInt()).isEqualTo(16);
        assertThat(job.get("mask_invert").asBoolean()).isFalse();
    }

    @Test
    void img2imgMaskFieldsTakeA1111sDefaultsAndReachTheJob() throws Exception {
        JsonNode answer = post("/sdapi/v1/img2img", """
                {"prompt": "inpainting with defaults", "init_images": ["%s"], "mask": "data:image/png;base64,%s",
                 "mask_blur_x": 3, "mask_blur_y": 3, "inpainting_fill": 2, "inpainting_mask_invert": 1,
                 "steps": 4, "seed": 32}""".formatted(base64(gradients()), base64(whiteSquareMask())));

        png(answer.get("images").get(0).asString());
        JsonNode job = jobOf("inpainting with defaults");
        assertThat(job.get("mask_blur").asInt()).isEqualTo(3);
        assertThat(job.get("masked_content").asString()).isEqualTo("latent_noise");
        assertThat(job.get("mask_invert").asBoolean()).isTrue();
        assertThat(job.get("inpaint_area").asString()).as("A1111's inpaint_full_res default").isEqualTo("masked");
        assertThat(job.get("inpaint_padding").asInt()).as("A1111's default padding").isZero();
        assertThat(job.get("strength").asDouble()).as("A1111's denoising_strength default").isEqualTo(0.75);

        JsonNode fill = jobOf(post("/sdapi/v1/img2img", """
                {"prompt": "inpainting with fill", "init_images": ["%s"], "mask": "%s", "steps": 2}""".formatted(
                base64(gradients()), base64(whiteSquareMask()))), "inpainting with fill");
        assertThat(fill.get("masked_content").asString()).as("A1111's inpainting_fill default").isEqualTo("fill");
        assertThat(fill.get("mask_blur").asInt()).as("A1111's mask_blur default").isEqualTo(4);
    }

    @Test
    void maskFieldsThatCannotBeMappedAreProblemsNamingA1111sFields() throws Exception {
        String picture = base64(gradients());
        BufferedImage small = new BufferedImage(32, 32, BufferedImage.TYPE_INT_RGB);
        HttpResponse<byte[]> response = http.post("/sdapi/v1/img2img", """
                {"prompt": "x", "init_images": ["%s"], "mask": "%s", "mask_blur_x": 2, "mask_blur_y": 6,
                 "inpainting_fill": 4, "inpaint_full_res_padding": 300}""".formatted(picture, base64(small)));

        assertThat(response.statusCode()).isEqualTo(400);
        assertThat(HttpTestClient.json(response).get("errors").findValuesAsString("field"))
                .containsExactlyInAnyOrder("mask_blur_x", "inpainting_fill");
        HttpResponse<byte[]> ranges = http.post("/sdapi/v1/img2img", """
                {"prompt": "x", "init_images": ["%s"], "mask": "%s", "mask_blur": 65,
                 "inpaint_full_res_padding": 300}""".formatted(picture, base64(whiteSquareMask())));
        assertThat(HttpTestClient.json(ranges).get("errors").findValuesAsString("field"))
                .containsExactlyInAnyOrder("mask_blur", "inpaint_full_res_padding");
        HttpResponse<byte[]> otherSize = http.post("/sdapi/v1/img2img", """
                {"prompt": "x", "init_images": ["%s"], "mask": "%s"}""".formatted(picture, base64(small)));
        JsonNode error = HttpTestClient.json(otherSize).get("errors").get(0);
        assertThat(error.get("field").asString()).isEqualTo("mask");
        assertThat(error.get("message").asString()).contains("32×32").contains("64×64");
    }

    /** The request a job of this client with {@code prompt} echoes (its newest). */
    private JsonNode jobOf(String prompt) throws Exception {
        for (JsonNode job : HttpTestClient.json(http.get("/jobs?limit=100")).get("jobs")) {
            if (job.get("request").get("prompt").asString().equals(prompt)) {
                return job.get("request");
            }
        }
        throw new AssertionError("no job of prompt " + prompt);
    }

    private JsonNode jobOf(JsonNode answer, String prompt) throws Exception {
        png(answer.get("images").get(0).asString());
        return jobOf(prompt);
    }

    /** Gradients with seeded noise, so that a kept pixel cannot pass by chance. */
    private static BufferedImage gradients() {
        Random random = new Random(21);
        BufferedImage picture = new BufferedImage(64, 64, BufferedImage.TYPE_INT_RGB);
        for (int y = 0; y < 64; y++) {
            for (int x = 0; x < 64; x++) {
                picture.setRGB(x, y, 4 * x << 16 | 4 * y << 8 | 64 + random.nextInt(128));
            }
        }
        return picture;
    }

    /** White (repaint) over x and y 16..47, black (keep) elsewhere. */
    private static BufferedImage whiteSquareMask() {
        BufferedImage mask = new BufferedImage(64, 64, BufferedImage.TYPE_INT_RGB);
        for (int y = 0; y < 64; y++) {
            for (int x = 0; x < 64; x++) {
                mask.setRGB(x, y, inSquare(x, y) ? 0xffffff : 0);
            }
        }
        return mask;
    }

    private static boolean inSquare(int x, int y) {
        return x >= 16 && x < 48 && y >= 16 && y < 48;
    }

    private static int largestChannelDifference(int a, int b) {
        int largest = 0;
        for (int shift = 0; shift <= 16; shift += 8) {
            largest = Math.max(largest, Math.abs((a >> shift & 0xff) - (b >> shift & 0xff)));
        }
        return largest;
    }

    private static String base64(BufferedImage picture) throws Exception {
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        assertThat(ImageIO.write(picture, "png", out)).isTrue();
        return Base64.getEncoder().encodeToString(out.toByteArray());
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
                .containsExactly("init_images");
        HttpResponse<byte[]> badMask = http.post("/sdapi/v1/img2img", """
                {"prompt": "x", "mask": "abc", "init_images": ["%s"]}""".formatted(base64(gradients())));
        assertThat(HttpTestClient.json(badMask).get("errors").findValuesAsString("field")).containsExactly("mask");
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

    /** The largest difference of any colour channel of any pixel, in levels 0..255. */
    private static int largestLevelDifference(BufferedImage a, BufferedImage b) {
        assertThat(b.getWidth()).isEqualTo(a.getWidth());
        assertThat(b.getHeight()).isEqualTo(a.getHeight());
        int[] pa = pixels(a);
        int[] pb = pixels(b);
        int largest = 0;
        for (int i = 0; i < pa.length; i++) {
            for (int shift = 0; shift < 24; shift += 8) {
                largest = Math.max(largest, Math.abs(((pa[i] >> shift) & 0xff) - ((pb[i] >> shift) & 0xff)));
            }
        }
        return largest;
    }

    private static int[] pixels(BufferedImage image) {
        return image.getRGB(0, 0, image.getWidth(), image.getHeight(), null, 0, image.getWidth());
    }
}
