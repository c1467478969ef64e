package dev.diffusion.model;

import java.util.Arrays;

/**
 * How a model's tokenizer cleans a prompt before its BPE (model_index.json's {@code text_cleaning}): the tokenizers a
 * checkpoint may have been used with differ, and each gives other token ids for some prompts (HTML entities, control
 * characters, CJK text).
 */
public enum TextCleaning {
    /**
     * OpenAI CLIP's reference without ftfy: HTML entities unescaped (twice), runs of whitespace to one space, lower
     * case. The default, for folders written before the key existed.
     */
    OPENAI("openai"),
    /**
     * transformers' slow {@code CLIPTokenizer} when ftfy is not installed (the tokenizer that Stable Diffusion
     * checkpoints name, as diffusers runs it by default): its BasicTokenizer removes control characters, puts spaces
     * around CJK ideographs, applies NFC and lower case, and leaves HTML entities as they are.
     */
    TRANSFORMERS_SLOW("transformers_slow"),
    /** Only what tokenizer.json's own normalizer does, as transformers' {@code CLIPTokenizerFast}. */
    TOKENIZER_JSON("tokenizer_json");

    private final String key;

    TextCleaning(String key) {
        this.key = key;
    }

    /** The model_index.json value. */
    public String key() {
        return key;
    }

    public static TextCleaning fromKey(String key) {
        return Arrays.stream(values()).filter(v -> v.key.equals(key)).findFirst().orElseThrow(() ->
                new IllegalArgumentException("model_index.json text_cleaning must be one of "
                        + Arrays.stream(values()).map(TextCleaning::key).toList() + ", not " + key));
    }
}
