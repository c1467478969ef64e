package dev.diffusion.catalog;

import jakarta.validation.constraints.NotNull;
import java.nio.file.Path;
import java.util.List;
import org.springframework.boot.context.properties.ConfigurationProperties;
import org.springframework.boot.context.properties.bind.DefaultValue;
import org.springframework.validation.annotation.Validated;

/**
 * Which models are served.
 *
 * @param modelsDir    every model folder directly under it is served ({@code diffusion.models-dir})
 * @param bundledModel the model that ships with the project, served always and the default ({@code diffusion.bundled-model})
 * @param extraBundledModels further models that ship with the project, served beside it
 *                     ({@code diffusion.extra-bundled-models}; empty: the bundled model alone)
 */
@Validated
@ConfigurationProperties("diffusion")
public record ModelsProperties(
        @NotNull @DefaultValue("models") Path modelsDir,
        @NotNull @DefaultValue("src/main/models/shapes") Path bundledModel,
        @NotNull @DefaultValue("src/main/models/shapes-lcm") List<Path> extraBundledModels) {
}
