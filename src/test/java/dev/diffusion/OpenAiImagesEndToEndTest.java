package dev.diffusion;

import static org.assertj.core.api.Assertions.assertThat;

import java.awt.image.BufferedImage;
import java.io.ByteArrayInputStream;
import java.net.http.HttpResponse;
import java.time.Instant;
import java.util.Base64;
import javax.imageio.ImageIO;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.springframework.boot.test.web.server.LocalServerPort;
import tools.jackson.databind.JsonNode;

/**
 * {@code POST /v1/images/generations} over HTTP as OpenAI's SDKs send it (their JSON body, a bearer key and their
 * identifying headers), through the real worker and the test model.
 */
@TinyModelService
class OpenAiImagesEndToEndTest {

    /** What the official Python SDK sends besides the body. */
    private static final String[] SDK_HEADERS = {
        "Authorization", "Bearer sk-proj-0123456789abcdef",
        "Accept", "application/json",
        "User-Agent", "OpenAI/Python 1.54.0",
        "X-Stainless-Lang", "python",
        "X-Stainless-Package-Version", "1.54.0"};

    @LocalServerPort
    int port;

    private HttpTestClient http;

    @BeforeEach
    void client() {
        http = new HttpTestClient(port);
    }

    @Test
    void b64JsonAnswersCarryThePngs() throws Exception {
        long before = Instant.now().getEpochSecond();

        HttpResponse<byte[]> response = http.post("/v1/images/generations", """
                {"model": "dall-e-2", "prompt": "a red circle on a blue background", "n": 2, "size": "64x64",
                 "response_format": "b64_json"}""", SDK_HEADERS);

        assertThat(response.statusCode()).isEqualTo(200);
        assertThat(response.headers().firstValue("Content-Type")).hasValue("application/json");
        JsonNode body = HttpTestClient.json(response);
        assertThat(body.get("created").asLong()).isBetween(before, Instant.now().getEpochSecond());
        assertThat(body.get("data")).hasSize(2);
        for (JsonNode image : body.get("data")) {
            assertThat(image.has("url")).isFalse();
            BufferedImage png = ImageIO.read(new ByteArrayInputStream(
                    Base64.getDecoder().decode(image.get("b64_json").asString())));
            assertThat(png.getWidth()).isEqualTo(64);
            assertThat(png.getHeight()).isEqualTo(64);
        }
    }

    @Test
    void urlAnswersLinkToTheJobsImagesOnThisServer() throws Exception {
        HttpResponse<byte[]> response = http.post("/v1/images/generations", """
                {"model": "dall-e-3", "prompt": "a small green square", "size": "64x32", "quality": "hd",
                 "style": "vivid", "user": "user-1234", "response_format": "url"}""", SDK_HEADERS);

        assertThat(response.statusCode()).isEqualTo(200);
        String url = HttpTestClient.json(response).get("data").get(0).get("url").asString();
        assertThat(url).startsWith(http.url("/jobs/")).endsWith("/images/0");
        HttpResponse<byte[]> image = http.get(url);
        assertThat(image.headers().firstValue("Content-Type")).hasValue("image/png");
        BufferedImage png = ImageIO.read(new ByteArrayInputStream(image.body()));
        assertThat(png.getWidth()).isEqualTo(64);
        assertThat(png.getHeight()).isEqualTo(32);
    }

    @Test
    void aSizeOverTheLimitIsAnInvalidRequestInOpenAiShape() throws Exception {
        HttpResponse<byte[]> response = http.post("/v1/images/generations", """
                {"model": "dall-e-3", "prompt": "a huge circle", "size": "2048x2048"}""", SDK_HEADERS);

        assertThat(response.statusCode()).isEqualTo(400);
        JsonNode error = HttpTestClient.json(response).get("error");
        assertThat(error.get("type").asString()).isEqualTo("invalid_request_error");
        assertThat(error.get("param").asString()).isEqualTo("size");
        assertThat(error.get("message").asString()).contains("1048576 pixels");
        assertThat(error.has("code")).isTrue();
    }
}
