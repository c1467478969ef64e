package dev.diffusion;

import static org.assertj.core.api.Assertions.assertThat;

import java.awt.image.BufferedImage;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.math.BigInteger;
import java.net.http.HttpResponse;
import java.nio.charset.Charset;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.TimeUnit;
import javax.imageio.ImageIO;
import net.jqwik.api.Arbitraries;
import net.jqwik.api.Arbitrary;
import net.jqwik.api.Combinators;
import net.jqwik.api.Example;
import net.jqwik.api.ForAll;
import net.jqwik.api.Property;
import net.jqwik.api.Provide;
import net.jqwik.api.Tuple;
import net.jqwik.api.lifecycle.AfterContainer;
import net.jqwik.api.lifecycle.BeforeContainer;
import org.springframework.context.ConfigurableApplicationContext;
import tools.jackson.databind.JsonNode;
import tools.jackson.databind.json.JsonMapper;

/**
 * Hostile traffic against the whole service on the test model: property-based requests over the request space and
 * over raw bodies (malformed JSON, wrong types, huge numbers, deep nesting, odd encodings, unknown fields, oversized
 * bodies) never get a 5xx other than 503 with {@code Retry-After}, every refusal is a problem detail (or OpenAI's
 * error shape on its endpoint), and the service stays ready throughout; and a burst of ten times the queue's capacity
 * gets only 202 or 503, answered fast, with every accepted job ending.
 */
class HostileTrafficTest {

    private static final int QUEUE_CAPACITY = 4;
    private static final String MAX_BODY = "64KB";
    private static final int MAX_BODY_BYTES = 64 * 1024;
    private static final JsonMapper JSON = JsonMapper.builder().build();
    /** A field left out of a generated request (null is a value: JSON null). */
    private static final Object ABSENT = new Object();
    private static final String VALID = "{\"prompt\": \"a red circle\", \"steps\": 3, \"seed\": 1, \"width\": 64}";
    /** The test model's size, opaque but for a transparent square: an image OpenAI's edits take without a mask. */
    private static final byte[] PNG_WITH_HOLE = pngWithHole();

    private static ConfigurableApplicationContext service;
    private static HttpTestClient http;

    @BeforeContainer
    static void start() {
        // small bounds keep accepted jobs cheap; one job at a time keeps the queue the only buffer
        service = TinyModelApplication.start("diffusion.queue.capacity=" + QUEUE_CAPACITY,
                "diffusion.batching.max-batch-size=1", "diffusion.batching.max-groups=1",
                "diffusion.limits.max-steps=8",
                "diffusion.limits.max-images=2", "diffusion.limits.max-pixels=16384",
                "diffusion.limits.max-body-size=" + MAX_BODY, "diffusion.jobs.wait-timeout=20s");
        http = new HttpTestClient(TinyModelApplication.port(service));
        try {
            http.awaitCostsMeasured();  // sizes above the model's own are taken once it is measured
        } catch (Exception e) {
            throw new IllegalStateException(e);
        }
    }

    @AfterContainer
    static void stop() {
        service.close();
    }

    // ---- the request space ----

    @Property(tries = 250)
    void anyRequestIsAcceptedOrRefusedWithAProblem(@ForAll("requests") Map<String, Object> fields) throws Exception {
        HttpResponse<byte[]> response = http.post("/generate", JSON.writeValueAsString(fields));

        assertThat(response.statusCode()).as("%s", fields).isIn(202, 400, 503);
        assertAnswered(response, false);
        assertStillReady();
    }

    @Property(tries = 100)
    void aValidRequestIsNeverRefusedAsInvalid(@ForAll("validRequests") Map<String, Object> fields) throws Exception {
        HttpResponse<byte[]> response = http.post("/generate", JSON.writeValueAsString(fields));

        assertThat(response.statusCode()).as("%s: %s", fields, new String(response.body(), StandardCharsets.UTF_8))
                .isIn(202, 503);
        assertAnswered(response, false);
    }

    @Provide
    Arbitrary<Map<String, Object>> requests() {
        Arbitrary<Object> odd = oddValues();
        return fields(List.of(
                Map.entry("prompt", Arbitraries.frequencyOf(Tuple.of(6, texts()), Tuple.of(1, longTexts()),
                        Tuple.of(1, odd))),
                Map.entry("negative_prompt", Arbitraries.oneOf(texts(), longTexts(), odd)),
                Map.entry("width", Arbitraries.oneOf(sides(), Arbitraries.integers().map(Object.class::cast), odd)),
                Map.entry("height", Arbitraries.oneOf(sides(), odd)),
                Map.entry("steps", Arbitraries.oneOf(Arbitraries.integers().between(-3, 200).map(Object.class::cast),
                        odd)),
                Map.entry("guidance_scale", Arbitraries.oneOf(Arbitraries.doubles().between(-5, 40)
                        .map(Object.class::cast), odd)),
                Map.entry("scheduler", Arbitraries.oneOf(Arbitraries.of("ddim", "euler", "dpmpp_2m_karras", "nope",
                        "DDIM", "").map(Object.class::cast), odd)),
                Map.entry("seed", Arbitraries.oneOf(Arbitraries.longs().map(Object.class::cast), odd)),
                Map.entry("num_images", Arbitraries.oneOf(Arbitraries.integers().between(-1, 10)
                        .map(Object.class::cast), odd)),
                Map.entry("init_image", Arbitraries.oneOf(Arbitraries.of("", "not base64!", "aGVsbG8=",
                        "data:image/png;base64,").map(Object.class::cast), odd))), true);
    }

    @Property(tries = 150)
    void anyA1111RequestIsAnsweredOrRefusedWithAProblem(@ForAll("a1111Requests") Map<String, Object> fields,
            @ForAll boolean imageToImage) throws Exception {
        String path = imageToImage ? "/sdapi/v1/img2img" : "/sdapi/v1/txt2img";
        HttpResponse<byte[]> response = http.post(path, JSON.writeValueAsString(fields));

        assertThat(response.statusCode()).as("%s %s: %s", path, fields, new String(response.body(),
                StandardCharsets.UTF_8)).isIn(200, 400, 503);
        assertAnswered(response, false);
        assertStillReady();
    }

    @Provide
    Arbitrary<Map<String, Object>> a1111Requests() {
        Arbitrary<Object> odd = oddValues();
        return fields(List.of(
                Map.entry("prompt", Arbitraries.frequencyOf(Tuple.of(6, texts()), Tuple.of(1, odd))),
                Map.entry("width", Arbitraries.oneOf(sides(), odd)),
                Map.entry("steps", Arbitraries.oneOf(Arbitraries.integers().between(-3, 12).map(Object.class::cast),
                        odd)),
                Map.entry("cfg_scale", Arbitraries.oneOf(Arbitraries.doubles().between(-5, 40)
                        .map(Object.class::cast), odd)),
                Map.entry("sampler_name", Arbitraries.oneOf(Arbitraries.of("DPM++ 2M", "Euler a", "DPM++ 2M Karras",
                        "k_lms", "Restart", "DDIM Karras", "", " ").map(Object.class::cast), odd)),
                Map.entry("scheduler", Arbitraries.oneOf(Arbitraries.of("Karras", "Automatic", "normal", "Beta",
                        "").map(Object.class::cast), odd)),
                Map.entry("seed", Arbitraries.oneOf(Arbitraries.of(-1L, 0L, 4_294_967_295L, Long.MAX_VALUE)
                        .map(Object.class::cast), odd)),
                Map.entry("batch_size", Arbitraries.oneOf(Arbitraries.integers().between(-1, 3)
                        .map(Object.class::cast), odd)),
                Map.entry("n_iter", Arbitraries.oneOf(Arbitraries.of(0, 1, 2, Integer.MAX_VALUE)
                        .map(Object.class::cast), odd)),
                Map.entry("denoising_strength", Arbitraries.oneOf(Arbitraries.doubles().between(-1, 2)
                        .map(Object.class::cast), odd)),
                Map.entry("init_images", Arbitraries.oneOf(Arbitraries.of(List.of(), List.of("aGVsbG8="),
                        List.of("", ""), Collections.singletonList(null)).map(Object.class::cast), odd)),
                Map.entry("override_settings", Arbitraries.oneOf(Arbitraries.of(Map.of("sd_model_checkpoint", "tiny"),
                        Map.of("sd_model_checkpoint", "tiny [abc123]"), Map.of("sd_model_checkpoint", 5),
                        Map.of("sd_vae", "x")).map(Object.class::cast), odd)),
                Map.entry("enable_hr", Arbitraries.oneOf(Arbitraries.of(true, false).map(Object.class::cast), odd))),
                true);
    }

    @Provide
    Arbitrary<Map<String, Object>> validRequests() {
        return fields(List.of(
                Map.entry("prompt", texts().filter(text -> !((String) text).isBlank())),
                Map.entry("negative_prompt", texts()),
                Map.entry("width", Arbitraries.of(32, 64, 96, 128).map(Object.class::cast)),
                Map.entry("steps", Arbitraries.integers().between(1, 8).map(Object.class::cast)),
                Map.entry("guidance_scale", Arbitraries.doubles().between(0, 30).map(Object.class::cast)),
                Map.entry("scheduler", Arbitraries.of("ddim", "euler", "euler_ancestral", "dpmpp_2m_karras", "unipc",
                        "heun").map(Object.class::cast)),
                Map.entry("seed", Arbitraries.longs().map(Object.class::cast)),
                Map.entry("num_images", Arbitraries.integers().between(1, 2).map(Object.class::cast))), false);
    }

    /**
     * Requests of some of {@code fields}, the prompt always when {@code anything} is false; with {@code anything},
     * values may be JSON null and an unknown field may come along.
     */
    private static Arbitrary<Map<String, Object>> fields(List<Map.Entry<String, Arbitrary<Object>>> fields,
            boolean anything) {
        List<Arbitrary<Object>> values = new ArrayList<>();
        for (Map.Entry<String, Arbitrary<Object>> field : fields) {
            boolean required = !anything && field.getKey().equals("prompt");
            values.add(required ? field.getValue() : Arbitraries.oneOf(field.getValue(), Arbitraries.just(ABSENT)));
        }
        values.add(anything ? Arbitraries.oneOf(Arbitraries.just(ABSENT), Arbitraries.just(ABSENT),
                Arbitraries.strings().ofMaxLength(12).map(Object.class::cast)) : Arbitraries.just(ABSENT));
        return Combinators.combine(values).as(chosen -> {
            Map<String, Object> request = new LinkedHashMap<>();
            for (int i = 0; i < fields.size(); i++) {
                if (chosen.get(i) != ABSENT) {
                    request.put(fields.get(i).getKey(), chosen.get(i));
                }
            }
            if (chosen.get(fields.size()) instanceof String unknown) {
                request.put(unknown, 1);
            }
            return request;
        });
    }

    private static Arbitrary<Object> texts() {
        return Arbitraries.strings().all().ofMaxLength(60).map(Object.class::cast);
    }

    /** Around the prompt limit (2000 characters). */
    private static Arbitrary<Object> longTexts() {
        return Arbitraries.integers().between(1990, 2100).map(n -> (Object) "ä".repeat(n));
    }

    private static Arbitrary<Object> sides() {
        return Arbitraries.of(0, -64, 31, 32, 63, 64, 96, 128, 160, 4096, Integer.MAX_VALUE).map(Object.class::cast);
    }

    /** Values of the wrong type or beyond any range, and null. */
    private static Arbitrary<Object> oddValues() {
        return Arbitraries.of("x", "", "12", true, false, List.of(1, 2), Map.of("a", 1), List.of(),
                new BigInteger("9".repeat(40)), 1e308, -1e308, -0.0, 0.5, Long.MAX_VALUE, Long.MIN_VALUE,
                Integer.MIN_VALUE).injectNull(0.1);
    }

    // ---- raw bodies ----

    @Property(tries = 300)
    void noBodyBreaksTheService(@ForAll("bodies") byte[] body, @ForAll("contentTypes") Optional<String> contentType,
            @ForAll("endpoints") String endpoint) throws Exception {
        HttpResponse<byte[]> response = http.post(endpoint, body, contentType.orElse(null));

        String sent = new String(body, 0, Math.min(body.length, 200), StandardCharsets.ISO_8859_1);
        int status = response.statusCode();
        assertThat(status < 500 || status == 503).as("%s %s: %s gave %d", endpoint, contentType, sent, status)
                .isTrue();
        assertAnswered(response, endpoint.startsWith("/v1/"));
        assertStillReady();
    }

    @Provide
    Arbitrary<String> endpoints() {
        return Arbitraries.of("/generate", "/generate", "/v1/images/generations", "/v1/images/generations",
                "/v1/images/edits", "/sdapi/v1/txt2img", "/sdapi/v1/img2img", "/sdapi/v1/options", "/generate?wait=maybe", "/generate?wait=%ff", "/generate?%ff=1", "/generate?wait=true&wait=false");
    }

    @Provide
    Arbitrary<Optional<String>> contentTypes() {
        return Arbitraries.of("application/json", "application/json", "application/json; charset=UTF-8",
                "application/json; charset=UTF-16", "application/json; charset=bogus", "application/json;;;",
                "text/plain", "application/x-www-form-urlencoded", "multipart/form-data; boundary=x",
                "application/xml", "*/*", "application/*+json").map(Optional::of)
                .injectNull(0.05).map(type -> type == null ? Optional.empty() : type);
    }

    @Provide
    Arbitrary<byte[]> bodies() {
        return Arbitraries.oneOf(
                Arbitraries.bytes().array(byte[].class).ofMaxSize(300),
                mutations(),
                deepNesting(),
                hugeNumbers(),
                oddEncodings(),
                wrongShapes(),
                Arbitraries.integers().between(MAX_BODY_BYTES - 10, MAX_BODY_BYTES + 5000)
                        .map(size -> ("{\"prompt\": \"" + "x".repeat(size) + "\"}").getBytes(StandardCharsets.UTF_8)));
    }

    @Property(tries = 100)
    void noUploadBreaksTheEditsEndpoint(@ForAll("forms") byte[] form) throws Exception {
        HttpResponse<byte[]> response = http.post("/v1/images/edits", form, "multipart/form-data; boundary=x");

        String sent = new String(form, 0, Math.min(form.length, 300), StandardCharsets.ISO_8859_1);
        assertThat(response.statusCode()).as("%s gave %s", sent, new String(response.body(), StandardCharsets.UTF_8))
                .isIn(200, 400, 413, 503);
        assertAnswered(response, true);
        assertStillReady();
    }

    /**
     * Multipart forms (boundary x) of OpenAI's edits fields, and others, holding random bytes, a PNG with a
     * transparent hole, or text; sometimes cut off anywhere, sometimes with no closing boundary.
     */
    @Provide
    Arbitrary<byte[]> forms() {
        Arbitrary<String> names = Arbitraries.of("image", "image[]", "mask", "prompt", "n", "size", "response_format",
                "", "x\"y", "prompt\r\nX-Injected: 1");
        Arbitrary<byte[]> contents = Arbitraries.oneOf(Arbitraries.bytes().array(byte[].class).ofMaxSize(200),
                Arbitraries.just(PNG_WITH_HOLE), Arbitraries.of("a red circle", "2", "64x64", "b64_json", "-1", "",
                        "9".repeat(40), "--x", "\r\n--x--\r\n").map(text -> text.getBytes(StandardCharsets.UTF_8)));
        Arbitrary<byte[]> parts = Combinators.combine(names, contents, Arbitraries.of(true, false))
                .as((name, content, file) -> concat(("--x\r\nContent-Disposition: form-data; name=\"" + name + "\""
                        + (file ? "; filename=\"in.png\"\r\nContent-Type: image/png" : "") + "\r\n\r\n")
                        .getBytes(StandardCharsets.UTF_8), content, "\r\n".getBytes(StandardCharsets.UTF_8)));
        return Combinators.combine(parts.list().ofMaxSize(6), Arbitraries.integers().between(0, 2),
                Arbitraries.doubles().between(0, 1)).as((list, ending, cut) -> {
                    byte[] form = concat(concat(list.toArray(byte[][]::new)),
                            ending == 0 ? new byte[0] : "--x--\r\n".getBytes(StandardCharsets.UTF_8));
                    return ending == 2 ? Arrays.copyOf(form, (int) (form.length * cut)) : form;
                });
    }

    private static byte[] concat(byte[]... pieces) {
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        for (byte[] piece : pieces) {
            out.writeBytes(piece);
        }
        return out.toByteArray();
    }

    /** A valid body with one character deleted, inserted, replaced or cut off. */
    private static Arbitrary<byte[]> mutations() {
        return Combinators.combine(Arbitraries.integers().between(0, VALID.length() - 1),
                Arbitraries.chars().all(), Arbitraries.integers().between(0, 3)).as((at, c, edit) -> {
                    String body = switch (edit) {
                        case 0 -> VALID.substring(0, at) + VALID.substring(at + 1);
                        case 1 -> VALID.substring(0, at) + c + VALID.substring(at);
                        case 2 -> VALID.substring(0, at) + c + VALID.substring(at + 1);
                        default -> VALID.substring(0, at);
                    };
                    return body.getBytes(StandardCharsets.UTF_8);
                });
    }

    private static Arbitrary<byte[]> deepNesting() {
        return Combinators.combine(Arbitraries.integers().between(1, 20_000), Arbitraries.of("[", "{\"a\":"),
                Arbitraries.of(true, false)).as((depth, open, closed) -> {
                    String close = open.equals("[") ? "]" : "}";
                    String nested = open.repeat(depth) + "1" + (closed ? close.repeat(depth) : "");
                    return ("{\"prompt\": \"x\", \"user\": " + nested + "}").getBytes(StandardCharsets.UTF_8);
                });
    }

    private static Arbitrary<byte[]> hugeNumbers() {
        return Combinators.combine(Arbitraries.of("steps", "seed", "width", "guidance_scale", "n"),
                Arbitraries.oneOf(Arbitraries.integers().between(1, 5000).map("9"::repeat),
                        Arbitraries.of("1e999999999", "-1e-999999999", "9223372036854775808", "-0", "1.5e308",
                                "0x10", "NaN", "Infinity", "01", "1.", ".5", "+1")))
                .as((field, number) -> ("{\"prompt\": \"x\", \"" + field + "\": " + number + "}")
                        .getBytes(StandardCharsets.UTF_8));
    }

    /** The valid body in other encodings, and UTF-8 that is not valid. */
    private static Arbitrary<byte[]> oddEncodings() {
        byte[][] broken = {{(byte) 0xC0, (byte) 0x80}, {(byte) 0xFF}, {(byte) 0x80}, {(byte) 0xED, (byte) 0xA0,
            (byte) 0x80}, {(byte) 0xE9}, {0}, {(byte) 0xF4, (byte) 0x90, (byte) 0x80, (byte) 0x80}};
        return Arbitraries.oneOf(
                Arbitraries.of("UTF-16", "UTF-16LE", "UTF-16BE", "UTF-32", "ISO-8859-1")
                        .map(charset -> "{\"prompt\": \"é ü 猫 😀\"}".getBytes(Charset.forName(charset))),
                Arbitraries.of(broken).map(bytes -> {
                    byte[] start = "{\"prompt\": \"a".getBytes(StandardCharsets.UTF_8);
                    byte[] end = "b\"}".getBytes(StandardCharsets.UTF_8);
                    byte[] body = Arrays.copyOf(start, start.length + bytes.length + end.length);
                    System.arraycopy(bytes, 0, body, start.length, bytes.length);
                    System.arraycopy(end, 0, body, start.length + bytes.length, end.length);
                    return body;
                }),
                Arbitraries.of("{\"prompt\": \"\\ud800\"}", "{\"prompt\": \"\\u0000\"}", "{\"prompt\": \"\\uZZZZ\"}",
                        "\uFEFF" + VALID, "{\"prompt\": \"x\"}\u0000", "{\"prompt\": \"x\"} {\"prompt\": \"y\"}")
                        .map(text -> text.getBytes(StandardCharsets.UTF_8)));
    }

    private static Arbitrary<byte[]> wrongShapes() {
        return Arbitraries.of("", "null", "[]", "\"x\"", "1", "{}", "{\"prompt\": 1}", "{\"prompt\": [\"a\"]}",
                "{\"prompt\": {\"a\": 1}}", "{\"prompt\": \"x\", \"num_images\": \"2\"}",
                "{\"prompt\": \"x\", \"seed\": 1.5}", "{\"prompt\": \"x\", \"width\": true}",
                "{\"prompt\": \"x\", \"prompt\": \"y\"}", "{\"prompt\": \"x\", \"cfg\": 7}",
                "{\"prompt\": \"x\", \"init_image\": \"not base64!!\"}",
                "{\"prompt\": \"x\", \"init_image\": \"iVBORw0KGgoAAAANSUhEUgAAAAEAAAAB\"}",
                "{\"prompt\": \"x\", \"size\": \"99999x99999\"}", "{\"prompt\": \"x\", \"size\": \"-64x64\"}",
                "{\"prompt\": \"x\", \"response_format\": \"gif\"}", "{\"prompt\": \"x\", \"n\": -1}",
                "{'prompt': 'x'}", "{\"prompt\": \"x\",}", "{\"prompt\" \"x\"}", "prompt=x")
                .map(text -> text.getBytes(StandardCharsets.UTF_8));
    }

    @Example
    void aQueryStringThatCannotBeDecodedOrAFormBodyIsRefusedNotAServerError() throws Exception {
        HttpResponse<byte[]> query = http.post("/generate?wait=%ff", VALID);
        assertThat(query.statusCode()).isEqualTo(400);
        assertAnswered(query, false);
        HttpResponse<byte[]> form = http.post("/v1/images/generations", new byte[] {(byte) 0xff, '=', '1'},
                "application/x-www-form-urlencoded");
        assertThat(form.statusCode()).isEqualTo(415);
        assertAnswered(form, true);
    }

    // ---- overload ----

    @Example
    void aBurstOfTenTimesTheQueueGetsOnly202Or503AnsweredFastAndEveryAcceptedJobEnds() throws Exception {
        int burst = 10 * QUEUE_CAPACITY;
        String body = "{\"prompt\": \"a blue square\", \"steps\": 8, \"num_images\": 2, \"width\": 128, "
                + "\"height\": 128, \"guidance_scale\": 5}";
        ExecutorService clients = Executors.newFixedThreadPool(burst);
        List<CompletableFuture<Answer>> answers = new ArrayList<>();
        try {
            for (int i = 0; i < burst; i++) {
                answers.add(CompletableFuture.supplyAsync(() -> {
                    long began = System.nanoTime();
                    try {
                        HttpResponse<byte[]> response = http.post("/generate", body);
                        return new Answer(response, Duration.ofNanos(System.nanoTime() - began));
                    } catch (Exception e) {
                        throw new IllegalStateException(e);
                    }
                }, clients));
            }
            CompletableFuture.allOf(answers.toArray(CompletableFuture[]::new)).get(2, TimeUnit.MINUTES);
        } finally {
            clients.shutdownNow();
        }

        List<String> accepted = new ArrayList<>();
        int refused = 0;
        for (CompletableFuture<Answer> future : answers) {
            Answer answer = future.get();
            assertThat(answer.response().statusCode()).isIn(202, 503);
            // generous: a refusal or an acceptance is a few milliseconds of work, never a wait for the model
            assertThat(answer.took()).isLessThan(Duration.ofSeconds(2));
            assertAnswered(answer.response(), false);
            if (answer.response().statusCode() == 202) {
                accepted.add(HttpTestClient.json(answer.response()).get("id").asString());
            } else {
                refused++;
            }
        }
        assertThat(accepted).as("the queue took some").isNotEmpty();
        assertThat(refused).as("the queue refused some").isPositive();
        for (String id : accepted) {
            assertThat(awaitEnd(id).get("status").asString()).as("job %s", id).isEqualTo("succeeded");
        }
        assertStillReady();
    }

    private record Answer(HttpResponse<byte[]> response, Duration took) {
    }

    private static JsonNode awaitEnd(String id) throws Exception {
        long deadline = System.nanoTime() + TimeUnit.MINUTES.toNanos(2);
        while (true) {
            JsonNode job = HttpTestClient.json(http.get("/jobs/" + id));
            if (List.of("succeeded", "failed", "cancelled").contains(job.get("status").asString())) {
                return job;
            }
            assertThat(System.nanoTime()).as("job %s ends", id).isLessThan(deadline);
            Thread.sleep(50);
        }
    }

    /** A refusal is a problem detail (OpenAI's error shape on its endpoint); 503 says when to come back. */
    private static void assertAnswered(HttpResponse<byte[]> response, boolean openAi) {
        int status = response.statusCode();
        if (status < 400) {
            return;
        }
        String contentType = response.headers().firstValue("Content-Type").orElse("");
        JsonNode error = HttpTestClient.json(response);
        if (openAi) {
            assertThat(contentType).startsWith("application/json");
            assertThat(error.get("error").get("message").asString()).isNotBlank();
        } else {
            assertThat(contentType).isEqualTo("application/problem+json");
            assertThat(error.get("status").asInt()).isEqualTo(status);
        }
        if (status == 503) {
            assertThat(response.headers().firstValue("Retry-After")).isPresent();
        }
    }

    private static byte[] pngWithHole() {
        BufferedImage picture = new BufferedImage(64, 64, BufferedImage.TYPE_INT_ARGB);
        for (int y = 0; y < 64; y++) {
            for (int x = 0; x < 64; x++) {
                picture.setRGB(x, y, x >= 16 && x < 48 && y >= 16 && y < 48 ? 0 : 0xff2040c0);
            }
        }
        ByteArrayOutputStream png = new ByteArrayOutputStream();
        try {
            ImageIO.write(picture, "png", png);
        } catch (IOException e) {
            throw new IllegalStateException(e);
        }
        return png.toByteArray();
    }

    private static void assertStillReady() throws Exception {
        HttpResponse<byte[]> readiness = http.get("/actuator/health/readiness");
        assertThat(readiness.statusCode()).isEqualTo(200);
        assertThat(HttpTestClient.json(readiness).get("status").asString()).isEqualTo("UP");
    }
}
