package dev.diffusion.api;

import static org.assertj.core.api.Assertions.assertThat;
import static org.hamcrest.Matchers.containsString;
import static org.springframework.test.web.servlet.request.MockMvcRequestBuilders.delete;
import static org.springframework.test.web.servlet.request.MockMvcRequestBuilders.get;
import static org.springframework.test.web.servlet.request.MockMvcRequestBuilders.post;
import static org.springframework.test.web.servlet.result.MockMvcResultMatchers.content;
import static org.springframework.test.web.servlet.result.MockMvcResultMatchers.header;
import static org.springframework.test.web.servlet.result.MockMvcResultMatchers.jsonPath;
import static org.springframework.test.web.servlet.result.MockMvcResultMatchers.status;

import dev.diffusion.api.generate.GenerationController;
import dev.diffusion.api.models.CatalogController;
import dev.diffusion.api.openai.OpenAiImageEditsController;
import dev.diffusion.api.openai.OpenAiImagesController;
import dev.diffusion.jobs.JobService;
import dev.diffusion.jobs.JobStatus;
import dev.diffusion.security.ApiKeyFilter;
import dev.diffusion.security.ApiKeys;
import dev.diffusion.security.RequestRateLimiter;
import dev.diffusion.web.ErrorResponses;
import java.time.Clock;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.springframework.beans.factory.annotation.Autowired;
import org.springframework.boot.webmvc.test.autoconfigure.WebMvcTest;
import org.springframework.context.annotation.Import;
import org.springframework.http.HttpHeaders;
import org.springframework.http.MediaType;
import org.springframework.mock.web.MockFilterChain;
import org.springframework.mock.web.MockHttpServletRequest;
import org.springframework.mock.web.MockHttpServletResponse;
import org.springframework.test.context.TestPropertySource;
import org.springframework.test.web.servlet.MockMvc;
import org.springframework.test.web.servlet.ResultActions;
import tools.jackson.databind.json.JsonMapper;

/** API keys on: who may call, who sees which job, and each key's limit of active jobs. */
@WebMvcTest(controllers = {GenerationController.class, OpenAiImagesController.class, OpenAiImageEditsController.class,
        CatalogController.class})
@Import({ApiLayer.class, GenerationControllerTest.Catalog.class})
@TestPropertySource(properties = {
    "diffusion.security.api-keys=alice:" + ApiKeySecurityTest.ALICE + ",bob:" + ApiKeySecurityTest.BOB,
    "diffusion.security.quotas.max-active-jobs=2", "diffusion.queue.capacity=16"})
class ApiKeySecurityTest {

    static final String ALICE = "alice-key-0123456789abcdef";
    static final String BOB = "bob-key-0123456789abcdef";
    private static final JsonMapper JSON = JsonMapper.builder().build();

    @Autowired
    MockMvc mvc;

    @Autowired
    JobService jobs;

    private final List<String> submitted = new ArrayList<>();

    @AfterEach
    void cancelSubmittedJobs() {
        submitted.forEach(jobs::cancel);
    }

    private ResultActions submit(String key, String prompt) throws Exception {
        ResultActions result = mvc.perform(post("/generate").contentType(MediaType.APPLICATION_JSON)
                .header(HttpHeaders.AUTHORIZATION, "Bearer " + key).content("{\"prompt\": \"" + prompt + "\"}"));
        if (result.andReturn().getResponse().getStatus() == 202) {
            submitted.add(JSON.readTree(result.andReturn().getResponse().getContentAsString()).get("id").asString());
        }
        return result;
    }

    @Test
    void aRequestWithoutAValidKeyIsA401ProblemAndMakesNoJob() throws Exception {
        int depth = jobs.queueDepth();
        mvc.perform(post("/generate").contentType(MediaType.APPLICATION_JSON).content("{\"prompt\": \"x\"}"))
                .andExpect(status().isUnauthorized())
                .andExpect(content().contentType(MediaType.APPLICATION_PROBLEM_JSON))
                .andExpect(header().string(HttpHeaders.WWW_AUTHENTICATE, "Bearer realm=\"diffusion-service\""))
                .andExpect(jsonPath("$.detail", containsString("Authorization: Bearer")));
        for (String authorization : List.of("Bearer wrong-key-0123456789abcdef", "Bearer " + ALICE + "x",
                "Bearer ", "Basic " + ALICE, ALICE)) {
            mvc.perform(post("/generate").contentType(MediaType.APPLICATION_JSON)
                            .header(HttpHeaders.AUTHORIZATION, authorization).content("{\"prompt\": \"x\"}"))
                    .andExpect(status().isUnauthorized())
                    .andExpect(content().contentType(MediaType.APPLICATION_PROBLEM_JSON));
        }
        mvc.perform(get("/models")).andExpect(status().isUnauthorized());
        mvc.perform(get("/jobs/some-id")).andExpect(status().isUnauthorized());
        assertThat(jobs.queueDepth()).isEqualTo(depth);

        mvc.perform(get("/models").header(HttpHeaders.AUTHORIZATION, "bearer " + ALICE))
                .andExpect(status().isOk());
    }

    @Test
    void openAiClientsGetA401InOpenAisShape() throws Exception {
        mvc.perform(post(OpenAiImagesController.PATH).contentType(MediaType.APPLICATION_JSON)
                        .header(HttpHeaders.AUTHORIZATION, "Bearer sk-not-a-key-of-this-service")
                        .content("{\"prompt\": \"x\"}"))
                .andExpect(status().isUnauthorized())
                .andExpect(content().contentType(MediaType.APPLICATION_JSON))
                .andExpect(jsonPath("$.error.code").value("invalid_api_key"))
                .andExpect(jsonPath("$.error.type").value("invalid_request_error"));
        mvc.perform(post(OpenAiImageEditsController.PATH).contentType("multipart/form-data; boundary=b")
                        .header(HttpHeaders.AUTHORIZATION, "Bearer sk-not-a-key-of-this-service")
                        .content("--b\r\nContent-Disposition: form-data; name=\"prompt\"\r\n\r\nx\r\n--b--\r\n"))
                .andExpect(status().isUnauthorized())
                .andExpect(content().contentType(MediaType.APPLICATION_JSON))
                .andExpect(jsonPath("$.error.code").value("invalid_api_key"));
    }

    @Test
    void anIdempotencyKeyIsPerApiKey() throws Exception {
        String[] ids = new String[2];
        int i = 0;
        for (String key : List.of(ALICE, BOB)) {
            String body = mvc.perform(post("/generate").contentType(MediaType.APPLICATION_JSON)
                            .header(HttpHeaders.AUTHORIZATION, "Bearer " + key).header("Idempotency-Key", "shared-key")
                            .content("{\"prompt\": \"same\"}"))
                    .andExpect(status().isAccepted())
                    .andExpect(header().doesNotExist("Idempotent-Replayed"))
                    .andReturn().getResponse().getContentAsString();
            ids[i++] = JSON.readTree(body).get("id").asString();
            submitted.add(ids[i - 1]);
        }
        assertThat(ids[0]).isNotEqualTo(ids[1]);
    }

    @Test
    void aJobIsVisibleOnlyToTheKeyThatMadeIt() throws Exception {
        String body = submit(ALICE, "alice's").andExpect(status().isAccepted())
                .andExpect(jsonPath("$.request.owner").doesNotExist())
                .andReturn().getResponse().getContentAsString();
        String id = JSON.readTree(body).get("id").asString();
        String bob = "Bearer " + BOB;

        mvc.perform(get("/jobs/" + id).header(HttpHeaders.AUTHORIZATION, "Bearer " + ALICE))
                .andExpect(status().isOk()).andExpect(jsonPath("$.id").value(id));
        String othersJob = mvc.perform(get("/jobs/" + id).header(HttpHeaders.AUTHORIZATION, bob))
                .andExpect(status().isNotFound())
                .andExpect(content().contentType(MediaType.APPLICATION_PROBLEM_JSON))
                .andReturn().getResponse().getContentAsString();
        String noJob = mvc.perform(get("/jobs/no-such-job").header(HttpHeaders.AUTHORIZATION, bob))
                .andReturn().getResponse().getContentAsString();
        assertThat(JSON.readTree(othersJob).get("detail").asString().replace(id, "ID"))
                .as("another key's job is answered exactly as a job that does not exist")
                .isEqualTo(JSON.readTree(noJob).get("detail").asString().replace("no-such-job", "ID"));
        mvc.perform(delete("/jobs/" + id).header(HttpHeaders.AUTHORIZATION, bob)).andExpect(status().isNotFound());
        mvc.perform(get("/jobs/" + id + "/images/0").header(HttpHeaders.AUTHORIZATION, bob))
                .andExpect(status().isNotFound());
        mvc.perform(get("/jobs/" + id + "/events").header(HttpHeaders.AUTHORIZATION, bob))
                .andExpect(status().isNotFound());
        assertThat(jobs.find(id).orElseThrow().status()).as("bob's DELETE did nothing").isEqualTo(JobStatus.QUEUED);

        mvc.perform(get("/jobs").header(HttpHeaders.AUTHORIZATION, bob))
                .andExpect(status().isOk())
                .andExpect(jsonPath("$.jobs[*].id", org.hamcrest.Matchers.not(org.hamcrest.Matchers.hasItem(id))));
        mvc.perform(get("/jobs").header(HttpHeaders.AUTHORIZATION, "Bearer " + ALICE))
                .andExpect(jsonPath("$.jobs[0].id").value(id))
                .andExpect(jsonPath("$.jobs[0].request.prompt").value("alice's"));

        mvc.perform(delete("/jobs/" + id).header(HttpHeaders.AUTHORIZATION, "Bearer " + ALICE))
                .andExpect(status().isOk()).andExpect(jsonPath("$.status").value("cancelled"));
    }

    @Test
    void eachKeyMayHaveItsLimitOfActiveJobs() throws Exception {
        submit(ALICE, "one").andExpect(status().isAccepted());
        submit(ALICE, "two").andExpect(status().isAccepted());

        submit(ALICE, "three").andExpect(status().isTooManyRequests())
                .andExpect(header().string(HttpHeaders.RETRY_AFTER, "5"))
                .andExpect(content().contentType(MediaType.APPLICATION_PROBLEM_JSON))
                .andExpect(jsonPath("$.detail", containsString("2 jobs queued or running")));
        mvc.perform(post(OpenAiImagesController.PATH).contentType(MediaType.APPLICATION_JSON)
                        .header(HttpHeaders.AUTHORIZATION, "Bearer " + ALICE).content("{\"prompt\": \"x\"}"))
                .andExpect(status().isTooManyRequests())
                .andExpect(header().string(HttpHeaders.RETRY_AFTER, "5"))
                .andExpect(jsonPath("$.error.code").value("rate_limit_exceeded"));
        submit(BOB, "bob's own").andExpect(status().isAccepted());

        jobs.cancel(submitted.get(0));
        submit(ALICE, "three again").andExpect(status().isAccepted());
    }

    @Test
    void healthMetricsApiDocsAndTheWebPageNeedNoKeyButNothingElseSlipsPast() throws Exception {
        ApiKeyFilter filter = new ApiKeyFilter(ApiKeys.parse(List.of(ALICE)),
                new RequestRateLimiter(0, Clock.systemUTC()), new ErrorResponses(List.of()));
        for (String open : List.of("/actuator/health/readiness", "/actuator/health/liveness", "/actuator/prometheus",
                "/v3/api-docs", "/v3/api-docs/swagger-config", "/swagger-ui.html", "/swagger-ui/index.html", "/",
                "/index.html", "/app.js", "/style.css")) {
            assertThat(filtered(filter, open)).as(open).isEqualTo(200);
        }
        for (String closed : List.of("/generate", "/jobs", "/jobs/x", "/jobs/x/events", "/models", "/schedulers",
                "/v1/images/generations", "/actuator/../generate", "/actuator/..;/generate",
                "/actuator/%2e%2e/generate",
                "/actuator;/../generate", "//generate", "/app.js/../generate", "/actuator\\..\\generate")) {
            assertThat(filtered(filter, closed)).as(closed).isEqualTo(401);
        }
    }

    /** The status after {@code filter} alone, with no key: 200 if it let the request through. */
    private static int filtered(ApiKeyFilter filter, String uri) throws Exception {
        MockHttpServletRequest request = new MockHttpServletRequest("GET", uri);
        MockHttpServletResponse response = new MockHttpServletResponse();
        filter.doFilter(request, response, new MockFilterChain());
        return response.getStatus();
    }
}
