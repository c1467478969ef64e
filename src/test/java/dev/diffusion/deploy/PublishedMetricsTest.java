package dev.diffusion.deploy;

import static org.assertj.core.api.Assertions.assertThat;

import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeSet;
import java.util.regex.Pattern;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;
import org.springframework.boot.test.context.SpringBootTest;
import org.springframework.boot.test.web.server.LocalServerPort;
import tools.jackson.databind.JsonNode;
import tools.jackson.databind.json.JsonMapper;

/**
 * The dashboard's and the alerts' queries ask only for metrics the service really publishes: the running service
 * (the same context as ServiceEndToEndTest, so Spring reuses it) finishes a job and its Prometheus page is read.
 */
@SpringBootTest(webEnvironment = SpringBootTest.WebEnvironment.RANDOM_PORT, properties = {
    "diffusion.bundled-model=src/test/resources/models/tiny",
    "diffusion.extra-bundled-models=",
    "diffusion.models-dir=target/no-extra-models",
    "diffusion.workers.devices=cpu",
    "diffusion.workers.preview-every=2"})
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
class PublishedMetricsTest {

    private static final Set<String> PROMQL_KEYWORDS = Set.of("and", "or", "unless", "bool", "offset");
    private static final Pattern LABEL_MATCHERS = Pattern.compile("\\{[^}]*}");
    private static final Pattern RANGES = Pattern.compile("\\[[^]]*]");
    private static final Pattern LABEL_LISTS = Pattern.compile("\\b(?:by|without|on|ignoring|group_left|group_right)\\s*\\([^)]*\\)");
    private static final Pattern IDENTIFIER_NOT_CALLED = Pattern.compile("(?<![\\w:.])[A-Za-z_:][\\w:]*+(?!\\s*\\()");
    private static final Pattern LABEL_VALUES = Pattern.compile("label_values\\(\\s*([A-Za-z_:][A-Za-z0-9_:]*)");

    @LocalServerPort
    int port;

    private final HttpClient http = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(5)).build();
    private final Set<String> published = new TreeSet<>();

    private String send(HttpRequest.Builder request) throws Exception {
        HttpResponse<String> response = http.send(request.timeout(Duration.ofMinutes(2)).build(),
                HttpResponse.BodyHandlers.ofString());
        assertThat(response.statusCode()).isEqualTo(200);
        return response.body();
    }

    /** One finished job, so that the job timers and counters exist too; then every name on the scrape page. */
    @BeforeAll
    void scrapeAfterAJob() throws Exception {
        URI base = URI.create("http://localhost:" + port);
        send(HttpRequest.newBuilder(base.resolve("/generate?wait=true")).header("Content-Type", "application/json")
                .POST(HttpRequest.BodyPublishers.ofString("{\"prompt\": \"dashboard\", \"steps\": 2}")));
        for (String line : send(HttpRequest.newBuilder(base.resolve("/actuator/prometheus"))).split("\n")) {
            if (!line.isBlank() && !line.startsWith("#")) {
                published.add(line.split("[{ ]", 2)[0]);
            }
        }
    }

    /** The metric names a PromQL expression selects: identifiers that are neither functions, labels nor keywords. */
    static Set<String> metricNames(String promql) {
        String selectors = LABEL_LISTS.matcher(RANGES.matcher(LABEL_MATCHERS.matcher(promql).replaceAll(" "))
                .replaceAll(" ")).replaceAll(" ");
        Set<String> names = new TreeSet<>();
        IDENTIFIER_NOT_CALLED.matcher(selectors).results().map(match -> match.group())
                .filter(name -> !PROMQL_KEYWORDS.contains(name)).forEach(names::add);
        return names;
    }

    @Test
    void readsMetricNamesOutOfPromql() {
        assertThat(metricNames("histogram_quantile(0.95, sum by (le, batch_size) "
                + "(rate(diffusion_unet_step_seconds_bucket{job=~\"$job\"}[$__rate_interval])))"))
                .containsExactly("diffusion_unet_step_seconds_bucket");
        assertThat(metricNames("absent(a_total) unless on () (max(b{x=\"y\"}) == 0) and c offset 5m"))
                .containsExactly("a_total", "b", "c");
    }

    @Test
    void dashboardQueriesOnlyPublishedMetrics() {
        JsonNode dashboard = JsonMapper.builder().build().readTree(DeployFiles.read(DeployFiles.DASHBOARD));
        Set<String> queried = new TreeSet<>();
        for (JsonNode panel : dashboard.get("panels")) {
            assertThat(panel.get("targets")).as(panel.get("title").asString()).isNotEmpty();
            panel.get("targets").forEach(target -> queried.addAll(metricNames(target.get("expr").asString())));
        }
        dashboard.get("templating").get("list").forEach(variable -> LABEL_VALUES
                .matcher(variable.path("definition").asString("")).results()
                .forEach(match -> queried.add(match.group(1))));

        assertThat(queried).as("what the issue asks the dashboard to show").contains("diffusion_queue_depth",
                "diffusion_jobs_finished_total", "diffusion_job_duration_seconds_bucket",
                "diffusion_unet_step_seconds_bucket", "diffusion_batch_size_sum", "jvm_memory_used_bytes");
        assertThat(published).as("metrics the service publishes").containsAll(queried);
    }

    @Test
    void alertsQueryOnlyPublishedMetrics() {
        Map<String, Object> alerts = DeployFiles.yamlMap(DeployFiles.ALERTS);
        List<String> names = new ArrayList<>();
        Set<String> queried = new TreeSet<>();
        for (Object group : DeployFiles.list(alerts.get("groups"))) {
            for (Object rule : DeployFiles.list(DeployFiles.map(group).get("rules"))) {
                Map<String, Object> alert = DeployFiles.map(rule);
                names.add(alert.get("alert").toString());
                queried.addAll(metricNames(alert.get("expr").toString()));
            }
        }

        assertThat(names).containsExactly("DiffusionQueueBackedUp", "DiffusionJobFailuresRising",
                "DiffusionNoReadyWorkers");
        assertThat(queried).contains("diffusion_queue_depth", "diffusion_jobs_finished_total",
                "diffusion_workers_busy");
        assertThat(published).as("metrics the service publishes").containsAll(queried);
    }
}
