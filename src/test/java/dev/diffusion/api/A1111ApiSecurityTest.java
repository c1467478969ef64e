package dev.diffusion.api;

import static org.assertj.core.api.Assertions.assertThat;
import static org.hamcrest.Matchers.containsString;
import static org.springframework.test.web.servlet.request.MockMvcRequestBuilders.get;
import static org.springframework.test.web.servlet.request.MockMvcRequestBuilders.post;
import static org.springframework.test.web.servlet.result.MockMvcResultMatchers.content;
import static org.springframework.test.web.servlet.result.MockMvcResultMatchers.header;
import static org.springframework.test.web.servlet.result.MockMvcResultMatchers.jsonPath;
import static org.springframework.test.web.servlet.result.MockMvcResultMatchers.status;

import dev.diffusion.api.a1111.A1111CatalogController;
import dev.diffusion.api.a1111.A1111GenerationController;
import dev.diffusion.api.a1111.A1111ProgressController;
import dev.diffusion.api.a1111.LivePreviews;
import dev.diffusion.api.generate.GenerationController;
import dev.diffusion.jobs.JobService;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Base64;
import java.util.List;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.springframework.beans.factory.annotation.Autowired;
import org.springframework.boot.webmvc.test.autoconfigure.WebMvcTest;
import org.springframework.context.annotation.Import;
import org.springframework.http.HttpHeaders;
import org.springframework.http.MediaType;
import org.springframework.test.context.TestPropertySource;
import org.springframework.test.web.servlet.MockMvc;
import tools.jackson.databind.json.JsonMapper;

/**
 * The AUTOMATIC1111 API with API keys on, and no workers (jobs stay queued): keys as A1111's clients send them (HTTP
 * Basic, whose password is the key) or as Bearer, each key's quota shared with /generate, progress per key, and the
 * wait timeout, which cancels the job it gave up on.
 */
@WebMvcTest(controllers = {A1111GenerationController.class, A1111ProgressController.class,
        A1111CatalogController.class, GenerationController.class})
@Import({ApiLayer.class, GenerationControllerTest.Catalog.class, LivePreviews.class})
@TestPropertySource(properties = {
    "diffusion.security.api-keys=alice:" + ApiKeySecurityTest.ALICE + ",bob:" + ApiKeySecurityTest.BOB,
    "diffusion.security.quotas.max-active-jobs=2", "diffusion.queue.capacity=16",
    "diffusion.jobs.wait-timeout=200ms"})
class A1111ApiSecurityTest {

    private static final JsonMapper JSON = JsonMapper.builder().build();

    @Autowired
    MockMvc mvc;

    @Autowired
    JobService jobs;

    private final List<String> queued = new ArrayList<>();

    @AfterEach
    void cancelQueuedJobs() {
        queued.forEach(jobs::cancel);
    }

    /** What SillyTavern and Open WebUI send for A1111's --api-auth user:password. */
    private static String basic(String user, String password) {
        return "Basic " + Base64.getEncoder().encodeToString((user + ":" + password).getBytes(StandardCharsets.UTF_8));
    }

    private void queue(String key) throws Exception {
        String job = mvc.perform(post("/generate").contentType(MediaType.APPLICATION_JSON)
                        .header(HttpHeaders.AUTHORIZATION, "Bearer " + key).content("{\"prompt\": \"queued\"}"))
                .andExpect(status().isAccepted()).andReturn().getResponse().getContentAsString();
        queued.add(JSON.readTree(job).get("id").asString());
    }

    @Test
    void everyA1111PathNeedsAKey() throws Exception {
        for (String path : List.of("/sdapi/v1/progress", "/sdapi/v1/sd-models", "/sdapi/v1/samplers",
                "/sdapi/v1/schedulers", "/sdapi/v1/options", "/sdapi/v1/sd-vae", "/sdapi/v1/embeddings")) {
            mvc.perform(get(path)).andExpect(status().isUnauthorized())
                    .andExpect(content().contentType(MediaType.APPLICATION_PROBLEM_JSON));
        }
        int depth = jobs.queueDepth();
        for (String path : List.of("/sdapi/v1/txt2img", "/sdapi/v1/img2img", "/sdapi/v1/interrupt",
                "/sdapi/v1/options")) {
            mvc.perform(post(path).contentType(MediaType.APPLICATION_JSON).content("{\"prompt\": \"x\"}")
                    .header(HttpHeaders.AUTHORIZATION, basic("user", "wrong-key-0123456789abcdef")))
                    .andExpect(status().isUnauthorized());
        }
        assertThat(jobs.queueDepth()).isEqualTo(depth);
    }

    @Test
    void theKeyAsBasicPasswordOrAsBearer() throws Exception {
        mvc.perform(get("/sdapi/v1/sd-models")
                        .header(HttpHeaders.AUTHORIZATION, basic("anyone", ApiKeySecurityTest.ALICE)))
                .andExpect(status().isOk()).andExpect(jsonPath("$[0].title").value("shapes"));
        mvc.perform(get("/sdapi/v1/sd-models").header(HttpHeaders.AUTHORIZATION, "Bearer " + ApiKeySecurityTest.BOB))
                .andExpect(status().isOk());
        // Basic is A1111's: the other paths take Bearer only, as before
        mvc.perform(get("/models").header(HttpHeaders.AUTHORIZATION, basic("anyone", ApiKeySecurityTest.ALICE)))
                .andExpect(status().isUnauthorized());
    }

    @Test
    void progressAndInterruptSeeTheCallersOwnJobsOnly() throws Exception {
        queue(ApiKeySecurityTest.ALICE);

        mvc.perform(get("/sdapi/v1/progress").header(HttpHeaders.AUTHORIZATION, basic("a", ApiKeySecurityTest.ALICE)))
                .andExpect(status().isOk())
                .andExpect(jsonPath("$.state.job_count").value(1))
                .andExpect(jsonPath("$.progress").value(0.0))
                .andExpect(jsonPath("$.textinfo", containsString("queue")));
        mvc.perform(get("/sdapi/v1/progress").header(HttpHeaders.AUTHORIZATION, basic("b", ApiKeySecurityTest.BOB)))
                .andExpect(jsonPath("$.state.job_count").value(0))
                .andExpect(jsonPath("$.progress").value(0.0));
    }

    @Test
    void txt2imgCountsAgainstTheKeysActiveJobsAsGenerateDoes() throws Exception {
        queue(ApiKeySecurityTest.ALICE);
        queue(ApiKeySecurityTest.ALICE);

        mvc.perform(post("/sdapi/v1/txt2img").contentType(MediaType.APPLICATION_JSON).content("{\"prompt\": \"x\"}")
                        .header(HttpHeaders.AUTHORIZATION, basic("a", ApiKeySecurityTest.ALICE)))
                .andExpect(status().isTooManyRequests())
                .andExpect(header().exists(HttpHeaders.RETRY_AFTER))
                .andExpect(content().contentType(MediaType.APPLICATION_PROBLEM_JSON));
    }

    @Test
    void aJobNotDoneWithinTheWaitTimeoutIsCancelledAndAnswered503() throws Exception {
        mvc.perform(post("/sdapi/v1/txt2img").contentType(MediaType.APPLICATION_JSON)
                        .content("{\"prompt\": \"never runs here\", \"steps\": 3}")
                        .header(HttpHeaders.AUTHORIZATION, basic("b", ApiKeySecurityTest.BOB)))
                .andExpect(status().isServiceUnavailable())
                .andExpect(header().exists(HttpHeaders.RETRY_AFTER))
                .andExpect(content().contentType(MediaType.APPLICATION_PROBLEM_JSON))
                .andExpect(jsonPath("$.detail", containsString("was cancelled")));

        // not lost: the caller's job listing shows it, cancelled
        mvc.perform(get("/jobs").header(HttpHeaders.AUTHORIZATION, "Bearer " + ApiKeySecurityTest.BOB))
                .andExpect(jsonPath("$.jobs[0].request.prompt").value("never runs here"))
                .andExpect(jsonPath("$.jobs[0].status").value("cancelled"));
    }
}
