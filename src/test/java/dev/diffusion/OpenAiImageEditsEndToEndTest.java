package dev.diffusion;

import static org.assertj.core.api.Assertions.assertThat;

import java.awt.image.BufferedImage;
import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.Socket;
import java.net.SocketException;
import java.net.SocketTimeoutException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Base64;
import java.util.HexFormat;
import java.util.List;
import java.util.Random;
import java.util.concurrent.atomic.AtomicLong;
import javax.imageio.ImageIO;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.springframework.boot.test.web.server.LocalServerPort;
import tools.jackson.databind.JsonNode;

/**
 * {@code POST /v1/images/edits} over HTTP with the multipart form OpenAI's Python SDK sends (httpx's encoding: the
 * text fields first, then the files, each file with a filename and a type guessed from it), through the real worker
 * and the test model: what the mask keeps comes back as it was, what it marks is repainted; and its refusals, in
 * OpenAI's shape, the size limits among them before the upload is read.
 */
@TinyModelService
class OpenAiImageEditsEndToEndTest {

    private static final String PATH = "/v1/images/edits";
    private static final int SIZE = 64;
    /** The area the masks mark for repainting: x and y from 16 to 47. */
    private static final int HOLE_FROM = 16;
    private static final int HOLE_TO = 48;
    /** What the Python SDK sends besides the body. */
    private static final String[] SDK_HEADERS = {
        "Authorization", "Bearer sk-proj-0123456789abcdef",
        "Accept", "application/json",
        "User-Agent", "OpenAI/Python 1.99.9",
        "X-Stainless-Lang", "python"};

    @LocalServerPort
    int port;

    private HttpTestClient http;
    private final HttpClient client = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(5)).build();

    @BeforeEach
    void client() {
        http = new HttpTestClient(port);
    }

    @Test
    void theMasksTransparentAreaIsRepaintedAndTheRestKeptToTheLevel() throws Exception {
        BufferedImage input = picture();

        // client.images.edit(model="dall-e-2", image=open("in.png", "rb"), mask=open("mask.png", "rb"),
        //                    prompt=..., n=2, size="64x64", response_format="b64_json", user="user-1234")
        HttpResponse<byte[]> response = send(new Form()
                .field("prompt", "a green square on a blue background").field("model", "dall-e-2").field("n", "2")
                .field("response_format", "b64_json").field("size", "64x64").field("user", "user-1234")
                .file("image", "in.png", png(input)).file("mask", "mask.png", png(maskWithHole())));

        assertThat(response.statusCode()).as(text(response)).isEqualTo(200);
        assertThat(response.headers().firstValue("Content-Type")).hasValue("application/json");
        JsonNode data = HttpTestClient.json(response).get("data");
        assertThat(data).hasSize(2);
        for (JsonNode image : data) {
            BufferedImage edited = ImageIO.read(new ByteArrayInputStream(
                    Base64.getDecoder().decode(image.get("b64_json").asString())));
            assertKeptOutsideAndRepaintedInside(input, edited);
        }
    }

    @Test
    void withoutAMaskTheImagesOwnTransparencyMarksTheEditAsImageArraysSendIt() throws Exception {
        BufferedImage input = picture();
        BufferedImage withHole = new BufferedImage(SIZE, SIZE, BufferedImage.TYPE_INT_ARGB);
        for (int y = 0; y < SIZE; y++) {
            for (int x = 0; x < SIZE; x++) {
                int alpha = inHole(x, y) ? 0 : 0xff;
                withHole.setRGB(x, y, alpha << 24 | input.getRGB(x, y) & 0xffffff);
            }
        }

        // the newer SDKs send image=[...] as image[]; response_format left out: url
        HttpResponse<byte[]> response = send(new Form().field("prompt", "a red circle").field("size", "64x64")
                .file("image[]", "in.png", png(withHole)));

        assertThat(response.statusCode()).as(text(response)).isEqualTo(200);
        String url = HttpTestClient.json(response).get("data").get(0).get("url").asString();
        assertThat(url).startsWith(http.url("/jobs/")).endsWith("/images/0");
        assertKeptOutsideAndRepaintedInside(input, ImageIO.read(new ByteArrayInputStream(http.get(url).body())));
        // the job ran as OpenAI's edits mean it: by the alpha channel, a hard mask, from pure noise
        JsonNode job = HttpTestClient.json(http.get(url.substring(0, url.indexOf("/images/"))));
        assertThat(job.get("request").get("mask_mode").asString()).isEqualTo("alpha");
        assertThat(job.get("request").get("mask_blur").asInt()).isZero();
        assertThat(job.get("request").get("strength").asDouble()).isEqualTo(1.0);
    }

    @Test
    void aPictureOfAnotherSizeIsResizedToTheSizeAskedForWithItsMask() throws Exception {
        BufferedImage large = new BufferedImage(2 * SIZE, 2 * SIZE, BufferedImage.TYPE_INT_RGB);
        BufferedImage largeMask = new BufferedImage(2 * SIZE, 2 * SIZE, BufferedImage.TYPE_INT_ARGB);
        for (int y = 0; y < 2 * SIZE; y++) {
            for (int x = 0; x < 2 * SIZE; x++) {
                large.setRGB(x, y, picture().getRGB(x / 2, y / 2));
                largeMask.setRGB(x, y, inHole(x / 2, y / 2) ? 0 : 0xff000000);
            }
        }

        HttpResponse<byte[]> response = send(new Form().field("prompt", "a blue square").field("size", "64x64")
                .field("response_format", "b64_json").file("image", "large.png", png(large))
                .file("mask", "mask.png", png(largeMask)));

        assertThat(response.statusCode()).as(text(response)).isEqualTo(200);
        BufferedImage edited = ImageIO.read(new ByteArrayInputStream(Base64.getDecoder().decode(
                HttpTestClient.json(response).get("data").get(0).get("b64_json").asString())));
        assertThat(edited.getWidth()).isEqualTo(SIZE);
        assertThat(edited.getHeight()).isEqualTo(SIZE);
        // a corner far from the hole is the picture, scaled down
        assertThat(largestChannelDifference(edited.getRGB(2, 2), picture().getRGB(2, 2))).isLessThanOrEqualTo(24);
        assertThat(largestChannelDifference(edited.getRGB(32, 32), picture().getRGB(32, 32))).isGreaterThan(2);
    }

    @Test
    void badUploadsAreInvalidRequestsInOpenAiShape() throws Exception {
        byte[] image = png(picture());
        byte[] mask = png(maskWithHole());
        BufferedImage small = new BufferedImage(32, 32, BufferedImage.TYPE_INT_ARGB);

        assertInvalid(new Form().field("prompt", "x").file("mask", "mask.png", mask), "image", "is required");
        assertInvalid(new Form().field("prompt", "x").file("image", "in.png", image)
                .file("mask", "mask.png", png(small)), "mask", "is 32×32 but image is 64×64");
        assertInvalid(new Form().field("prompt", "x").file("image", "in.jpg", encoded(picture(), "jpeg"))
                .file("mask", "mask.png", mask), "image", "must be a PNG file");
        assertInvalid(new Form().field("prompt", "x").file("image", "in.png", image), "image",
                "has no transparency, and no mask was sent");
        assertInvalid(new Form().field("prompt", "x").file("image", "in.png", image)
                .file("mask", "mask.png", image), "mask", "has no transparency");
        assertInvalid(new Form().field("prompt", "x").file("image[]", "a.png", image).file("image[]", "b.png", image)
                .file("mask", "mask.png", mask), "image", "takes one picture here, not 2");
        assertInvalid(new Form().field("prompt", "x").field("n", "two").file("image", "in.png", image)
                .file("mask", "mask.png", mask), "n", "must be a whole number");
        assertInvalid(new Form().field("prompt", "x").field("size", "4096x4096").file("image", "in.png", image)
                .file("mask", "mask.png", mask), "size", "1048576 pixels");

        HttpResponse<byte[]> json = http.post(PATH, "{\"prompt\": \"x\"}", SDK_HEADERS);
        assertThat(json.statusCode()).isEqualTo(415);
        assertThat(HttpTestClient.json(json).get("error").get("message").asString()).contains("multipart/form-data");
        byte[] unreadable = "--b\r\nContent-Disposition: form-data; name=\"prompt\"\r\n\r\nx".getBytes();
        HttpResponse<byte[]> truncated = http.post(PATH, unreadable, "multipart/form-data; boundary=b");
        assertThat(truncated.statusCode()).isEqualTo(400);
        assertThat(HttpTestClient.json(truncated).get("error").get("type").asString())
                .isEqualTo("invalid_request_error");
    }

    @Test
    void anUploadOverTheLimitIsRefusedByItsLengthBeforeItsBodyIsRead() throws Exception {
        // 64 MB announced, not one byte of it sent: the answer comes at once
        RawHttp.Answer answer = RawHttp.send(port, "POST " + PATH + " HTTP/1.1\r\nHost: localhost\r\n"
                + "Content-Type: multipart/form-data; boundary=b\r\nContent-Length: 67108864", new byte[0],
                Duration.ofSeconds(10));

        assertThat(answer.status()).isEqualTo(413);
        assertThat(answer.text()).containsIgnoringCase("Connection: close");
        JsonNode error = tools.jackson.databind.json.JsonMapper.builder().build().readTree(answer.body()).get("error");
        assertThat(error.get("type").asString()).isEqualTo("invalid_request_error");
        assertThat(error.get("message").asString()).contains("16777216 bytes");
    }

    @Test
    void aStreamedUploadIsRefusedOnceAFileOutgrowsTheLimitNotReadWhole() throws Exception {
        long endless = 256L << 20;
        try (Socket socket = new Socket("localhost", port)) {
            socket.setSoTimeout(60_000);
            OutputStream out = socket.getOutputStream();
            out.write(("POST " + PATH + " HTTP/1.1\r\nHost: localhost\r\nTransfer-Encoding: chunked\r\n"
                    + "Content-Type: multipart/form-data; boundary=b\r\n\r\n").getBytes(StandardCharsets.ISO_8859_1));
            chunk(out, ("--b\r\nContent-Disposition: form-data; name=\"prompt\"\r\n\r\nx\r\n--b\r\nContent-Disposition:"
                    + " form-data; name=\"image\"; filename=\"huge.png\"\r\nContent-Type: image/png\r\n\r\n")
                    .getBytes(StandardCharsets.ISO_8859_1));
            AtomicLong sent = new AtomicLong();
            Thread sender = new Thread(() -> {
                byte[] block = new byte[64 * 1024];
                try {
                    while (sent.get() < endless) {
                        chunk(out, block);
                        sent.addAndGet(block.length);
                    }
                } catch (IOException e) {
                    // the service closed the connection: no more is read
                }
            });
            sender.start();

            String answer = readAnswer(socket.getInputStream());
            sender.join(Duration.ofSeconds(60).toMillis());

            assertThat(answer).startsWith("HTTP/1.1 413");
            assertThat(answer).contains("\"type\":\"invalid_request_error\"").contains("exceeds");
            assertThat(sender.isAlive()).as("the service stopped reading").isFalse();
            assertThat(sent.get()).as("bytes the service took before it refused, of " + endless)
                    .isLessThan(48L << 20);
        }
    }

    @Test
    void theOpenApiDocumentDescribesTheFormSoThatSwaggerUiOffersFileFields() throws Exception {
        JsonNode docs = HttpTestClient.json(http.get("/v3/api-docs"));
        JsonNode body = docs.get("paths").get(PATH).get("post").get("requestBody").get("content");
        assertThat(body.has("multipart/form-data")).isTrue();
        JsonNode form = docs.get("components").get("schemas").get("OpenAiImageEditRequest").get("properties");
        assertThat(form.get("image").get("format").asString()).isEqualTo("binary");
        assertThat(form.get("mask").get("format").asString()).isEqualTo("binary");
        assertThat(form.has("response_format")).as("named as the form is sent").isTrue();
        assertThat(form.get("n").toString()).contains("integer");
    }

    private void assertInvalid(Form form, String param, String message) throws Exception {
        HttpResponse<byte[]> response = send(form);
        assertThat(response.statusCode()).as(text(response)).isEqualTo(400);
        assertThat(response.headers().firstValue("Content-Type")).hasValue("application/json");
        JsonNode error = HttpTestClient.json(response).get("error");
        assertThat(error.get("type").asString()).isEqualTo("invalid_request_error");
        assertThat(error.get("param").asString()).isEqualTo(param);
        assertThat(error.get("message").asString()).contains(message);
    }

    /**
     * Outside the hole (the mask not blurred) the input to the level; inside it most pixels changed, as the test
     * model's random weights paint something else than the gradients.
     */
    private static void assertKeptOutsideAndRepaintedInside(BufferedImage input, BufferedImage edited) {
        assertThat(edited.getWidth()).isEqualTo(SIZE);
        assertThat(edited.getHeight()).isEqualTo(SIZE);
        int changedInside = 0;
        for (int y = 0; y < SIZE; y++) {
            for (int x = 0; x < SIZE; x++) {
                int difference = largestChannelDifference(input.getRGB(x, y), edited.getRGB(x, y));
                if (inHole(x, y)) {
                    changedInside += difference > 2 ? 1 : 0;
                } else {
                    assertThat(difference).as("kept pixel (%d, %d)", x, y).isLessThanOrEqualTo(2);
                }
            }
        }
        int hole = (HOLE_TO - HOLE_FROM) * (HOLE_TO - HOLE_FROM);
        assertThat(changedInside).as("repainted pixels of " + hole).isGreaterThan(hole * 3 / 4);
    }

    private static int largestChannelDifference(int a, int b) {
        int largest = 0;
        for (int shift = 0; shift <= 16; shift += 8) {
            largest = Math.max(largest, Math.abs((a >> shift & 0xff) - (b >> shift & 0xff)));
        }
        return largest;
    }

    private static boolean inHole(int x, int y) {
        return x >= HOLE_FROM && x < HOLE_TO && y >= HOLE_FROM && y < HOLE_TO;
    }

    /** Gradients with seeded noise, so that a kept pixel cannot pass by chance. */
    private static BufferedImage picture() {
        Random random = new Random(21);
        BufferedImage picture = new BufferedImage(SIZE, SIZE, BufferedImage.TYPE_INT_RGB);
        for (int y = 0; y < SIZE; y++) {
            for (int x = 0; x < SIZE; x++) {
                int red = 4 * x;
                int green = 4 * y;
                int blue = 64 + random.nextInt(128);
                picture.setRGB(x, y, red << 16 | green << 8 | blue);
            }
        }
        return picture;
    }

    /** Opaque black but for the hole, fully transparent: as OpenAI's documentation draws a mask. */
    private static BufferedImage maskWithHole() {
        BufferedImage mask = new BufferedImage(SIZE, SIZE, BufferedImage.TYPE_INT_ARGB);
        for (int y = 0; y < SIZE; y++) {
            for (int x = 0; x < SIZE; x++) {
                mask.setRGB(x, y, inHole(x, y) ? 0 : 0xff000000);
            }
        }
        return mask;
    }

    private static byte[] png(BufferedImage picture) throws IOException {
        return encoded(picture, "png");
    }

    private static byte[] encoded(BufferedImage picture, String format) throws IOException {
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        assertThat(ImageIO.write(picture, format, out)).isTrue();
        return out.toByteArray();
    }

    private HttpResponse<byte[]> send(Form form) throws Exception {
        HttpRequest request = HttpRequest.newBuilder(URI.create(http.url(PATH))).timeout(Duration.ofMinutes(2))
                .headers(SDK_HEADERS).header("Content-Type", form.contentType())
                .POST(HttpRequest.BodyPublishers.ofByteArray(form.body())).build();
        return client.send(request, HttpResponse.BodyHandlers.ofByteArray());
    }

    private static String text(HttpResponse<byte[]> response) {
        return new String(response.body(), StandardCharsets.UTF_8);
    }

    private static void chunk(OutputStream out, byte[] data) throws IOException {
        out.write((Integer.toHexString(data.length) + "\r\n").getBytes(StandardCharsets.ISO_8859_1));
        out.write(data);
        out.write("\r\n".getBytes(StandardCharsets.ISO_8859_1));
        out.flush();
    }

    /** The response's head and its body (by its Content-Length), or what came before the connection ended. */
    private static String readAnswer(InputStream in) throws IOException {
        ByteArrayOutputStream answer = new ByteArrayOutputStream();
        byte[] buffer = new byte[8192];
        try {
            for (int n = in.read(buffer); n > 0; n = in.read(buffer)) {
                answer.write(buffer, 0, n);
                String text = answer.toString(StandardCharsets.UTF_8);
                int end = text.indexOf("\r\n\r\n");
                int length = text.toLowerCase().indexOf("content-length:");
                if (end > 0 && length > 0 && length < end) {
                    int value = Integer.parseInt(text.substring(length + 15, text.indexOf("\r\n", length)).trim());
                    if (answer.size() >= end + 4 + value) {
                        break;
                    }
                }
            }
        } catch (SocketException | SocketTimeoutException e) {
            // what came before is the answer
        }
        return answer.toString(StandardCharsets.UTF_8);
    }

    /**
     * A multipart/form-data body as httpx (under OpenAI's Python SDK) writes it: a random hex boundary, each text field
     * as a part with only its name, each file with its name, filename and the type its extension gives.
     */
    private static final class Form {

        private final String boundary = randomHex();
        private final List<byte[]> texts = new ArrayList<>();
        private final List<byte[]> files = new ArrayList<>();

        Form field(String name, String value) {
            texts.add(concat(("--" + boundary + "\r\nContent-Disposition: form-data; name=\"" + name + "\"\r\n\r\n"
                    + value + "\r\n").getBytes(StandardCharsets.UTF_8)));
            return this;
        }

        Form file(String name, String filename, byte[] content) {
            String type = filename.endsWith(".png") ? "image/png" : "image/jpeg";
            files.add(concat(("--" + boundary + "\r\nContent-Disposition: form-data; name=\"" + name
                    + "\"; filename=\"" + filename + "\"\r\nContent-Type: " + type + "\r\n\r\n")
                    .getBytes(StandardCharsets.UTF_8), content, "\r\n".getBytes(StandardCharsets.UTF_8)));
            return this;
        }

        private static String randomHex() {
            byte[] random = new byte[16];
            new Random().nextBytes(random);
            return HexFormat.of().formatHex(random);
        }

        String contentType() {
            return "multipart/form-data; boundary=" + boundary;
        }

        byte[] body() {
            List<byte[]> parts = new ArrayList<>(texts);
            parts.addAll(files);
            parts.add(("--" + boundary + "--\r\n").getBytes(StandardCharsets.UTF_8));
            return concat(parts.toArray(byte[][]::new));
        }

        private static byte[] concat(byte[]... pieces) {
            ByteArrayOutputStream out = new ByteArrayOutputStream();
            for (byte[] piece : pieces) {
                out.writeBytes(piece);
            }
            return out.toByteArray();
        }
    }
}
