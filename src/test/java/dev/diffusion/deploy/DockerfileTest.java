package dev.diffusion.deploy;

import static dev.diffusion.deploy.DeployFiles.ROOT;
import static org.assertj.core.api.Assertions.assertThat;

import java.nio.file.Files;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import javax.xml.parsers.DocumentBuilderFactory;
import org.junit.jupiter.api.Test;

/** The Dockerfile copies what exists and agrees with the build and the service's settings. */
class DockerfileTest {

    private static final Pattern ENV_ASSIGNMENT = Pattern.compile("([A-Z_]+)=(\"[^\"]*\"|\\S+)");

    /** The Dockerfile's instructions, continuation lines joined, comments dropped. */
    private final List<String> instructions = instructions();
    private final Map<String, Object> application =
            DeployFiles.yamlMap(ROOT.resolve("src/main/resources/application.yml"));

    private static List<String> instructions() {
        List<String> joined = new ArrayList<>();
        StringBuilder current = new StringBuilder();
        for (String line : DeployFiles.read(DeployFiles.DOCKERFILE).split("\n")) {
            if (line.isBlank() || line.stripLeading().startsWith("#")) {
                continue;
            }
            current.append(line.strip());
            if (line.endsWith("\\")) {
                current.setLength(current.length() - 1);
                current.append(' ');
            } else {
                joined.add(current.toString());
                current.setLength(0);
            }
        }
        return joined;
    }

    /** Sources of the COPY instructions that read the build context (not another stage). */
    private List<String> contextCopies() {
        List<String> sources = new ArrayList<>();
        instructions.stream().filter(line -> line.startsWith("COPY ") && !line.contains("--from="))
                .map(line -> line.substring(5).trim().split("\\s+"))
                .forEach(words -> sources.addAll(Arrays.asList(words).subList(0, words.length - 1)));
        return sources;
    }

    private Map<String, String> env() {
        Map<String, String> env = new LinkedHashMap<>();
        instructions.stream().filter(line -> line.startsWith("ENV ")).forEach(line -> {
            Matcher assignment = ENV_ASSIGNMENT.matcher(line.substring(4));
            while (assignment.find()) {
                env.put(assignment.group(1), assignment.group(2).replace("\"", ""));
            }
        });
        return env;
    }

    private String bundledModel() {
        return DeployFiles.at(application, "diffusion.bundled-model").toString();
    }

    private List<String> extraBundledModels() {
        return List.of(DeployFiles.at(application, "diffusion.extra-bundled-models").toString().split(","));
    }

    /** Everything copied from the build context exists, the bundled models (the folders the service is configured with) included. */
    @Test
    void copiesOnlyWhatExistsAndTheConfiguredBundledModel() {
        List<String> sources = contextCopies();

        assertThat(sources).contains("pom.xml", "mvnw", ".mvn/", "src/", bundledModel() + "/");
        assertThat(sources).containsAll(extraBundledModels().stream().map(model -> model + "/").toList());
        assertThat(sources.stream().filter(source -> !Files.exists(ROOT.resolve(source))))
                .as("files the Dockerfile copies but the project lacks").isEmpty();
    }

    @Test
    void theServiceFindsTheBundledModelWhereTheImagePutsIt() {
        String copy = instructions.stream().filter(line -> line.startsWith("COPY " + bundledModel() + "/"))
                .findFirst().orElseThrow();
        String destination = copy.substring(copy.lastIndexOf(' ') + 1);

        // Spring binds DIFFUSION_BUNDLEDMODEL to diffusion.bundled-model
        assertThat(env()).containsEntry("DIFFUSION_BUNDLEDMODEL", destination.replaceAll("/$", ""))
                .containsEntry("DIFFUSION_MODELSDIR", "/app/models");
        assertThat(instructions).contains("VOLUME /app/models");
        List<String> extraDestinations = extraBundledModels().stream().map(model -> {
            String line = instructions.stream().filter(l -> l.startsWith("COPY " + model + "/")).findFirst()
                    .orElseThrow();
            return line.substring(line.lastIndexOf(' ') + 1).replaceAll("/$", "");
        }).toList();
        assertThat(env()).containsEntry("DIFFUSION_EXTRABUNDLEDMODELS", String.join(",", extraDestinations));
    }

    /** The image runs as the app user: what it writes at run time (DJL's cache, kept cost measurements) is its own. */
    @Test
    void whatTheServiceWritesIsUnderAFolderTheAppUserOwns() {
        String chown = instructions.stream().filter(line -> line.contains("chown app ")).findFirst().orElseThrow();
        List<String> owned = List.of(chown.substring(chown.indexOf("chown app ") + "chown app ".length()).split(" "));
        for (String written : List.of("DJL_CACHE_DIR", "DIFFUSION_LIMITS_COSTCACHEDIR")) {
            assertThat(env()).containsKey(written);
            assertThat(owned).as(written).anyMatch(folder -> env().get(written).startsWith(folder));
        }
    }

    /** DJL must get the libtorch version the pom's JNI library was built for, in both flavors. */
    @Test
    void libtorchMatchesThePomsPytorchVersion() throws Exception {
        String pytorchVersion = DocumentBuilderFactory.newInstance().newDocumentBuilder()
                .parse(ROOT.resolve("pom.xml").toFile()).getElementsByTagName("pytorch.version").item(0)
                .getTextContent();
        String libtorchUrl = instructions.stream().filter(line -> line.startsWith("ARG LIBTORCH_URL="))
                .findFirst().orElseThrow();

        assertThat(env()).containsEntry("PYTORCH_VERSION", pytorchVersion)
                .containsEntry("PYTORCH_LIBRARY_PATH", "/opt/libtorch/lib")
                .containsEntry("PYTORCH_FLAVOR", "${FLAVOR}");
        assertThat(libtorchUrl).endsWith("/cu128/libtorch-cxx11-abi-shared-with-deps-" + pytorchVersion + "%2Bcu128.zip");
        assertThat(instructions).contains("ARG FLAVOR=cpu", "FROM runtime-${FLAVOR}");
        assertThat(instructions.stream().filter(line -> line.startsWith("FROM ")))
                .anyMatch(line -> line.endsWith(" AS runtime-cpu"))
                .anyMatch(line -> line.endsWith(" AS runtime-cu128"));
    }

    @Test
    void runsAsNonRootWithTheLibtorchEnvironmentAndAReadinessHealthCheck() {
        assertThat(env()).containsEntry("ONEDNN_MAX_CPU_ISA", "AVX2").containsEntry("ATEN_CPU_CAPABILITY", "avx2")
                .containsEntry("TORCH_CPP_LOG_LEVEL", "ERROR")
                .containsEntry("OPT_OUT_TRACKING", "true").containsEntry("DJL_OFFLINE", "true");
        // large buffers stay with jemalloc's ordinary arenas instead of going back to the kernel on every free
        assertThat(env()).containsEntry("LD_PRELOAD", "/usr/lib/x86_64-linux-gnu/libjemalloc.so.2");
        assertThat(env().get("MALLOC_CONF")).contains("oversize_threshold:0");
        assertThat(instructions).contains("USER 10001", "EXPOSE 8080");
        assertThat(instructions).anyMatch(line -> line.startsWith("HEALTHCHECK ")
                && line.contains("curl -fsS http://localhost:8080/actuator/health/readiness"));
    }
}
