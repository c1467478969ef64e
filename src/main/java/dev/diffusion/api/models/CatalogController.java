package dev.diffusion.api.models;

import dev.diffusion.ServesApi;
import dev.diffusion.catalog.ModelCatalog;
import dev.diffusion.catalog.ModelInfo;
import io.swagger.v3.oas.annotations.Operation;
import io.swagger.v3.oas.annotations.tags.Tag;
import java.util.List;
import org.springframework.http.MediaType;
import org.springframework.web.bind.annotation.GetMapping;
import org.springframework.web.bind.annotation.RestController;
import tools.jackson.databind.PropertyNamingStrategies;
import tools.jackson.databind.annotation.JsonNaming;

/** What a request may name: {@code GET /models} and {@code GET /schedulers}. */
@ServesApi
@RestController
@Tag(name = "catalog", description = "Served models and schedulers")
public class CatalogController {

    private final ModelCatalog catalog;

    public CatalogController(ModelCatalog catalog) {
        this.catalog = catalog;
    }

    @JsonNaming(PropertyNamingStrategies.SnakeCaseStrategy.class)
    public record ModelView(String name, boolean isDefault, int sampleSize, int sizeMultiple, int defaultSteps,
            double defaultGuidanceScale, String defaultScheduler, boolean imageToImage) {
    }

    @GetMapping(path = "/models", produces = MediaType.APPLICATION_JSON_VALUE)
    @Operation(summary = "The served models and their defaults")
    public List<ModelView> models() {
        String defaultName = catalog.defaultModel().name();
        return catalog.models().stream().map(m -> view(m, m.name().equals(defaultName))).toList();
    }

    @GetMapping(path = "/schedulers", produces = MediaType.APPLICATION_JSON_VALUE)
    @Operation(summary = "Scheduler names a request may give")
    public List<String> schedulers() {
        return catalog.schedulers();
    }

    private static ModelView view(ModelInfo m, boolean isDefault) {
        return new ModelView(m.name(), isDefault, m.sampleSize(), m.sizeMultiple(), m.defaultSteps(),
                m.defaultGuidanceScale(), m.defaultScheduler(), m.imageToImage());
    }
}
