package dev.diffusion.api;

import static org.assertj.core.api.Assertions.assertThat;
import static org.hamcrest.Matchers.allOf;
import static org.hamcrest.Matchers.containsString;
import static org.hamcrest.Matchers.hasItem;
import static org.hamcrest.Matchers.notNullValue;
import static org.hamcrest.Matchers.nullValue;
import static org.springframework.test.web.servlet.request.MockMvcRequestBuilders.delete;
import static org.springframework.test.web.servlet.request.MockMvcRequestBuilders.get;
import static org.springframework.test.web.servlet.request.MockMvcRequestBuilders.post;
import static org.springframework.test.web.servlet.result.MockMvcResultMatchers.content;
import static org.springframework.test.web.servlet.result.MockMvcResultMatchers.header;
import static org.springframework.test.web.servlet.result.MockMvcResultMatchers.jsonPath;
import static org.springframework.test.web.servlet.result.MockMvcResultMatchers.status;

import dev.diffusion.api.generate.GenerationController;
import dev.diffusion.api.models.CatalogController;
import dev.diffusion.catalog.MeasuredCosts;
import dev.diffusion.catalog.ModelCatalog;
import dev.diffusion.catalog.ModelCostBook;
import dev.diffusion.catalog.ModelInfo;
import dev.diffusion.jobs.JobLeases;
import dev.diffusion.jobs.JobService;
import dev.diffusion.model.CallCost;
import dev.diffusion.model.ModelCosts;
import io.micrometer.core.instrument.MeterRegistry;
import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import java.awt.image.BufferedImage;
import java.io.ByteArrayOutputStream;
import java.time.Instant;
import java.util.Base64;
import java.util.List;
import java.util.Random;
import javax.imageio.ImageIO;
import org.junit.jupiter.api.Test;
import org.springframework.beans.factory.annotation.Autowired;
import org.springframework.boot.test.context.TestConfiguration;
import org.springframework.boot.webmvc.test.autoconfigure.WebMvcTest;
import org.springframework.context.annotation.Bean;
import org.springframework.context.annotation.Import;
import org.springframework.http.HttpHeaders;
import org.springframework.http.MediaType;
import org.springframework.test.context.TestPropertySource;
import org.springframework.test.web.servlet.MockMvc;
import org.springframework.test.web.servlet.MvcResult;
import org.springframework.test.web.servlet.ResultActions;
import tools.jackson.databind.json.JsonMapper;

/**
 * The HTTP contract of {@code /generate} and {@code /jobs} with the real job machinery but no workers, so jobs stay
 * queued: validation, problem details, queue positions, the full queue, cancellation of a queued job.
 */
@WebMvcTest(controllers = {GenerationController.class, CatalogController.class})
@Import({ApiLayer.class, GenerationControllerTest.Catalog.class})
@TestPropertySource(properties = {"diffusion.queue.capacity=2", "diffusion.limits.max-body-size=4KB",
        "diffusion.jobs.wait-timeout=100ms", "diffusion.limits.max-prompt-length=100",
        "diffusion.limits.max-init-image-size=1KB", "diffusion.limits.max-init-image-pixels=1024"})
class GenerationControllerTest {

    @TestConfiguration
    static class Catalog {
        @Bean
        MeterRegistry meterRegistry() {
            return new SimpleMeterRegistry();
        }

        @Bean
        ModelCatalog catalog() {
            ModelInfo shapes = new ModelInfo("shapes", 64, 32, 4, 20, 5.0, "ddim", true, false);
            return new ModelCatalog() {
                @Override
                public List<ModelInfo> models() {
                    return List.of(shapes);
                }

                @Override
                public ModelInfo defaultModel() {
                    return shapes;
                }

                @Override
                public List<String> schedulers() {
                    return List.of("ddim", "euler", "dpmpp_2m", "tcd");
                }
            };
        }
    }

    @Autowired
    MockMvc mvc;

    @Autowired
    JobService jobs;

    @Autowired
    JobLeases leases;

    @Autowired
    RequestResolver resolver;

    @Autowired
    ModelCostBook costBook;

    private static final JsonMapper JSON = JsonMapper.builder().build();

    private MvcResult submit(String body) throws Exception {
        return mvc.perform(post("/generate").contentType(MediaType.APPLICATION_JSON).content(body)).andReturn();
    }

    private void drainQueue() throws Exception {
        while (jobs.queueDepth() > 0) {
            leases.takeNext(java.time.Duration.ZERO);
        }
    }

    @Test
    void acceptsAJobWithEveryDefaultResolvedAndItsLocation() throws Exception {
        drainQueue();
        mvc.perform(post("/generate").contentType(MediaType.APPLICATION_JSON)
                        .content("{\"prompt\": \"a red circle\"}"))
                .andExpect(status().isAccepted())
                .andExpect(header().string("Location", org.hamcrest.Matchers.startsWith("/jobs/")))
                .andExpect(jsonPath("$.status").value("queued"))
                .andExpect(jsonPath("$.queue_position").value(0))
                .andExpect(jsonPath("$.progress.total_steps").value(20))
                .andExpect(jsonPath("$.request.model").value("shapes"))
                .andExpect(jsonPath("$.request.width").value(64))
                .andExpect(jsonPath("$.request.steps").value(20))
                .andExpect(jsonPath("$.request.guidance_scale").value(5.0))
                .andExpect(jsonPath("$.request.scheduler").value("ddim"))
                .andExpect(jsonPath("$.request.num_images").value(1))
                .andExpect(jsonPath("$.request.seed", notNullValue()))
                .andExpect(jsonPath("$.created_at", notNullValue()))
                .andExpect(jsonPath("$.error", nullValue()));
        drainQueue();
    }

    @Test
    void theOutputFormatAndCompressionAreResolvedAndEchoedAndCheckedAsOpenAiNamesThem() throws Exception {
        drainQueue();
        generate("{\"prompt\": \"a red circle\"}")
                .andExpect(jsonPath("$.request.output_format").value("png"))
                .andExpect(jsonPath("$.request.output_compression").value(100));
        generate("{\"prompt\": \"a red circle\", \"output_format\": \"webp\", \"output_compression\": 80}")
                .andExpect(status().isAccepted())
                .andExpect(jsonPath("$.request.output_format").value("webp"))
                .andExpect(jsonPath("$.request.output_compression").value(80));
        generate("{\"prompt\": \"a red circle\", \"output_format\": \"jpg\", \"output_compression\": 101}")
                .andExpect(status().isBadRequest())
                .andExpect(jsonPath("$.errors[0].field").value("output_compression"))
                .andExpect(jsonPath("$.errors[0].message").value("must be between 0 and 100"))
                .andExpect(jsonPath("$.errors[1].field").value("output_format"))
                .andExpect(jsonPath("$.errors[1].message").value("must be one of png, jpeg, webp"));
        drainQueue();
    }

    @Test
    void etaIsTakenAsDdimsEtaAndTcdsGammaAndRefusedElsewhere() throws Exception {
        drainQueue();
        for (String scheduler : List.of("ddim", "tcd")) {
            mvc.perform(post("/generate").contentType(MediaType.APPLICATION_JSON)
                            .content("{\"prompt\": \"a red circle\", \"scheduler\": \"" + scheduler
                                    + "\", \"eta\": 0.3}"))
                    .andExpect(status().isAccepted())
                    .andExpect(jsonPath("$.request.eta").value(0.3));
        }
        mvc.perform(post("/generate").contentType(MediaType.APPLICATION_JSON)
                        .content("{\"prompt\": \"a red circle\", \"scheduler\": \"euler\", \"eta\": 0.3}"))
                .andExpect(status().isBadRequest())
                .andExpect(jsonPath("$.errors[*].field", hasItem("eta")));
        drainQueue();
    }

    @Test
    void reportsEveryInvalidFieldAsAProblem() throws Exception {
        mvc.perform(post("/generate").contentType(MediaType.APPLICATION_JSON).content("""
                        {"prompt": "", "width": 50, "steps": 0, "guidance_scale": 31, "scheduler": "nope",
                         "num_images": 9, "eta": 0.5}"""))
                .andExpect(status().isBadRequest())
                .andExpect(content().contentType(MediaType.APPLICATION_PROBLEM_JSON))
                .andExpect(jsonPath("$.status").value(400))
                .andExpect(jsonPath("$.title").value("Invalid request"))
                .andExpect(jsonPath("$.errors[*].field", hasItem("prompt")))
                .andExpect(jsonPath("$.errors[*].field", hasItem("width")))
                .andExpect(jsonPath("$.errors[*].field", hasItem("steps")))
                .andExpect(jsonPath("$.errors[*].field", hasItem("guidance_scale")))
                .andExpect(jsonPath("$.errors[*].field", hasItem("scheduler")))
                .andExpect(jsonPath("$.errors[*].field", hasItem("num_images")))
                .andExpect(jsonPath("$.errors[*].field", hasItem("eta")));
    }

    @Test
    void anUnknownModelIsABadRequest() throws Exception {
        mvc.perform(post("/generate").contentType(MediaType.APPLICATION_JSON)
                        .content("{\"prompt\": \"x\", \"model\": \"sd-xl\"}"))
                .andExpect(status().isBadRequest())
                .andExpect(jsonPath("$.errors[0].field").value("model"));
    }

    @Test
    void malformedJsonUnknownFieldsAndWrongTypesAreProblemsNotServerErrors() throws Exception {
        for (String body : List.of("{\"prompt\": ", "[1,2]", "{\"prompt\": \"x\", \"cfg\": 7}",
                "{\"prompt\": \"x\", \"steps\": \"many\"}", "{\"prompt\": \"x\", \"seed\": 1e400}", "")) {
            mvc.perform(post("/generate").contentType(MediaType.APPLICATION_JSON).content(body))
                    .andExpect(status().isBadRequest())
                    .andExpect(content().contentType(MediaType.APPLICATION_PROBLEM_JSON));
        }
        mvc.perform(post("/generate").contentType(MediaType.APPLICATION_JSON)
                        .content("{\"prompt\": \"x\", \"cfg\": 7}"))
                .andExpect(jsonPath("$.detail").value("unknown field 'cfg'"));
    }

    @Test
    void wrongContentTypeAndMethodAreProblems() throws Exception {
        for (String type : List.of(MediaType.TEXT_PLAIN_VALUE, "*/*", "application/*+json",
                MediaType.APPLICATION_FORM_URLENCODED_VALUE)) {
            mvc.perform(post("/generate").header("Content-Type", type).content("{\"prompt\": \"a cat\"}"))
                    .andExpect(status().isUnsupportedMediaType())
                    .andExpect(content().contentType(MediaType.APPLICATION_PROBLEM_JSON));
        }
        mvc.perform(get("/generate"))
                .andExpect(status().isMethodNotAllowed())
                .andExpect(content().contentType(MediaType.APPLICATION_PROBLEM_JSON));
    }

    @Test
    void promptsLongerThanTheLimitAreFieldErrors() throws Exception {
        drainQueue();
        mvc.perform(post("/generate").contentType(MediaType.APPLICATION_JSON).content(
                        "{\"prompt\": \"" + "x".repeat(101) + "\", \"negative_prompt\": \"" + "y".repeat(101) + "\"}"))
                .andExpect(status().isBadRequest())
                .andExpect(jsonPath("$.errors[0].field").value("prompt"))
                .andExpect(jsonPath("$.errors[0].message").value("must be at most 100 characters"))
                .andExpect(jsonPath("$.errors[1].field").value("negative_prompt"));
        mvc.perform(post("/generate").contentType(MediaType.APPLICATION_JSON)
                        .content("{\"prompt\": \"" + "x".repeat(100) + "\"}"))
                .andExpect(status().isAccepted());
        drainQueue();
    }

    @Test
    void initImagesLargerThanTheLimitsAreFieldErrors() throws Exception {
        drainQueue();
        initImage(png(64, 64, false))
                .andExpect(status().isBadRequest())
                .andExpect(jsonPath("$.errors[0].field").value("init_image"))
                .andExpect(jsonPath("$.errors[0].message", containsString("at most 1024 pixels")));
        byte[] noisy = png(24, 24, true);
        org.assertj.core.api.Assertions.assertThat(noisy.length).as("over 1KB, under 1024 pixels")
                .isGreaterThan(1024);
        initImage(noisy)
                .andExpect(status().isBadRequest())
                .andExpect(jsonPath("$.errors[0].field").value("init_image"))
                .andExpect(jsonPath("$.errors[0].message").value("must be at most 1024 bytes"));
        initImage(png(16, 16, false)).andExpect(status().isAccepted());
        drainQueue();
    }

    /**
     * Jobs are admitted by what the model's calls cost on a worker: before any worker measured it, sizes up to the
     * model's own; then whatever fits the worker's memory and time budget, the refusal naming the limit and the
     * largest size allowed, and GET /models showing it.
     */
    @Test
    void jobsAreAdmittedByTheModelsMeasuredCosts() throws Exception {
        generate("{\"prompt\": \"x\", \"width\": 96, \"height\": 96}")
                .andExpect(status().isServiceUnavailable())
                .andExpect(jsonPath("$.detail").value(containsString("no worker has measured")));
        mvc.perform(get("/models")).andExpect(jsonPath("$[0].allowed_sizes").value(nullValue()));

        // a megabyte per row of a 16×16 latent (a 64×64 image), 4 MB a call: four rows, two guided images, fit
        ModelCosts costs = new ModelCosts(new CallCost(0, 1e6 / 256, 0), new CallCost(0, 1e-6, 0),
                new CallCost(0, 0, 0), new CallCost(0, 0, 0));
        costBook.record("shapes", new MeasuredCosts(costs, 4_000_000L, 60, "cpu()"));

        generate("{\"prompt\": \"x\", \"width\": 96, \"height\": 96}")
                .andExpect(status().isBadRequest())
                .andExpect(jsonPath("$.errors[0].field").value("width"))
                .andExpect(jsonPath("$.errors[0].message").value(allOf(containsString("max-native-memory"),
                        containsString("allows at most 64×64"))));
        generate("{\"prompt\": \"x\", \"width\": 64, \"height\": 64}").andExpect(status().isAccepted());
        generate("{\"prompt\": \"x\", \"width\": 64, \"height\": 64, \"num_images\": 3}")
                .andExpect(status().isBadRequest())
                .andExpect(jsonPath("$.errors[0].message").value(containsString(
                        "allows at most 32×32 pixels (2048 in all, any shape) with 3 images and 20 steps")));
        mvc.perform(get("/models"))
                .andExpect(jsonPath("$[0].allowed_sizes.max_square").value(64))
                .andExpect(jsonPath("$[0].allowed_sizes.max_pixels").value(8192))
                .andExpect(jsonPath("$[0].allowed_sizes.measured_on").value("cpu()"));

        costBook.record("shapes", new MeasuredCosts(new ModelCosts(new CallCost(0, 0, 0), new CallCost(0, 0.01, 0),
                new CallCost(0, 0, 0), new CallCost(0, 0, 0)), 1L << 40, 60, "cpu()"));
        generate("{\"prompt\": \"x\", \"width\": 64, \"height\": 64, \"steps\": 100}")
                .andExpect(status().isBadRequest())
                .andExpect(jsonPath("$.errors[0].message").value(containsString("max-job-time")));

        // 20 guided steps of two 0.25 s rows: 10 s as measured; 30 s at three times slower, inside 60; 100 s at ten
        MeasuredCosts paced = new MeasuredCosts(new ModelCosts(new CallCost(0, 0, 0), new CallCost(0, 0.25 / 256, 0),
                new CallCost(0, 0, 0), new CallCost(0, 0, 0)), 1L << 40, 60, "cpu()");
        drainQueue();
        costBook.record("shapes", paced.withSlowdown(3, Instant.now()));
        generate("{\"prompt\": \"x\", \"width\": 64, \"height\": 64}").andExpect(status().isAccepted());
        drainQueue();
        costBook.record("shapes", paced.withSlowdown(10, Instant.now()));
        generate("{\"prompt\": \"x\", \"width\": 64, \"height\": 64}")
                .andExpect(status().isServiceUnavailable())
                .andExpect(header().exists(HttpHeaders.RETRY_AFTER))
                .andExpect(jsonPath("$.detail").value(allOf(containsString("estimated 100 s"),
                        containsString("10.0× slower than measured"), containsString("max-job-time of 60 s"))));
        mvc.perform(get("/models")).andExpect(jsonPath("$[0].allowed_sizes.slowdown").value(10.0));
        // a pace told minutes ago is a worker's that has gone idle since: no longer counted
        costBook.record("shapes", paced.withSlowdown(10, Instant.now().minus(MeasuredCosts.SLOWDOWN_LIFETIME)));
        generate("{\"prompt\": \"x\", \"width\": 64, \"height\": 64}").andExpect(status().isAccepted());
        mvc.perform(get("/models")).andExpect(jsonPath("$[0].allowed_sizes.slowdown").value(1.0));
        drainQueue();
        costBook.record("shapes", new MeasuredCosts(new ModelCosts(new CallCost(0, 0, 0), new CallCost(0, 0, 0),
                new CallCost(0, 0, 0), new CallCost(0, 0, 0)), 1L << 40, 1e9, "cpu()"));
    }

    /** Decodes running at once share a budget: with it all taken, an upload waits for none and is told to retry. */
    @Test
    void initImagesAreNotDecodedBeyondTheBudgetOfDecodesAtOnce() throws Exception {
        long whole = 256L << 20;
        assertThat(resolver.decodingBudget().tryTake(whole)).isTrue();
        try {
            initImage(png(16, 16, false))
                    .andExpect(status().isServiceUnavailable())
                    .andExpect(header().exists(HttpHeaders.RETRY_AFTER))
                    .andExpect(jsonPath("$.detail").value(containsString("decoded at once")));
        } finally {
            resolver.decodingBudget().giveBack(whole);
        }
        initImage(png(16, 16, false)).andExpect(status().isAccepted());
        drainQueue();
    }

    private ResultActions generate(String body) throws Exception {
        return mvc.perform(post("/generate").contentType(MediaType.APPLICATION_JSON).content(body));
    }

    private ResultActions initImage(byte[] png) throws Exception {
        return mvc.perform(post("/generate").contentType(MediaType.APPLICATION_JSON).content(
                "{\"prompt\": \"x\", \"init_image\": \"" + Base64.getEncoder().encodeToString(png) + "\"}"));
    }

    /** A PNG of one colour, or of random pixels (which do not compress). */
    private static byte[] png(int width, int height, boolean noisy) throws Exception {
        BufferedImage image = new BufferedImage(width, height, BufferedImage.TYPE_INT_RGB);
        Random random = new Random(1);
        for (int y = 0; y < height; y++) {
            for (int x = 0; x < width; x++) {
                image.setRGB(x, y, noisy ? random.nextInt(1 << 24) : 0x336699);
            }
        }
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        ImageIO.write(image, "png", out);
        return out.toByteArray();
    }

    @Test
    void anOversizedBodyIs413() throws Exception {
        String prompt = "x".repeat(5000);
        mvc.perform(post("/generate").contentType(MediaType.APPLICATION_JSON)
                        .content("{\"prompt\": \"" + prompt + "\"}"))
                .andExpect(status().isPayloadTooLarge())
                .andExpect(content().contentType(MediaType.APPLICATION_PROBLEM_JSON));
    }

    @Test
    void aFullQueueRefusesWith503AndRetryAfterAndCreatesNoJob() throws Exception {
        drainQueue();
        submit("{\"prompt\": \"one\"}");
        submit("{\"prompt\": \"two\"}");

        mvc.perform(post("/generate").contentType(MediaType.APPLICATION_JSON).content("{\"prompt\": \"three\"}"))
                .andExpect(status().isServiceUnavailable())
                .andExpect(header().string("Retry-After", notNullValue()))
                .andExpect(content().contentType(MediaType.APPLICATION_PROBLEM_JSON))
                .andExpect(jsonPath("$.detail", containsString("queue is full")));
        org.assertj.core.api.Assertions.assertThat(jobs.queueDepth()).isEqualTo(2);
        drainQueue();
    }

    @Test
    void aQueuedJobCanBeCancelledAndThenNeverRuns() throws Exception {
        drainQueue();
        String first = JSON.readTree(submit("{\"prompt\": \"one\"}").getResponse().getContentAsString())
                .get("id").asString();
        String second = JSON.readTree(submit("{\"prompt\": \"two\"}").getResponse().getContentAsString())
                .get("id").asString();
        mvc.perform(get("/jobs/" + second)).andExpect(jsonPath("$.queue_position").value(1));

        mvc.perform(delete("/jobs/" + first))
                .andExpect(status().isOk())
                .andExpect(jsonPath("$.status").value("cancelled"))
                .andExpect(jsonPath("$.started_at", nullValue()));
        mvc.perform(get("/jobs/" + second)).andExpect(jsonPath("$.queue_position").value(0));
        org.assertj.core.api.Assertions.assertThat(leases.takeNext(java.time.Duration.ZERO))
                .hasValueSatisfying(job -> org.assertj.core.api.Assertions.assertThat(job.id()).isEqualTo(second));
    }

    @Test
    void jobsAreListedNewestFirstWithFiltersAndAPageCursor() throws Exception {
        drainQueue();
        List<String> ids = new java.util.ArrayList<>();
        for (String prompt : List.of("first", "second", "third")) {
            ids.add(0, JSON.readTree(submit("{\"prompt\": \"" + prompt + "\"}").getResponse().getContentAsString())
                    .get("id").asString());
            if (prompt.equals("first")) {
                jobs.cancel(ids.get(0)); // the queue holds two
            }
        }

        String firstPage = mvc.perform(get("/jobs?limit=2"))
                .andExpect(status().isOk())
                .andExpect(jsonPath("$.jobs[0].id").value(ids.get(0)))
                .andExpect(jsonPath("$.jobs[0].status").value("queued"))
                .andExpect(jsonPath("$.jobs[0].queue_position").value(1))
                .andExpect(jsonPath("$.jobs[0].request.prompt").value("third"))
                .andExpect(jsonPath("$.jobs[1].id").value(ids.get(1)))
                .andReturn().getResponse().getContentAsString();
        String cursor = JSON.readTree(firstPage).get("next_cursor").asString();
        mvc.perform(get("/jobs").param("limit", "2").param("cursor", cursor))
                .andExpect(jsonPath("$.jobs[0].id").value(ids.get(2)))
                .andExpect(jsonPath("$.jobs[0].status").value("cancelled"));
        mvc.perform(get("/jobs?status=queued,running&limit=100"))
                .andExpect(jsonPath("$.jobs[*].id", hasItem(ids.get(0))))
                .andExpect(jsonPath("$.jobs[*].id", org.hamcrest.Matchers.not(hasItem(ids.get(2)))));
        String createdAt = JSON.readTree(firstPage).get("jobs").get(1).get("created_at").asString();
        mvc.perform(get("/jobs").param("created_after", createdAt))
                .andExpect(jsonPath("$.jobs[*].id").value(org.hamcrest.Matchers.contains(ids.get(0))))
                .andExpect(jsonPath("$.next_cursor", nullValue()));

        mvc.perform(get("/jobs?status=done&created_after=yesterday&limit=0&cursor=%21"))
                .andExpect(status().isBadRequest())
                .andExpect(content().contentType(MediaType.APPLICATION_PROBLEM_JSON))
                .andExpect(jsonPath("$.errors[*].field").value(org.hamcrest.Matchers.contains("status",
                        "created_after", "limit", "cursor")));
        mvc.perform(get("/jobs?limit=101")).andExpect(status().isBadRequest());
        drainQueue();
    }

    @Test
    void unknownJobsAndImagesAre404Problems() throws Exception {
        mvc.perform(get("/jobs/no-such-job"))
                .andExpect(status().isNotFound())
                .andExpect(content().contentType(MediaType.APPLICATION_PROBLEM_JSON));
        mvc.perform(delete("/jobs/no-such-job")).andExpect(status().isNotFound());
        mvc.perform(get("/jobs/no-such-job/images/0")).andExpect(status().isNotFound());
        mvc.perform(get("/jobs/no-such-job/events")).andExpect(status().isNotFound());
        mvc.perform(get("/jobs/x/images/not-a-number")).andExpect(status().isBadRequest());
    }

    @Test
    void waitingLongerThanTheWaitTimeoutAnswers202WithTheJob() throws Exception {
        drainQueue();
        mvc.perform(post("/generate?wait=true").contentType(MediaType.APPLICATION_JSON)
                        .content("{\"prompt\": \"a red circle\"}"))
                .andExpect(status().isAccepted())
                .andExpect(jsonPath("$.status").value("queued"));
        drainQueue();
    }

    @Test
    void aRepeatedIdempotencyKeyWithTheSameBodyGetsTheFirstJobBackAndAnotherBodyA422() throws Exception {
        drainQueue();
        String body = "{\"prompt\": \"a red circle\", \"seed\": 5}";
        MvcResult first = mvc.perform(post("/generate").contentType(MediaType.APPLICATION_JSON)
                        .header("Idempotency-Key", "retry-1").content(body))
                .andExpect(status().isAccepted())
                .andExpect(header().doesNotExist("Idempotent-Replayed"))
                .andReturn();
        String id = JSON.readTree(first.getResponse().getContentAsString()).get("id").asString();

        // the same fields in another order and spacing are the same request
        mvc.perform(post("/generate").contentType(MediaType.APPLICATION_JSON).header("Idempotency-Key", "retry-1")
                        .content("{\"seed\":5,\"prompt\":\"a red circle\"}"))
                .andExpect(status().isAccepted())
                .andExpect(header().string("Idempotent-Replayed", "true"))
                .andExpect(header().string(HttpHeaders.LOCATION, "/jobs/" + id))
                .andExpect(jsonPath("$.id").value(id));
        assertThat(jobs.queueDepth()).as("no second job").isEqualTo(1);

        mvc.perform(post("/generate").contentType(MediaType.APPLICATION_JSON).header("Idempotency-Key", "retry-1")
                        .content("{\"prompt\": \"a blue square\", \"seed\": 5}"))
                .andExpect(status().isUnprocessableContent())
                .andExpect(content().contentType(MediaType.APPLICATION_PROBLEM_JSON))
                .andExpect(jsonPath("$.detail", containsString("another request body")));
        mvc.perform(post("/generate").contentType(MediaType.APPLICATION_JSON).header("Idempotency-Key", "retry-2")
                        .content(body))
                .andExpect(status().isAccepted())
                .andExpect(jsonPath("$.id", org.hamcrest.Matchers.not(id)));
        assertThat(jobs.queueDepth()).as("another key, another job").isEqualTo(2);
        drainQueue();
    }

    @Test
    void aKeyWhoseRequestWasRefusedMayBeUsedAgainAndABadKeyIsA400() throws Exception {
        drainQueue();
        String body = "{\"prompt\": \"a red circle\", \"steps\": 100000}";
        mvc.perform(post("/generate").contentType(MediaType.APPLICATION_JSON).header("Idempotency-Key", "refused-1")
                        .content(body))
                .andExpect(status().isBadRequest());
        mvc.perform(post("/generate").contentType(MediaType.APPLICATION_JSON).header("Idempotency-Key", "refused-1")
                        .content("{\"prompt\": \"a red circle\"}"))
                .andExpect(status().isAccepted())
                .andExpect(header().doesNotExist("Idempotent-Replayed"));
        mvc.perform(post("/generate").contentType(MediaType.APPLICATION_JSON).header("Idempotency-Key", "two words")
                        .content("{\"prompt\": \"a red circle\"}"))
                .andExpect(status().isBadRequest())
                .andExpect(content().contentType(MediaType.APPLICATION_PROBLEM_JSON))
                .andExpect(jsonPath("$.errors[0].field").value("Idempotency-Key"));
        drainQueue();
    }

    @Test
    void aWebhookIsRefusedWhenThisServerHasNoSigningSecretAndWebhookEventsNeedAWebhook() throws Exception {
        mvc.perform(post("/generate").contentType(MediaType.APPLICATION_JSON)
                        .content("{\"prompt\": \"x\", \"webhook\": \"https://example.com/hooks\"}"))
                .andExpect(status().isBadRequest())
                .andExpect(jsonPath("$.errors[0].field").value("webhook"))
                .andExpect(jsonPath("$.errors[0].message", containsString("no signing secret")));
        mvc.perform(post("/generate").contentType(MediaType.APPLICATION_JSON)
                        .content("{\"prompt\": \"x\", \"webhook_events\": [\"started\"]}"))
                .andExpect(status().isBadRequest())
                .andExpect(jsonPath("$.errors[0].field").value("webhook_events"));
    }

    @Test
    void listsModelsAndSchedulers() throws Exception {
        mvc.perform(get("/models"))
                .andExpect(status().isOk())
                .andExpect(jsonPath("$[0].name").value("shapes"))
                .andExpect(jsonPath("$[0].is_default").value(true))
                .andExpect(jsonPath("$[0].default_scheduler").value("ddim"));
        mvc.perform(get("/schedulers")).andExpect(jsonPath("$", hasItem("dpmpp_2m")));
    }
}
