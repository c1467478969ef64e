package dev.diffusion.deploy;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import org.yaml.snakeyaml.LoaderOptions;
import org.yaml.snakeyaml.Yaml;
import org.yaml.snakeyaml.constructor.SafeConstructor;

/** The deployment files (Dockerfile, Compose, Prometheus, Grafana, Helm chart) as the tests read them. */
final class DeployFiles {

    /** Surefire runs in the project folder. */
    static final Path ROOT = Path.of("").toAbsolutePath();
    static final Path CHART = ROOT.resolve("helm/diffusion-service");
    static final Path COMPOSE = ROOT.resolve("docker-compose.yml");
    static final Path DOCKERFILE = ROOT.resolve("Dockerfile");
    static final Path ALERTS = CHART.resolve("files/alerts.yml");
    static final Path DASHBOARD = CHART.resolve("files/dashboard.json");

    private DeployFiles() {
    }

    static String read(Path file) {
        try {
            return Files.readString(file);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    /** Every document of a YAML file or text, parsed with SnakeYAML's safe constructor (merge keys resolved). */
    static List<Object> yamlDocuments(String text) {
        List<Object> documents = new ArrayList<>();
        new Yaml(new SafeConstructor(new LoaderOptions())).loadAll(text).forEach(documents::add);
        documents.removeIf(Objects::isNull);
        return documents;
    }

    static Map<String, Object> yamlMap(Path file) {
        List<Object> documents = yamlDocuments(read(file));
        if (documents.size() != 1 || !(documents.get(0) instanceof Map)) {
            throw new AssertionError(file + " is not one YAML mapping");
        }
        return map(documents.get(0));
    }

    @SuppressWarnings("unchecked")
    static Map<String, Object> map(Object value) {
        if (!(value instanceof Map)) {
            throw new AssertionError("not a mapping: " + value);
        }
        return (Map<String, Object>) value;
    }

    @SuppressWarnings("unchecked")
    static List<Object> list(Object value) {
        if (!(value instanceof List)) {
            throw new AssertionError("not a list: " + value);
        }
        return (List<Object>) value;
    }

    private static final Object MISSING = new Object();

    /** The value at a dotted path of nested mappings, or MISSING when a key on the way is not there. */
    private static Object lookup(Map<String, Object> root, String dottedPath) {
        Object value = root;
        for (String key : dottedPath.split("\\.")) {
            if (!(value instanceof Map<?, ?> mapping) || !mapping.containsKey(key)) {
                return MISSING;
            }
            value = mapping.get(key);
        }
        return value;
    }

    /** Whether every key of a dotted path exists in nested mappings (its value may be null or empty). */
    static boolean has(Map<String, Object> root, String dottedPath) {
        return lookup(root, dottedPath) != MISSING;
    }

    static Object at(Map<String, Object> root, String dottedPath) {
        Object value = lookup(root, dottedPath);
        if (value == MISSING) {
            throw new AssertionError("no " + dottedPath);
        }
        return value;
    }
}
