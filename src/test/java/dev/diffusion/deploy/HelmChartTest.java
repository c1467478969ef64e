package dev.diffusion.deploy;

import static dev.diffusion.deploy.DeployFiles.CHART;
import static org.assertj.core.api.Assertions.assertThat;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeSet;
import java.util.regex.Pattern;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.springframework.boot.convert.DurationStyle;

/**
 * What can be checked of the Helm chart without helm: its files parse, the templates read only values that
 * values.yaml defines, name only helpers and files that exist, and give pods time for the service's shutdown.
 */
class HelmChartTest {

    /** {@code .Values.a.b} and {@code $.Values.a.b}. */
    private static final Pattern VALUES_PATH = Pattern.compile("\\.Values((?:\\.[A-Za-z0-9_]+)+)");
    /** A Deployment's own settings, {@code $settings.a.b}, read from {@code .Values.<role>} for each role. */
    private static final Pattern SETTINGS_PATH = Pattern.compile("\\$settings((?:\\.[A-Za-z0-9_]+)+)");
    private static final Pattern ROLES = Pattern.compile("range \\$role := list((?:\\s+\"\\w+\")+)");
    private static final Pattern INCLUDE = Pattern.compile("include \"([\\w.-]+)\"");
    private static final Pattern ROLE_INCLUDE = Pattern.compile("include \\(printf \"([\\w.-]*%s[\\w.-]*)\" \\$role\\)");
    private static final Pattern DEFINE = Pattern.compile("define \"([\\w.-]+)\"");
    private static final Pattern FILES_GET = Pattern.compile("\\.Files\\.Get \"([^\"]+)\"");
    private static final Pattern TEMPLATE_FILE = Pattern.compile("print \\$\\.Template\\.BasePath \"/([^\"]+)\"");
    /** A line holding nothing but template actions, and actions inside a line. */
    private static final Pattern ACTION_LINE = Pattern.compile("(?m)^[ \\t]*\\{\\{.*?}}[ \\t]*(?:\\R|\\z)", Pattern.DOTALL);
    private static final Pattern ACTION = Pattern.compile("\\{\\{.*?}}", Pattern.DOTALL);
    private static final List<String> TOP_LEVEL_KEYS =
            List.of("apiVersion", "kind", "metadata", "spec", "data", "automountServiceAccountToken", "type");

    private final Map<String, Object> values = DeployFiles.yamlMap(CHART.resolve("values.yaml"));
    private final Map<Path, String> templates = templates();

    private static Map<Path, String> templates() {
        Map<Path, String> texts = new LinkedHashMap<>();
        try (Stream<Path> files = Files.list(CHART.resolve("templates"))) {
            files.sorted().forEach(file -> texts.put(file, DeployFiles.read(file)));
        } catch (IOException e) {
            throw new AssertionError("no templates folder in " + CHART, e);
        }
        return texts;
    }

    private List<String> roles() {
        Set<String> roles = new TreeSet<>();
        templates.values().forEach(text -> ROLES.matcher(text).results()
                .forEach(match -> roles.addAll(List.of(match.group(1).replace("\"", " ").trim().split("\\s+")))));
        return List.copyOf(roles);
    }

    @Test
    void chartDeclaresItsRedisDependencyBehindRedisEnabled() {
        Map<String, Object> chart = DeployFiles.yamlMap(CHART.resolve("Chart.yaml"));

        assertThat(chart).containsEntry("apiVersion", "v2").containsEntry("name", "diffusion-service")
                .containsKeys("version", "appVersion");
        assertThat(DeployFiles.list(chart.get("dependencies"))).singleElement()
                .satisfies(dependency -> assertThat(DeployFiles.map(dependency))
                        .containsEntry("name", "redis").containsEntry("condition", "redis.enabled"));
        assertThat(DeployFiles.has(values, "redis.enabled")).isTrue();
    }

    @Test
    void everyValueTheTemplatesReadIsDefinedInValuesYaml() {
        List<String> roles = roles();
        assertThat(roles).containsExactly("api", "worker");
        Set<String> read = new TreeSet<>();
        List<String> undefined = new ArrayList<>();
        templates.forEach((file, text) -> {
            VALUES_PATH.matcher(text).results().map(match -> match.group(1).substring(1)).forEach(path -> {
                read.add(path);
                if (!DeployFiles.has(values, path)) {
                    undefined.add(file.getFileName() + ": .Values." + path);
                }
            });
            SETTINGS_PATH.matcher(text).results().map(match -> match.group(1)).forEach(path -> roles.forEach(role -> {
                read.add(role + path);
                if (!DeployFiles.has(values, role + path)) {
                    undefined.add(file.getFileName() + ": $settings" + path + " of " + role);
                }
            }));
        });

        assertThat(read).as("values the templates read").hasSizeGreaterThan(40)
                .contains("api.autoscaling.enabled", "worker.autoscaling.stream", "worker.resources",
                        "redis.auth.enabled", "externalRedis.host", "models.persistence.existingClaim");
        assertThat(undefined).as("values read by the templates but missing from values.yaml").isEmpty();
    }

    @Test
    void templatesIncludeOnlyDefinedHelpersAndExistingFiles() {
        Set<String> defined = new TreeSet<>();
        templates.values().forEach(text -> DEFINE.matcher(text).results().forEach(match -> defined.add(match.group(1))));
        List<String> missing = new ArrayList<>();
        templates.forEach((file, text) -> {
            INCLUDE.matcher(text).results().map(match -> match.group(1))
                    .filter(name -> !defined.contains(name))
                    .forEach(name -> missing.add(file.getFileName() + ": helper " + name));
            ROLE_INCLUDE.matcher(text).results().map(match -> match.group(1)).forEach(pattern -> roles().stream()
                    .map(role -> pattern.formatted(role))
                    .filter(name -> !defined.contains(name))
                    .forEach(name -> missing.add(file.getFileName() + ": helper " + name)));
            FILES_GET.matcher(text).results().map(match -> match.group(1))
                    .filter(name -> !Files.isRegularFile(CHART.resolve(name)))
                    .forEach(name -> missing.add(file.getFileName() + ": file " + name));
            TEMPLATE_FILE.matcher(text).results().map(match -> match.group(1))
                    .filter(name -> !Files.isRegularFile(CHART.resolve("templates").resolve(name)))
                    .forEach(name -> missing.add(file.getFileName() + ": template " + name));
        });

        assertThat(defined).contains("diffusion-service.fullname", "diffusion-service.apiImage",
                "diffusion-service.workerImage");
        assertThat(missing).isEmpty();
    }

    /** helm renders the real thing; here the text around the template actions must already be YAML. */
    @Test
    void everyTemplateIsKubernetesYamlAroundItsActions() {
        Set<String> kinds = new TreeSet<>();
        templates.forEach((file, text) -> {
            String name = file.getFileName().toString();
            if (!name.endsWith(".yaml")) {
                return; // _helpers.tpl and NOTES.txt are not manifests
            }
            String blanked = ACTION.matcher(ACTION_LINE.matcher(text).replaceAll("")).replaceAll("TEMPLATED");
            List<Object> documents;
            try {
                documents = DeployFiles.yamlDocuments(blanked);
            } catch (RuntimeException e) {
                throw new AssertionError(name + " is not YAML around its template actions:\n" + blanked, e);
            }
            assertThat(documents).as(name).isNotEmpty();
            for (Object document : documents) {
                Map<String, Object> manifest = DeployFiles.map(document);
                // a line slipped to the left would show up here as a top-level key
                assertThat(manifest).as(name).containsKeys("apiVersion", "kind", "metadata");
                assertThat(manifest.keySet()).as(name).isSubsetOf(TOP_LEVEL_KEYS);
                kinds.add(manifest.get("kind").toString());
            }
        });

        assertThat(kinds).contains("Deployment", "Service", "Ingress", "HorizontalPodAutoscaler", "ScaledObject",
                "ServiceMonitor", "PrometheusRule", "PodDisruptionBudget", "ConfigMap", "PersistentVolumeClaim", "Secret");
    }

    /**
     * A pod must outlive the service's graceful shutdown: Spring's shutdown phase (in which running jobs get
     * diffusion.workers.shutdown-grace) must end before Kubernetes kills the pod.
     */
    @Test
    void podsGetTimeForTheGracefulShutdown() {
        Duration jobGrace = duration("config.diffusion.workers.shutdown-grace");
        Duration shutdownPhase = duration("config.spring.lifecycle.timeout-per-shutdown-phase");
        Duration preStop = Duration.ofSeconds(5);

        assertThat(jobGrace).isLessThan(shutdownPhase);
        for (String role : roles()) {
            Duration podGrace = Duration.ofSeconds(((Number) DeployFiles.at(values,
                    role + ".terminationGracePeriodSeconds")).longValue());
            assertThat(podGrace).as(role).isGreaterThan(shutdownPhase.plus(preStop));
        }
        assertThat(templates.get(CHART.resolve("templates/deployments.yaml")))
                .contains("command: [\"sleep\", \"" + preStop.toSeconds() + "\"]");
    }

    private Duration duration(String path) {
        return DurationStyle.detectAndParse(DeployFiles.at(values, path).toString());
    }

    @Test
    void probesUseTheActuatorHealthGroups() {
        assertThat(DeployFiles.at(values, "livenessProbe.httpGet.path")).isEqualTo("/actuator/health/liveness");
        assertThat(DeployFiles.at(values, "readinessProbe.httpGet.path")).isEqualTo("/actuator/health/readiness");
        for (String role : roles()) {
            assertThat(DeployFiles.at(values, role + ".startupProbe.httpGet.path")).as(role)
                    .isEqualTo("/actuator/health/liveness");
        }
    }

    /**
     * Keys are on by default: from a Secret the user names, else from one the chart makes with a random key and keeps
     * across upgrades, into the variable Spring binds to diffusion.security.api-keys. Running open takes an explicit
     * value.
     */
    @Test
    void apiKeysAreOnByDefaultFromTheUsersSecretOrAGeneratedOne() {
        assertThat(DeployFiles.at(values, "apiKeys.enabled")).isEqualTo(true);
        assertThat(DeployFiles.at(values, "apiKeys.existingSecret")).isEqualTo("");
        assertThat(templates.get(CHART.resolve("templates/deployments.yaml")))
                .contains("{{- if $.Values.apiKeys.enabled }}", "- name: DIFFUSION_SECURITY_API_KEYS",
                        "secretKeyRef:", "name: {{ include \"diffusion-service.apiKeysSecret\" $ }}",
                        "key: {{ $.Values.apiKeys.existingSecretKey }}");
        assertThat(templates.get(CHART.resolve("templates/secret-api-keys.yaml")))
                .startsWith("{{- if and .Values.apiKeys.enabled (not .Values.apiKeys.existingSecret) }}")
                .contains("lookup \"v1\" \"Secret\"", "randAlphaNum 40", "helm.sh/resource-policy: keep");
        assertThat(templates.get(CHART.resolve("templates/_helpers.tpl")))
                .contains(".Values.apiKeys.existingSecret | default (printf \"%s-api-keys\"");
    }

    @Test
    void workersAskForAGpuOnGpuNodes() {
        assertThat(DeployFiles.map(DeployFiles.at(values, "worker.resources.limits"))).containsEntry("nvidia.com/gpu", 1);
        assertThat(DeployFiles.map(DeployFiles.at(values, "worker.nodeSelector"))).isNotEmpty();
        assertThat(DeployFiles.list(DeployFiles.at(values, "worker.tolerations"))).isNotEmpty();
    }
}
