package dev.diffusion;

import java.util.ArrayList;
import java.util.List;
import org.springframework.boot.builder.SpringApplicationBuilder;
import org.springframework.context.ConfigurableApplicationContext;

/**
 * The whole service with the random-weight test model, started and stopped by a test itself: for tests that shut it
 * down, and for jqwik properties, which Spring's JUnit extension does not serve. {@link TinyModelService} is the same
 * service for {@code @SpringBootTest}.
 */
final class TinyModelApplication {

    static final String TINY_MODEL = "diffusion.bundled-model=src/test/resources/models/tiny";
    static final String NO_EXTRA_MODELS = "diffusion.models-dir=target/no-extra-models";
    /** The tiny model alone: not the project's other bundled models (BundledModelsTest serves those). */
    static final String NO_EXTRA_BUNDLED = "diffusion.extra-bundled-models=";
    static final String CPU = "diffusion.workers.devices=cpu";

    private TinyModelApplication() {
    }

    /** Starts the service on a free port; {@code properties} ({@code name=value}) override application.yml. */
    static ConfigurableApplicationContext start(String... properties) {
        List<String> args = new ArrayList<>();
        for (String property : List.of(TINY_MODEL, NO_EXTRA_BUNDLED, NO_EXTRA_MODELS, CPU,
                "server.port=0")) {
            args.add("--" + property);
        }
        for (String property : properties) {
            args.add("--" + property);
        }
        return new SpringApplicationBuilder(DiffusionServiceApplication.class).run(args.toArray(String[]::new));
    }

    static int port(ConfigurableApplicationContext service) {
        return Integer.parseInt(service.getEnvironment().getProperty("local.server.port"));
    }
}
