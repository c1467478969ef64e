package dev.diffusion.api.a1111;

import dev.diffusion.ServesApi;
import dev.diffusion.catalog.ModelCatalog;
import dev.diffusion.catalog.ModelInfo;
import dev.diffusion.web.FieldError;
import dev.diffusion.web.RequestValidationException;
import io.swagger.v3.oas.annotations.Operation;
import io.swagger.v3.oas.annotations.tags.Tag;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.regex.Pattern;
import org.springframework.http.MediaType;
import org.springframework.web.bind.annotation.GetMapping;
import org.springframework.web.bind.annotation.PostMapping;
import org.springframework.web.bind.annotation.RequestBody;
import org.springframework.web.bind.annotation.RestController;
import tools.jackson.databind.PropertyNamingStrategies;
import tools.jackson.databind.annotation.JsonNaming;

/**
 * What AUTOMATIC1111's clients read at start-up to fill their menus: models, samplers, schedule types, options, and
 * the lists of add-ons this service does not have (VAEs, LoRAs, embeddings, upscalers), answered empty so that
 * clients that ask for them keep working.
 */
@ServesApi
@RestController
@Tag(name = "automatic1111")
public class A1111CatalogController {

    private static final String BASE = A1111GenerationController.BASE;
    /** A1111 titles a checkpoint "name [short hash]"; a client may send a title with such a suffix. */
    private static final Pattern HASH_SUFFIX = Pattern.compile("\\s*\\[[0-9a-fA-F]*]$");

    private final ModelCatalog catalog;
    private final SamplerNames samplers;

    public A1111CatalogController(ModelCatalog catalog) {
        this.catalog = catalog;
        this.samplers = new SamplerNames(catalog.schedulers());
    }

    /** A checkpoint as {@code GET /sdapi/v1/sd-models} lists it; the title is the model's name here. */
    @JsonNaming(PropertyNamingStrategies.SnakeCaseStrategy.class)
    public record SdModel(String title, String modelName, String hash, String sha256, String filename,
            String config) {
    }

    /** A served model by the title a client got from {@code sd-models}, with or without a hash suffix. */
    static Optional<ModelInfo> modelByTitle(ModelCatalog catalog, String title) {
        return catalog.find(HASH_SUFFIX.matcher(title.strip()).replaceFirst(""));
    }

    @GetMapping(path = BASE + "/sd-models", produces = MediaType.APPLICATION_JSON_VALUE)
    @Operation(summary = "The served models as A1111 checkpoints (title = model name; no hashes or files)")
    public List<SdModel> sdModels() {
        return catalog.models().stream().map(m -> new SdModel(m.name(), m.name(), null, null, m.name(), null)).toList();
    }

    @GetMapping(path = BASE + "/samplers", produces = MediaType.APPLICATION_JSON_VALUE)
    @Operation(summary = "Samplers by A1111's names, with A1111's aliases and this service's scheduler name")
    public List<SamplerNames.Sampler> samplers() {
        return samplers.samplers();
    }

    @GetMapping(path = BASE + "/schedulers", produces = MediaType.APPLICATION_JSON_VALUE)
    @Operation(summary = "Schedule types: Automatic (the sampler's default), Uniform (the model's own timestep "
            + "spacing; also taken for Normal, Simple, SGM Uniform and DDIM) and Karras")
    public List<SamplerNames.ScheduleType> schedulers() {
        return SamplerNames.scheduleTypes();
    }

    @GetMapping(path = BASE + "/options", produces = MediaType.APPLICATION_JSON_VALUE)
    @Operation(summary = "The settings A1111's clients read: sd_model_checkpoint is the default model")
    public Map<String, Object> options() {
        Map<String, Object> options = new LinkedHashMap<>();
        options.put("sd_model_checkpoint", catalog.defaultModel().name());
        options.put("sd_checkpoint_hash", null);
        options.put("sd_vae", "Automatic");
        options.put("CLIP_stop_at_last_layers", 1);
        options.put("samples_format", "png");
        options.put("eta_noise_seed_delta", 0);
        options.put("return_grid", false);
        return options;
    }

    @PostMapping(path = BASE + "/options", consumes = MediaType.APPLICATION_JSON_VALUE)
    @Operation(summary = "Accepted and not applied: settings here are per request",
            description = "A1111 switches its one loaded model for everyone; this service serves all its models at "
                    + "once, so a request picks its own with override_settings.sd_model_checkpoint and GET options "
                    + "keeps naming the default model. An unknown sd_model_checkpoint is refused with 400; anything "
                    + "else is answered as A1111 does, with null.")
    public Object setOptions(@RequestBody Map<String, Object> options) {
        Object checkpoint = options.get("sd_model_checkpoint");
        if (checkpoint != null && modelByTitle(catalog, checkpoint.toString()).isEmpty()) {
            throw new RequestValidationException(List.of(new FieldError("sd_model_checkpoint", "unknown model '"
                    + checkpoint + "'; see GET /sdapi/v1/sd-models")));
        }
        return null;
    }

    @GetMapping(path = {BASE + "/sd-vae", BASE + "/loras", BASE + "/upscalers", BASE + "/latent-upscale-modes"},
            produces = MediaType.APPLICATION_JSON_VALUE)
    @Operation(summary = "Empty: no separate VAEs, LoRAs or upscalers here")
    public List<Object> none() {
        return List.of();
    }

    @GetMapping(path = BASE + "/embeddings", produces = MediaType.APPLICATION_JSON_VALUE)
    @Operation(summary = "Empty: no textual-inversion embeddings here")
    public Map<String, Map<String, Object>> embeddings() {
        return Map.of("loaded", Map.of(), "skipped", Map.of());
    }
}
