package dev.diffusion.model;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import tools.jackson.core.JacksonException;
import tools.jackson.core.type.TypeReference;
import tools.jackson.databind.JsonNode;
import tools.jackson.databind.json.JsonMapper;

/**
 * A model on disk, laid out as the README's "Models" section describes: its index, scheduler config, tokenizer and
 * TorchScript parts.
 * Opening a folder reads and checks the small files only; {@link LoadedModel} loads the networks.
 */
public record ModelFolder(String name, Path dir, ModelIndex index, Map<String, Object> schedulerConfig) {

    static final String TEXT_ENCODER = "text_encoder";
    static final String UNET = "unet";
    static final String VAE_DECODER = "vae_decoder";
    static final String VAE_ENCODER = "vae_encoder";
    private static final List<String> REQUIRED_PARTS = List.of(TEXT_ENCODER, UNET, VAE_DECODER);
    private static final JsonMapper JSON = JsonMapper.builder().build();

    /** Reads the folder; the model's name is the folder's name. */
    public static ModelFolder open(Path dir) {
        Path index = dir.resolve("model_index.json");
        Path scheduler = dir.resolve("scheduler").resolve("scheduler_config.json");
        for (Path required : List.of(index, scheduler, dir.resolve("tokenizer").resolve("tokenizer.json"))) {
            requireFile(required);
        }
        for (String part : REQUIRED_PARTS) {
            requireFile(partFile(dir, part));
        }
        try {
            return new ModelFolder(dir.getFileName().toString(), dir, readIndex(JSON.readTree(index.toFile())),
                    JSON.readValue(scheduler.toFile(), new TypeReference<Map<String, Object>>() { }));
        } catch (JacksonException e) {
            throw new IllegalArgumentException("model folder " + dir + " has malformed JSON: " + e.getOriginalMessage(), e);
        }
    }

    public Path tokenizerFile() {
        return dir.resolve("tokenizer").resolve("tokenizer.json");
    }

    /** img2img needs the VAE encoder, which a model may leave out. */
    public boolean hasVaeEncoder() {
        return Files.isRegularFile(partFile(dir, VAE_ENCODER));
    }

    static Path partFile(Path dir, String part) {
        return dir.resolve(part).resolve("model.pt");
    }

    private static ModelIndex readIndex(JsonNode json) {
        return new ModelIndex(
                json.path("format").asString(null),
                required(json, "sample_size").asInt(),
                required(json, "vae_scale_factor").asInt(),
                json.path("latent_channels").asInt(4),
                required(json, "scaling_factor").asDouble(),
                json.path("max_text_length").asInt(77),
                json.path("pad_token_id").asLong(49407),
                json.path("default_steps").asInt(25),
                json.path("default_guidance_scale").asDouble(7.5),
                json.path("default_scheduler").asString("ddim"),
                strings(json, "unet_extra_inputs"),
                json.path("time_cond_proj_dim").asInt(0));
    }

    /** An optional list of strings; absent means empty. */
    private static List<String> strings(JsonNode json, String key) {
        JsonNode value = json.get(key);
        if (value == null || value.isNull()) {
            return List.of();
        }
        if (!value.isArray()) {
            throw new IllegalArgumentException("model_index.json '" + key + "' must be a list of strings");
        }
        List<String> out = new ArrayList<>();
        for (JsonNode item : value) {
            if (!item.isString()) {
                throw new IllegalArgumentException("model_index.json '" + key + "' must be a list of strings");
            }
            out.add(item.asString());
        }
        return out;
    }

    private static JsonNode required(JsonNode json, String key) {
        JsonNode value = json.get(key);
        if (value == null || !value.isNumber()) {
            throw new IllegalArgumentException("model_index.json needs a number '" + key + "'");
        }
        return value;
    }

    private static void requireFile(Path file) {
        if (!Files.isRegularFile(file)) {
            throw new IllegalArgumentException("model folder is missing " + file);
        }
    }

    /** The model folders directly under {@code modelsDir}: each sub-folder with a model_index.json. */
    public static List<Path> findIn(Path modelsDir) throws IOException {
        if (!Files.isDirectory(modelsDir)) {
            return List.of();
        }
        try (var children = Files.list(modelsDir)) {
            return children.filter(d -> Files.isRegularFile(d.resolve("model_index.json"))).sorted().toList();
        }
    }
}
