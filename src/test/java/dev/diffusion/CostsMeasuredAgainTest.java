package dev.diffusion;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.within;

import dev.diffusion.catalog.MeasuredCosts;
import dev.diffusion.catalog.ModelCostBook;
import io.micrometer.core.instrument.MeterRegistry;
import io.micrometer.core.instrument.Timer;
import java.io.IOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Optional;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.springframework.context.ConfigurableApplicationContext;
import tools.jackson.databind.JsonNode;
import tools.jackson.databind.json.JsonMapper;
import tools.jackson.databind.node.ObjectNode;

/**
 * Costs kept from a probe that ran in one of the machine's slow spells are measured again: the service starts on a
 * cost cache whose UNet times are 50 times what the probe measured (as if it had run that slowly), serves jobs whose
 * calls all beat their predictions, and once idle measures the model again, publishes the lower costs and keeps them
 * for its next start.
 */
class CostsMeasuredAgainTest {

    private static final String MODEL = "tiny";
    private static final double INFLATION = 50;
    private static final JsonMapper JSON = JsonMapper.builder().build();

    @TempDir
    Path costs;

    @Test
    void costsThatTheCallsKeepBeatingAreMeasuredAgainAndReplaced() throws Exception {
        String[] properties = {"diffusion.limits.cost-cache-dir=" + costs, "diffusion.limits.probe-call-time=20ms"};
        double measured;
        try (ConfigurableApplicationContext service = TinyModelApplication.start(properties)) {
            measured = ownSizeCall(awaitCosts(service));
            assertThat(service.getBean(MeterRegistry.class).find("diffusion.cost.probe")
                    .tags("model", MODEL, "reason", "start", "costs", "used").timer())
                    .as("the start's probe is counted").isNotNull().extracting(Timer::count).isEqualTo(1L);
        }
        Path kept = keptFile();
        inflateUnetTimes(kept);

        try (ConfigurableApplicationContext service = TinyModelApplication.start(properties)) {
            double inflated = ownSizeCall(awaitCosts(service));
            assertThat(inflated).as("the service took the kept costs").isCloseTo(measured * INFLATION,
                    within(measured * INFLATION / 100));

            HttpClient http = HttpClient.newHttpClient();
            for (int seed = 1; seed <= 3; seed++) {  // 60 calls, each predicted at 50 times its time
                HttpResponse<String> response = http.send(HttpRequest.newBuilder(URI.create("http://localhost:"
                                + TinyModelApplication.port(service) + "/generate?wait=true"))
                        .header("Content-Type", "application/json").timeout(Duration.ofMinutes(2))
                        .POST(HttpRequest.BodyPublishers.ofString("{\"prompt\": \"a red circle\", \"steps\": 20, "
                                + "\"scheduler\": \"ddim\", \"seed\": " + seed + "}")).build(),
                        HttpResponse.BodyHandlers.ofString());
                assertThat(response.statusCode()).as(response.body()).isEqualTo(200);
            }

            ModelCostBook book = service.getBean(ModelCostBook.class);
            long deadline = System.nanoTime() + Duration.ofMinutes(2).toNanos();
            while (ownSizeCall(book.find(MODEL).orElseThrow()) == inflated && System.nanoTime() < deadline) {
                Thread.sleep(50);
            }
            double again = ownSizeCall(book.find(MODEL).orElseThrow());
            assertThat(again).as("measured again and published").isLessThan(inflated / 5);
            assertThat(unetSecondsFixed(kept)).as("kept for the next start")
                    .isEqualTo(book.find(MODEL).orElseThrow().costs().unetSeconds().fixed());
            MeterRegistry meters = service.getBean(MeterRegistry.class);
            assertThat(meters.find("diffusion.cost.probe").tags("model", MODEL, "reason", "calls_faster", "costs",
                    "used").timer()).as("the probe's run is counted").isNotNull()
                    .extracting(Timer::count).isEqualTo(1L);
            assertThat(meters.find("diffusion.cost.probe").tag("reason", "start").timer())
                    .as("this start measured nothing: it took the kept costs").extracting(Timer::count)
                    .isEqualTo(0L);
        }
    }

    private static MeasuredCosts awaitCosts(ConfigurableApplicationContext service) throws InterruptedException {
        ModelCostBook book = service.getBean(ModelCostBook.class);
        long deadline = System.nanoTime() + Duration.ofMinutes(2).toNanos();
        Optional<MeasuredCosts> found = book.find(MODEL);
        while (found.isEmpty() && System.nanoTime() < deadline) {
            Thread.sleep(50);
            found = book.find(MODEL);
        }
        return found.orElseThrow();
    }

    /** A guided image's UNet call at the test model's own size (64×64 pixels, a 16×16 latent). */
    private static double ownSizeCall(MeasuredCosts measured) {
        return measured.costs().unetSeconds().estimate(2, 16 * 16);
    }

    private Path keptFile() throws IOException {
        try (Stream<Path> files = Files.list(costs)) {
            List<Path> json = files.filter(file -> file.toString().endsWith(".json")).toList();
            assertThat(json).as("one model's costs kept").hasSize(1);
            return json.get(0);
        }
    }

    /** Multiplies the kept UNet time coefficients, as a probe in a slow spell would have measured them. */
    private static void inflateUnetTimes(Path kept) throws IOException {
        JsonNode entry = JSON.readTree(kept.toFile());
        ObjectNode seconds = (ObjectNode) entry.get("costs").get("unetSeconds");
        for (String term : List.of("fixed", "perRow", "perArea", "perAreaSquared")) {
            seconds.put(term, seconds.get(term).asDouble() * INFLATION);
        }
        Files.writeString(kept, JSON.writeValueAsString(entry));
    }

    private static double unetSecondsFixed(Path kept) throws IOException {
        return JSON.readTree(kept.toFile()).get("costs").get("unetSeconds").get("fixed").asDouble();
    }
}
