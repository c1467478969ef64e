package dev.diffusion.deploy;

import static dev.diffusion.deploy.DeployFiles.ROOT;
import static org.assertj.core.api.Assertions.assertThat;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

/**
 * docker-compose.yml and the Prometheus and Grafana files it mounts: they parse, every file and volume they name
 * exists, and each names the others as they really are (services, mount points, the metrics path).
 */
class ComposeFilesTest {

    private final Map<String, Object> compose = DeployFiles.yamlMap(DeployFiles.COMPOSE);
    private final Map<String, Object> services = DeployFiles.map(compose.get("services"));

    /** Bind mounts of a service: where in the container → the file or folder on the host. */
    private Map<String, Path> bindMounts(String service) {
        Map<String, Path> mounts = new LinkedHashMap<>();
        Object volumes = DeployFiles.map(services.get(service)).get("volumes");
        if (volumes != null) {
            for (Object volume : DeployFiles.list(volumes)) {
                String[] parts = volume.toString().split(":");
                if (parts[0].startsWith(".") || parts[0].startsWith("/")) {
                    mounts.put(parts[1], ROOT.resolve(parts[0]).normalize());
                }
            }
        }
        return mounts;
    }

    @Test
    void everyFileAndVolumeComposeNamesExists() {
        Map<String, Object> namedVolumes = DeployFiles.map(compose.get("volumes"));
        List<String> missing = new ArrayList<>();
        services.forEach((name, definition) -> {
            Map<String, Object> service = DeployFiles.map(definition);
            if (service.containsKey("build")) {
                Object build = service.get("build");
                Path context = ROOT.resolve(build instanceof Map<?, ?> map ? map.get("context").toString()
                        : build.toString());
                if (!Files.isRegularFile(context.resolve("Dockerfile"))) {
                    missing.add(name + ": Dockerfile in " + context);
                }
            }
            bindMounts(name).forEach((target, source) -> {
                if (!Files.exists(source)) {
                    missing.add(name + ": " + source + " for " + target);
                }
            });
            Object volumes = service.get("volumes");
            if (volumes != null) {
                DeployFiles.list(volumes).stream().map(volume -> volume.toString().split(":")[0])
                        .filter(source -> !source.startsWith(".") && !source.startsWith("/"))
                        .filter(volume -> !namedVolumes.containsKey(volume))
                        .forEach(volume -> missing.add(name + ": undeclared volume " + volume));
            }
        });

        assertThat(bindMounts("prometheus")).isNotEmpty();
        assertThat(bindMounts("grafana")).isNotEmpty();
        assertThat(missing).isEmpty();
    }

    @Test
    void theScaleProfileRunsAnApiAndWorkersOnRedis() {
        for (String role : List.of("api", "worker")) {
            Map<String, Object> service = DeployFiles.map(services.get(role));
            assertThat(service.get("profiles")).as(role).isEqualTo(List.of("scale"));
            assertThat(DeployFiles.map(service.get("environment"))).as(role)
                    .containsEntry("DIFFUSION_ROLE", role)
                    .containsEntry("DIFFUSION_QUEUE_BACKEND", "redis")
                    .containsEntry("SPRING_DATA_REDIS_HOST", "redis");
        }
        assertThat(DeployFiles.map(services.get("redis")).get("profiles")).isEqualTo(List.of("scale"));
        assertThat(DeployFiles.map(services.get("diffusion"))).doesNotContainKey("profiles");
    }

    /** Prometheus scrapes the services Compose runs, at the service's metrics path, and loads mounted rules. */
    @Test
    void prometheusScrapesTheComposeServicesAndLoadsTheMountedRules() {
        Path config = bindMounts("prometheus").get("/etc/prometheus/prometheus.yml");
        Map<String, Object> prometheus = DeployFiles.yamlMap(config);
        List<String> scraped = new ArrayList<>();
        for (Object job : DeployFiles.list(prometheus.get("scrape_configs"))) {
            Map<String, Object> scrape = DeployFiles.map(job);
            assertThat(scrape).containsEntry("metrics_path", "/actuator/prometheus");
            for (String discovery : List.of("static_configs", "dns_sd_configs")) {
                if (scrape.containsKey(discovery)) {
                    for (Object entry : DeployFiles.list(scrape.get(discovery))) {
                        Map<String, Object> targets = DeployFiles.map(entry);
                        Object hosts = targets.containsKey("targets") ? targets.get("targets") : targets.get("names");
                        DeployFiles.list(hosts).forEach(host -> scraped.add(host.toString().split(":")[0]));
                    }
                }
            }
        }

        assertThat(scraped).containsExactlyInAnyOrder("diffusion", "api", "worker");
        assertThat(services).containsKeys(scraped.toArray(String[]::new));
        for (Object ruleFile : DeployFiles.list(prometheus.get("rule_files"))) {
            assertThat(bindMounts("prometheus")).as("rule file " + ruleFile).containsKey(ruleFile.toString());
        }
        assertThat(bindMounts("prometheus")).containsEntry("/etc/prometheus/alerts.yml", DeployFiles.ALERTS);
    }

    /** Grafana's data source is Compose's Prometheus; its dashboard provider reads the mounted dashboard. */
    @Test
    void grafanaIsProvisionedWithPrometheusAndTheDashboard() {
        Path provisioning = bindMounts("grafana").get("/etc/grafana/provisioning");
        Map<String, Object> datasources = DeployFiles.yamlMap(provisioning.resolve("datasources/prometheus.yml"));
        Map<String, Object> dashboards = DeployFiles.yamlMap(provisioning.resolve("dashboards/diffusion.yml"));

        Map<String, Object> datasource = DeployFiles.map(DeployFiles.list(datasources.get("datasources")).get(0));
        assertThat(datasource).containsEntry("type", "prometheus").containsEntry("url", "http://prometheus:9090");
        assertThat(services).containsKey("prometheus");
        Map<String, Object> provider = DeployFiles.map(DeployFiles.list(dashboards.get("providers")).get(0));
        String folder = DeployFiles.at(provider, "options.path").toString();
        assertThat(bindMounts("grafana")).containsEntry(folder + "/diffusion.json", DeployFiles.DASHBOARD);
    }

    /** The containers that answer requests take API keys from DIFFUSION_API_KEYS; unset, the API stays open. */
    @Test
    void theServicesThatAnswerRequestsTakeTheirApiKeysFromTheEnvironment() {
        for (String answering : List.of("diffusion", "api")) {
            Map<String, Object> environment = DeployFiles.map(DeployFiles.map(services.get(answering)).get("environment"));
            assertThat(environment).as(answering)
                    .containsEntry("DIFFUSION_SECURITY_API_KEYS", "${DIFFUSION_API_KEYS:-}");
        }
    }

    @Test
    void composeStopsContainersOnlyAfterTheGracefulShutdown() {
        Map<String, Object> application = DeployFiles.yamlMap(ROOT.resolve("src/main/resources/application.yml"));
        String shutdownPhase = DeployFiles.at(application, "spring.lifecycle.timeout-per-shutdown-phase").toString();
        String stopGrace = DeployFiles.map(services.get("diffusion")).get("stop_grace_period").toString();

        assertThat(seconds(stopGrace)).isGreaterThan(seconds(shutdownPhase));
    }

    private static long seconds(String duration) {
        assertThat(duration).matches("\\d+s");
        return Long.parseLong(duration.substring(0, duration.length() - 1));
    }
}
