package dev.diffusion.api.models;

import dev.diffusion.ServesApi;
import dev.diffusion.catalog.Admission;
import dev.diffusion.catalog.MeasuredCosts;
import dev.diffusion.catalog.ModelCatalog;
import dev.diffusion.catalog.ModelCostBook;
import dev.diffusion.catalog.ModelInfo;
import io.swagger.v3.oas.annotations.Operation;
import io.swagger.v3.oas.annotations.media.Schema;
import io.swagger.v3.oas.annotations.tags.Tag;
import java.time.Clock;
import java.time.Instant;
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
    private final ModelCostBook costs;
    private final Clock clock;

    public CatalogController(ModelCatalog catalog, ModelCostBook costs, Clock clock) {
        this.catalog = catalog;
        this.clock = clock;
        this.costs = costs;
    }

    @JsonNaming(PropertyNamingStrategies.SnakeCaseStrategy.class)
    public record ModelView(String name, boolean isDefault, int sampleSize, int sizeMultiple,
            @Schema(description = "The steps the model recommends, taken when a request gives none") int defaultSteps,
            @Schema(description = "The guidance scale the model recommends, taken when a request gives none")
            double defaultGuidanceScale,
            @Schema(description = "The scheduler the model recommends, taken when a request gives none")
            String defaultScheduler,
            boolean imageToImage,
            @Schema(description = "The model takes the guidance scale as an input (guidance-distilled, e.g. LCM): one"
                    + " UNet pass per step whatever the guidance, and the negative prompt is not used")
            boolean guidanceEmbedding,
            @Schema(description = "The sizes a job of one image at the model's defaults may have; null until a "
                    + "worker has measured the model") AllowedSizes allowedSizes) {
    }

    /**
     * What a worker can do with the model within its budget, for one image at the model's default steps, guidance
     * and scheduler: any width × height up to {@code maxPixels} (multiples of {@code sizeMultiple}), such as
     * {@code maxSquare} × {@code maxSquare}. More images or steps allow less.
     */
    @JsonNaming(PropertyNamingStrategies.SnakeCaseStrategy.class)
    public record AllowedSizes(long maxPixels, int maxSquare, long maxNativeMemory, double maxJobSeconds,
            String measuredOn,
            @Schema(description = "How many times slower than measured the worker's calls run now (other load on "
                    + "its machine); a job whose estimate times this is over max_job_seconds is answered 503 until it "
                    + "eases; 1 when the worker has made no call for a few minutes. Under 1: faster than measured; "
                    + "a worker whose calls keep running under 0.8 of their costs measures the model again")
            double slowdown) {
    }

    @GetMapping(path = "/models", produces = MediaType.APPLICATION_JSON_VALUE)
    @Operation(summary = "The served models and their defaults")
    public List<ModelView> models() {
        String defaultName = catalog.defaultModel().name();
        return catalog.models().stream().map(m -> view(m, m.name().equals(defaultName),
                costs.find(m.name()).map(measured -> allowedSizes(m, measured, clock.instant())).orElse(null)))
                .toList();
    }

    @GetMapping(path = "/schedulers", produces = MediaType.APPLICATION_JSON_VALUE)
    @Operation(summary = "Scheduler names a request may give")
    public List<String> schedulers() {
        return catalog.schedulers();
    }

    private static ModelView view(ModelInfo m, boolean isDefault, AllowedSizes allowed) {
        return new ModelView(m.name(), isDefault, m.sampleSize(), m.sizeMultiple(), m.defaultSteps(),
                m.defaultGuidanceScale(), m.defaultScheduler(), m.imageToImage(), m.guidanceEmbedding(), allowed);
    }

    private static AllowedSizes allowedSizes(ModelInfo m, MeasuredCosts measured, Instant now) {
        Admission.Load oneImage = new Admission.Load(m.sampleSize(), m.sampleSize(), 1, m.defaultSteps(),
                m.defaultScheduler(), m.defaultGuidanceScale() > 1);
        return new AllowedSizes(Admission.maxPixels(m, measured, oneImage), Admission.largestSquare(m, measured,
                oneImage), measured.budgetBytes(), measured.maxJobSeconds(), measured.device(),
                measured.slowdownAt(now));
    }
}
