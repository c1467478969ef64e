package dev.diffusion.api;

import static org.assertj.core.api.Assertions.assertThat;
import static org.hamcrest.Matchers.containsString;
import static org.hamcrest.Matchers.endsWith;
import static org.hamcrest.Matchers.nullValue;
import static org.springframework.test.web.servlet.request.MockMvcRequestBuilders.post;
import static org.springframework.test.web.servlet.result.MockMvcResultMatchers.content;
import static org.springframework.test.web.servlet.result.MockMvcResultMatchers.header;
import static org.springframework.test.web.servlet.result.MockMvcResultMatchers.jsonPath;
import static org.springframework.test.web.servlet.result.MockMvcResultMatchers.status;

import dev.diffusion.api.generate.GenerationController;
import dev.diffusion.api.openai.OpenAiImagesController;
import dev.diffusion.catalog.ModelCatalog;
import dev.diffusion.catalog.ModelInfo;
import dev.diffusion.jobs.Job;
import dev.diffusion.jobs.JobError;
import dev.diffusion.jobs.JobImage;
import dev.diffusion.jobs.JobLeases;
import dev.diffusion.jobs.JobService;
import io.micrometer.core.instrument.MeterRegistry;
import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.Base64;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import java.util.function.Consumer;
import java.util.stream.IntStream;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
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
import org.springframework.test.web.servlet.ResultActions;
import tools.jackson.databind.json.JsonMapper;

/**
 * The contract of {@code POST /v1/images/generations} with the real job machinery and a stand-in worker on a test
 * thread: how OpenAI's fields map onto a job, and every error in OpenAI's shape, while {@code /generate} keeps its
 * problem details.
 */
@WebMvcTest(controllers = {OpenAiImagesController.class, GenerationController.class})
@Import({ApiLayer.class, OpenAiImagesControllerTest.Catalog.class})
@TestPropertySource(properties = {"diffusion.queue.capacity=2", "diffusion.limits.max-body-size=4KB",
        "diffusion.limits.max-pixels=65536", "diffusion.jobs.wait-timeout=2s"})
class OpenAiImagesControllerTest {

    private static final String SDK_BODY = """
            {"model": "dall-e-2", "prompt": "a red circle", "n": 1, "size": "64x64", "response_format": "b64_json"}""";

    private static final JsonMapper JSON = JsonMapper.builder().build();

    @TestConfiguration
    static class Catalog {
        @Bean
        MeterRegistry meterRegistry() {
            return new SimpleMeterRegistry();
        }

        @Bean
        ModelCatalog catalog() {
            ModelInfo shapes = new ModelInfo("shapes", 64, 32, 4, 20, 5.0, "ddim", true, false);
            ModelInfo wide = new ModelInfo("wide", 128, 64, 8, 10, 7.0, "euler", false, false);
            return new ModelCatalog() {
                @Override
                public List<ModelInfo> models() {
                    return List.of(shapes, wide);
                }

                @Override
                public ModelInfo defaultModel() {
                    return shapes;
                }

                @Override
                public List<String> schedulers() {
                    return List.of("ddim", "euler");
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

    @BeforeEach
    @AfterEach
    void emptyQueue() throws Exception {
        while (jobs.queueDepth() > 0) {
            leases.takeNext(Duration.ZERO);
        }
    }

    private ResultActions generate(String body) throws Exception {
        return mvc.perform(post("/v1/images/generations").contentType(MediaType.APPLICATION_JSON)
                .header(HttpHeaders.AUTHORIZATION, "Bearer sk-test-0123456789").content(body));
    }

    /** Stands in for a worker: takes the next job, hands it to {@code finish}, and yields it. */
    private CompletableFuture<Job> workerThat(Consumer<Job> finish) {
        return CompletableFuture.supplyAsync(() -> {
            try {
                Job job = leases.takeNext(Duration.ofSeconds(10)).orElseThrow();
                finish.accept(job);
                return job;
            } catch (InterruptedException e) {
                throw new IllegalStateException(e);
            }
        });
    }

    private Consumer<Job> succeedWithImages() {
        return job -> leases.succeed(job.id(), IntStream.range(0, job.spec().numImages())
                .mapToObj(i -> new JobImage(i, job.spec().seed() + i, "image/png", ("png-" + i).getBytes(StandardCharsets.US_ASCII)))
                .toList());
    }

    @Test
    void anSdkRequestBecomesAJobOfTheDefaultModelAndAnswersWithBase64Images() throws Exception {
        CompletableFuture<Job> worker = workerThat(succeedWithImages());

        generate("""
                {"model": "dall-e-3", "prompt": "a red circle", "n": 2, "size": "64x32",
                 "response_format": "b64_json", "quality": "hd", "style": "vivid", "user": "user-1234"}""")
                .andExpect(status().isOk())
                .andExpect(content().contentType(MediaType.APPLICATION_JSON))
                .andExpect(jsonPath("$.created").isNumber())
                .andExpect(jsonPath("$.data.length()").value(2))
                .andExpect(jsonPath("$.data[0].b64_json").value(base64("png-0")))
                .andExpect(jsonPath("$.data[1].b64_json").value(base64("png-1")))
                .andExpect(jsonPath("$.data[0].url").doesNotExist());

        Job job = worker.get(5, TimeUnit.SECONDS);
        assertThat(job.spec().model()).isEqualTo("shapes");
        assertThat(job.spec().prompt()).isEqualTo("a red circle");
        assertThat(job.spec().width()).isEqualTo(64);
        assertThat(job.spec().height()).isEqualTo(32);
        assertThat(job.spec().numImages()).isEqualTo(2);
    }

    @Test
    void aServedModelNameSelectsThatModelAndUrlIsTheDefaultFormat() throws Exception {
        CompletableFuture<Job> worker = workerThat(succeedWithImages());

        generate("{\"model\": \"wide\", \"prompt\": \"a blue square\"}")
                .andExpect(status().isOk())
                .andExpect(jsonPath("$.data.length()").value(1))
                .andExpect(jsonPath("$.data[0].url", containsString("http://localhost/jobs/")))
                .andExpect(jsonPath("$.data[0].url", endsWith("/images/0")))
                .andExpect(jsonPath("$.data[0].b64_json").doesNotExist());

        Job job = worker.get(5, TimeUnit.SECONDS);
        assertThat(job.spec().model()).isEqualTo("wide");
        assertThat(job.spec().width()).isEqualTo(128);  // no size: the model's own
        assertThat(job.spec().numImages()).isEqualTo(1);
    }

    @Test
    void jsonNestedPastTheLimitIsRefusedWhileParsedAndWithinItIsRead() throws Exception {
        // the SDKs' fields this service ignores are skipped, not refused, so only the depth limit stops a deep one
        generate("{\"prompt\": \"x\", \"user\": " + "[".repeat(16) + "]".repeat(16) + "}")
                .andExpect(status().isBadRequest())
                .andExpect(jsonPath("$.error.type").value("invalid_request_error"))
                .andExpect(jsonPath("$.error.message", containsString("nesting depth (17)")))
                .andExpect(jsonPath("$.error.message", containsString("maximum allowed (16")));
        generate("{\"prompt\": \"x\", \"user\": " + "[".repeat(4000) + "}")
                .andExpect(status().isBadRequest());

        CompletableFuture<Job> worker = workerThat(succeedWithImages());
        generate("{\"prompt\": \"x\", \"user\": " + "[".repeat(15) + "]".repeat(15) + "}")
                .andExpect(status().isOk());
        worker.get(5, TimeUnit.SECONDS);
    }

    @Test
    void sizesTheModelCannotServeAreInvalidRequestsOnSize() throws Exception {
        generate(SDK_BODY.replace("64x64", "1024x1024"))
                .andExpect(status().isBadRequest())
                .andExpect(content().contentType(MediaType.APPLICATION_JSON))
                .andExpect(jsonPath("$.error.type").value("invalid_request_error"))
                .andExpect(jsonPath("$.error.param").value("size"))
                .andExpect(jsonPath("$.error.message", containsString("65536 pixels")))
                .andExpect(jsonPath("$.error.code", nullValue()));
        generate(SDK_BODY.replace("64x64", "100x100"))
                .andExpect(status().isBadRequest())
                .andExpect(jsonPath("$.error.param").value("size"))
                .andExpect(jsonPath("$.error.message", containsString("multiple of 32")));
        generate(SDK_BODY.replace("64x64", "large"))
                .andExpect(status().isBadRequest())
                .andExpect(jsonPath("$.error.param").value("size"));
        assertThat(jobs.queueDepth()).isZero();
    }

    @Test
    void otherInvalidFieldsNameTheirOpenAiParameter() throws Exception {
        generate(SDK_BODY.replace("b64_json", "png"))
                .andExpect(status().isBadRequest())
                .andExpect(jsonPath("$.error.param").value("response_format"));
        generate(SDK_BODY.replace("\"n\": 1", "\"n\": 9"))
                .andExpect(status().isBadRequest())
                .andExpect(jsonPath("$.error.param").value("n"))
                .andExpect(jsonPath("$.error.message").value("n: must be between 1 and 8"));
        generate(SDK_BODY.replace("\"prompt\": \"a red circle\", ", ""))
                .andExpect(status().isBadRequest())
                .andExpect(jsonPath("$.error.type").value("invalid_request_error"))
                .andExpect(jsonPath("$.error.param").value("prompt"));
        assertThat(jobs.queueDepth()).isZero();
    }

    @Test
    void unreadableBodiesAreInvalidRequestsInOpenAiShape() throws Exception {
        for (String body : List.of("{\"prompt\": ", "[1]", SDK_BODY.replace("\"n\": 1", "\"n\": \"two\""), "")) {
            generate(body)
                    .andExpect(status().isBadRequest())
                    .andExpect(content().contentType(MediaType.APPLICATION_JSON))
                    .andExpect(jsonPath("$.error.type").value("invalid_request_error"))
                    .andExpect(jsonPath("$.error.message").isString());
        }
        for (String type : List.of(MediaType.TEXT_PLAIN_VALUE, "*/*", "application/*+json",
                MediaType.APPLICATION_FORM_URLENCODED_VALUE)) {
            mvc.perform(post("/v1/images/generations").header(HttpHeaders.CONTENT_TYPE, type).content(SDK_BODY))
                    .andExpect(status().isUnsupportedMediaType())
                    .andExpect(jsonPath("$.error.type").value("invalid_request_error"));
        }
        generate("{\"prompt\": \"" + "x".repeat(5000) + "\"}")
                .andExpect(status().isPayloadTooLarge())
                .andExpect(jsonPath("$.error.type").value("invalid_request_error"));
    }

    @Test
    void aFullQueueIs503WithRetryAfterAsAServerError() throws Exception {
        for (int i = 0; i < 2; i++) {
            mvc.perform(post("/generate").contentType(MediaType.APPLICATION_JSON).content("{\"prompt\": \"wait\"}"))
                    .andExpect(status().isAccepted());
        }

        generate(SDK_BODY)
                .andExpect(status().isServiceUnavailable())
                .andExpect(header().exists(HttpHeaders.RETRY_AFTER))
                .andExpect(jsonPath("$.error.type").value("server_error"))
                .andExpect(jsonPath("$.error.message", containsString("queue is full")));
        assertThat(jobs.queueDepth()).isEqualTo(2);
    }

    @Test
    void aJobNotDoneWithinTheWaitTimeoutIsCancelledAndAnswered503() throws Exception {
        generate(SDK_BODY)
                .andExpect(status().isServiceUnavailable())
                .andExpect(header().exists(HttpHeaders.RETRY_AFTER))
                .andExpect(jsonPath("$.error.type").value("server_error"))
                .andExpect(jsonPath("$.error.code").value("timeout"));
        assertThat(jobs.queueDepth()).as("the job left the queue, cancelled").isZero();
    }

    @Test
    void aFailedJobIsA500ServerErrorWithTheReason() throws Exception {
        CompletableFuture<Job> worker = workerThat(job -> leases.fail(job.id(),
                new JobError("Generation failed", "the UNet returned NaN at step 3")));

        generate(SDK_BODY)
                .andExpect(status().isInternalServerError())
                .andExpect(jsonPath("$.error.type").value("server_error"))
                .andExpect(jsonPath("$.error.message").value("Generation failed: the UNet returned NaN at step 3"));
        worker.get(5, TimeUnit.SECONDS);
    }

    @Test
    void generateKeepsItsProblemDetails() throws Exception {
        mvc.perform(post("/generate").contentType(MediaType.APPLICATION_JSON).content("{\"prompt\": \"\"}"))
                .andExpect(status().isBadRequest())
                .andExpect(content().contentType(MediaType.APPLICATION_PROBLEM_JSON))
                .andExpect(jsonPath("$.errors[0].field").value("prompt"))
                .andExpect(jsonPath("$.error").doesNotExist());
    }

    @Test
    void aRepeatedIdempotencyKeyAnswersWithTheFirstJobsImagesAndAnotherBodyIsA422InOpenAisShape()
            throws Exception {
        CompletableFuture<Job> worker = workerThat(succeedWithImages());
        String body = "{\"prompt\": \"a red circle\", \"response_format\": \"url\"}";
        String url = JSON.readTree(mvc.perform(post("/v1/images/generations")
                        .contentType(MediaType.APPLICATION_JSON).header("Idempotency-Key", "openai-1").content(body))
                .andExpect(status().isOk())
                .andExpect(header().doesNotExist("Idempotent-Replayed"))
                .andReturn().getResponse().getContentAsString()).get("data").get(0).get("url").asString();
        worker.get(5, TimeUnit.SECONDS);

        mvc.perform(post("/v1/images/generations").contentType(MediaType.APPLICATION_JSON)
                        .header("Idempotency-Key", "openai-1").content(body))
                .andExpect(status().isOk())
                .andExpect(header().string("Idempotent-Replayed", "true"))
                .andExpect(jsonPath("$.data[0].url").value(url));
        assertThat(jobs.queueDepth()).isZero();

        mvc.perform(post("/v1/images/generations").contentType(MediaType.APPLICATION_JSON)
                        .header("Idempotency-Key", "openai-1").content("{\"prompt\": \"a blue square\"}"))
                .andExpect(status().isUnprocessableContent())
                .andExpect(content().contentType(MediaType.APPLICATION_JSON))
                .andExpect(jsonPath("$.error.type").value("invalid_request_error"))
                .andExpect(jsonPath("$.error.message", containsString("another request body")));
    }

    private static String base64(String text) {
        return Base64.getEncoder().encodeToString(text.getBytes(StandardCharsets.US_ASCII));
    }
}
