package dev.diffusion.loadtest;

import static io.gatling.javaapi.core.CoreDsl.StringBody;
import static io.gatling.javaapi.core.CoreDsl.asLongAsDuring;
import static io.gatling.javaapi.core.CoreDsl.exec;
import static io.gatling.javaapi.core.CoreDsl.feed;
import static io.gatling.javaapi.core.CoreDsl.group;
import static io.gatling.javaapi.core.CoreDsl.jsonPath;
import static io.gatling.javaapi.core.CoreDsl.pause;
import static io.gatling.javaapi.http.HttpDsl.header;
import static io.gatling.javaapi.http.HttpDsl.http;
import static io.gatling.javaapi.http.HttpDsl.status;

import io.gatling.javaapi.core.ChainBuilder;
import io.gatling.javaapi.http.HttpProtocolBuilder;
import java.time.Duration;
import java.util.Iterator;
import java.util.Map;
import java.util.concurrent.ThreadLocalRandom;
import java.util.concurrent.atomic.AtomicLong;
import java.util.stream.Stream;

/**
 * What the simulations share: where the service is, and one job as an HTTP client lives it: {@code POST /generate}
 * (202 with {@code Location}, or 503 with {@code Retry-After} when the queue is full), then {@code GET /jobs/{id}}
 * every {@code pollInterval} until the job ends, which must be {@code succeeded}, then its PNG. The group "job" times
 * the whole of it. Settings come from system properties or, in brackets, environment variables:
 * {@code baseUrl} [BASE_URL] (http://localhost:8080), {@code steps} [STEPS] (the model's default when unset),
 * {@code pollInterval} [POLL_INTERVAL] (seconds, 0.5).
 */
final class Jobs {

    static final String BASE_URL = setting("baseUrl", "BASE_URL", "http://localhost:8080");
    private static final String STEPS = setting("steps", "STEPS", "");
    private static final Duration POLL_INTERVAL = Duration.ofMillis(Math.round(1000 * number("pollInterval",
            "POLL_INTERVAL", 0.5)));
    /** A job that runs longer than this is a failure of the test, not a reason to poll forever. */
    private static final Duration LONGEST_JOB = Duration.ofMinutes(10);
    private static final String[] PROMPTS = {
        "a red circle on a blue background", "a small green square", "a large yellow triangle on a purple background",
        "a white square on a black background", "a blue triangle", "an orange circle on a green background"};

    /** Submissions the service accepted (202) and refused because its queue was full (503). */
    static final AtomicLong ACCEPTED = new AtomicLong();
    static final AtomicLong REFUSED = new AtomicLong();

    private Jobs() {
    }

    static HttpProtocolBuilder protocol() {
        return http.baseUrl(BASE_URL).contentTypeHeader("application/json").acceptHeader("application/json")
                .userAgentHeader("diffusion-service-loadtest");
    }

    /**
     * One job from submission to its image. {@code queueFullAllowed}: a 503 with {@code Retry-After} is a correct
     * answer (the service sheds load) and ends this user; otherwise only 202 is.
     */
    static ChainBuilder job(boolean queueFullAllowed) {
        Integer[] accepted = queueFullAllowed ? new Integer[] {202, 503} : new Integer[] {202};
        return group("job").on(
                feed(requests()),
                exec(http("submit").post("/generate").body(StringBody(
                                "{\"prompt\": \"#{prompt}\", \"seed\": #{seed}" + (STEPS.isBlank() ? "" : ", \"steps\": "
                                        + Integer.parseInt(STEPS)) + "}"))
                        .check(status().in(accepted).saveAs("submitStatus"))
                        .checkIf((response, session) -> response.status().code() == 202)
                        .then(header("Location").saveAs("location"))
                        .checkIf((response, session) -> response.status().code() == 503)
                        .then(header("Retry-After").exists()))
                        .exitHereIfFailed(),
                exec(session -> {
                    (session.getInt("submitStatus") == 202 ? ACCEPTED : REFUSED).incrementAndGet();
                    return session.set("status", "queued");
                }).doIf(session -> session.getInt("submitStatus") == 202).then(
                        asLongAsDuring(session -> !session.getString("status").equals("succeeded"), LONGEST_JOB).on(
                                pause(POLL_INTERVAL),
                                exec(http("poll").get("#{location}").check(status().is(200),
                                        jsonPath("$.status").in("queued", "running", "succeeded").saveAs("status")))
                                        .exitHereIfFailed()),
                        exec(http("image").get("#{location}/images/0").header("Accept", "image/png")
                                .check(status().is(200), header("Content-Type").is("image/png")))));
    }

    /** Prints what the service answered to the submissions, after a simulation. */
    static void printSubmissions() {
        System.out.printf("submissions: %d accepted (202), %d refused with 503 + Retry-After (queue full)%n",
                ACCEPTED.get(), REFUSED.get());
    }

    private static Iterator<Map<String, Object>> requests() {
        return Stream.generate(() -> Map.<String, Object>of(
                "prompt", PROMPTS[ThreadLocalRandom.current().nextInt(PROMPTS.length)],
                "seed", ThreadLocalRandom.current().nextLong(1L << 31))).iterator();
    }

    static String setting(String property, String environment, String fallback) {
        String value = System.getProperty(property);
        if (value == null || value.isBlank()) {
            value = System.getenv(environment);
        }
        return value == null || value.isBlank() ? fallback : value;
    }

    static double number(String property, String environment, double fallback) {
        return Double.parseDouble(setting(property, environment, Double.toString(fallback)));
    }
}
