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
 * A model on disk, laid out as the README's "Models" describes: its index, scheduler config, tokenizers and
 * TorchScript parts.
 * Opening a folder reads and checks the small files only; {@link LoadedModel} loads the networks.
 */
public record ModelFolder(String name, Path dir, ModelIndex index, Map<String, Object> schedulerConfig) {

    static final String TEXT_ENCODER = "text_encoder";
    static final String TEXT_ENCODER_2 = "text_encoder_2";
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
        if (Files.isRegularFile(partFile(dir, TEXT_ENCODER_2))) {
            requireFile(dir.resolve("tokenizer_2").resolve("tokenizer.json"));
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

    /** The tokenizers of the text encoders, in order: one, or two for SDXL's pair. */
    public List<Path> tokenizerFiles() {
        return hasSecondTextEncoder()
                ? List.of(tokenizerFile(), dir.resolve("tokenizer_2").resolve("tokenizer.json"))
                : List.of(tokenizerFile());
    }

    /** SDXL's second text encoder (with its own tokenizer), whose hidden states follow the first one's. */
    public boolean hasSecondTextEncoder() {
        return Files.isRegularFile(partFile(dir, TEXT_ENCODER_2));
    }

    /** img2img needs the VAE encoder, which a model may leave out. */
    public boolean hasVaeEncoder() {
        return Files.isRegularFile(partFile(dir, VAE_ENCODER));
    }

    static Path partFile(Path dir, String part) {
        return dir.resolve(part).resolve("model.pt");
    }

    private static ModelIndex readIndex(JsonNode json) {
        long padTokenId = json.path("pad_token_id").asLong(49407);
        int latentChannels = json.path("latent_channels").asInt(4);
        return new ModelIndex(
                json.path("format").asString(null),
                required(json, "sample_size").asInt(),
                required(json, "vae_scale_factor").asInt(),
                latentChannels,
                required(json, "scaling_factor").asDouble(),
                json.path("max_text_length").asInt(77),
                padTokenId,
                json.path("default_steps").asInt(25),
                json.path("default_guidance_scale").asDouble(7.5),
                json.path("default_scheduler").asString("ddim"),
                json.path("pad_token_id_2").asLong(padTokenId),
                TextCleaning.fromKey(json.path("text_cleaning").asString(TextCleaning.OPENAI.key())),
                json.path("force_zeros_for_empty_prompt").asBoolean(false),
                strings(json, "unet_extra_inputs").stream().map(UnetExtraInput::fromKey).toList(),
                strings(json, "time_ids").stream().map(TimeIdPart::fromKey).toList(),
                json.path("time_cond_proj_dim").asInt(0),
                json.path("unet_in_channels").asInt(latentChannels));
    }

    /** An optional list of strings; absent means empty. */
    private static List<String> strings(JsonNode json, String key) {
        JsonNode value = json.get(key);
        if (value == null || value.isNull()) {
            return List.of();
        }
        if (!value.isArray()) {
            throw new IllegalArgumentException("model_index.json " + key + " must be a list of names");
        }
        List<String> names = new ArrayList<>();
        for (JsonNode element : value) {
            if (!element.isString()) {
                throw new IllegalArgumentException("model_index.json " + key + " must be a list of names");
            }
            names.add(element.asString());
        }
        return names;
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
