package dev.diffusion.api.openai;

import com.fasterxml.jackson.annotation.JsonIgnoreProperties;
import io.swagger.v3.oas.annotations.media.Schema;
import tools.jackson.databind.PropertyNamingStrategies;
import tools.jackson.databind.annotation.JsonNaming;

/**
 * The body of {@code POST /v1/images/generations} as OpenAI's clients send it. Unlike {@code /generate}, fields this
 * service has no use for ({@code quality}, {@code style}, {@code user}, ...) are ignored rather than refused, since
 * the SDKs send them on their own.
 */
@JsonNaming(PropertyNamingStrategies.SnakeCaseStrategy.class)
@JsonIgnoreProperties(ignoreUnknown = true)
@Schema(description = "An OpenAI Images API generation request")
public record OpenAiImageRequest(
        @Schema(description = "What to draw", example = "a red circle on a blue background",
                requiredMode = Schema.RequiredMode.REQUIRED)
        String prompt,
        @Schema(description = "A served model (GET /models); any other name, such as dall-e-3, means the default "
                + "model", example = "dall-e-2")
        String model,
        @Schema(description = "Images to make", example = "1")
        Integer n,
        @Schema(description = "WIDTHxHEIGHT, or auto for the model's own size", example = "64x64")
        String size,
        @Schema(description = "url (default) or b64_json", example = "b64_json")
        String responseFormat,
        @Schema(description = "png (default), jpeg or webp", example = "png")
        String outputFormat,
        @Schema(description = "0..100 (default 100): jpeg's quality; webp: 100 lossless, lower the lossy quality",
                example = "100")
        Integer outputCompression) {
}
