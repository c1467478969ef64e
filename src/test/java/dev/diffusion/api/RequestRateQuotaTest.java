package dev.diffusion.api;

import static org.hamcrest.Matchers.matchesPattern;
import static org.springframework.test.web.servlet.request.MockMvcRequestBuilders.get;
import static org.springframework.test.web.servlet.request.MockMvcRequestBuilders.post;
import static org.springframework.test.web.servlet.result.MockMvcResultMatchers.content;
import static org.springframework.test.web.servlet.result.MockMvcResultMatchers.header;
import static org.springframework.test.web.servlet.result.MockMvcResultMatchers.jsonPath;
import static org.springframework.test.web.servlet.result.MockMvcResultMatchers.status;

import dev.diffusion.api.generate.GenerationController;
import dev.diffusion.api.models.CatalogController;
import dev.diffusion.api.openai.OpenAiImagesController;
import org.junit.jupiter.api.Test;
import org.springframework.beans.factory.annotation.Autowired;
import org.springframework.boot.webmvc.test.autoconfigure.WebMvcTest;
import org.springframework.context.annotation.Import;
import org.springframework.http.HttpHeaders;
import org.springframework.http.MediaType;
import org.springframework.test.context.TestPropertySource;
import org.springframework.test.web.servlet.MockMvc;

/** A key's requests per minute, over HTTP: 429 with Retry-After past them, each key counted on its own. */
@WebMvcTest(controllers = {GenerationController.class, OpenAiImagesController.class, CatalogController.class})
@Import({ApiLayer.class, GenerationControllerTest.Catalog.class})
@TestPropertySource(properties = {
    "diffusion.security.api-keys=alice:alice-key-0123456789abcdef,bob:bob-key-0123456789abcdef",
    "diffusion.security.quotas.requests-per-minute=3"})
class RequestRateQuotaTest {

    @Autowired
    MockMvc mvc;

    @Test
    void aKeyPastItsRequestsPerMinuteGets429WithRetryAfter() throws Exception {
        // 3 a minute: the next request may go 20 s after the first (a little less as the test's own time passes)
        String alice = "Bearer alice-key-0123456789abcdef";
        for (int i = 0; i < 3; i++) {
            mvc.perform(get("/models").header(HttpHeaders.AUTHORIZATION, alice)).andExpect(status().isOk());
        }

        mvc.perform(get("/models").header(HttpHeaders.AUTHORIZATION, alice))
                .andExpect(status().isTooManyRequests())
                .andExpect(header().string(HttpHeaders.RETRY_AFTER, matchesPattern("1?[1-9]|10|20")))
                .andExpect(content().contentType(MediaType.APPLICATION_PROBLEM_JSON))
                .andExpect(jsonPath("$.detail").value("this API key may make 3 requests per minute"));
        mvc.perform(post(OpenAiImagesController.PATH).contentType(MediaType.APPLICATION_JSON)
                        .header(HttpHeaders.AUTHORIZATION, alice).content("{\"prompt\": \"x\"}"))
                .andExpect(status().isTooManyRequests())
                .andExpect(header().exists(HttpHeaders.RETRY_AFTER))
                .andExpect(jsonPath("$.error.code").value("rate_limit_exceeded"));
        mvc.perform(get("/models").header(HttpHeaders.AUTHORIZATION, "Bearer bob-key-0123456789abcdef"))
                .andExpect(status().isOk());
    }
}
