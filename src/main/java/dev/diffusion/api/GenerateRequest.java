package dev.diffusion.api;

import com.fasterxml.jackson.annotation.JsonInclude;
import io.swagger.v3.oas.annotations.media.Schema;
import tools.jackson.databind.PropertyNamingStrategies;
import tools.jackson.databind.annotation.JsonNaming;

/**
 * The body of {@code POST /generate}. Everything but the prompt may be left out; the job echoes it back with every
 * default resolved. Bounds are checked by {@link RequestResolver}, since several come from the served model and
 * from {@code diffusion.limits.*}.
 */
@JsonNaming(PropertyNamingStrategies.SnakeCaseStrategy.class)
@JsonInclude(JsonInclude.Include.NON_NULL)
@Schema(description = "A text-to-image (or, with init_image, image-to-image) generation")
public record GenerateRequest(
        @Schema(description = "What to draw, 1..2000 characters", example = "a large red circle on a blue background",
                requiredMode = Schema.RequiredMode.REQUIRED)
        String prompt,
        @Schema(description = "What to steer away from, up to 2000 characters", example = "")
        String negativePrompt,
        @Schema(description = "A served model (GET /models); default: the bundled model", example = "shapes")
        String model,
        @Schema(description = "Pixels; a multiple of 8 × the model's VAE factor; default: the model's sample size",
                example = "64")
        Integer width,
        @Schema(description = "Pixels, as width", example = "64")
        Integer height,
        @Schema(description = "Denoising steps, 1..diffusion.limits.max-steps; default: the model's", example = "20")
        Integer steps,
        @Schema(description = "Classifier-free guidance 0..30; <= 1 skips the unconditional pass", example = "5.0")
        Double guidanceScale,
        @Schema(description = "Guidance rescale 0..1 (Lin et al. 2023)", example = "0.0")
        Double guidanceRescale,
        @Schema(description = "A name from GET /schedulers; default: the model's", example = "dpmpp_2m")
        String scheduler,
        @Schema(description = "Image i uses seed + i; default: random (always reported)", example = "42")
        Long seed,
        @Schema(description = "Images to make, 1..diffusion.limits.max-images", example = "1")
        Integer numImages,
        @Schema(description = "DDIM's eta or TCD's gamma, 0..1 (ddim and tcd only)", example = "0.0")
        Double eta,
        @Schema(description = "img2img: the starting picture, base64 PNG or JPEG (a data: URL is fine); "
                + "resized to width × height")
        String initImage,
        @Schema(description = "img2img: how much of the schedule to run, 0..1 (default 0.8)", example = "0.8")
        Double strength) {
}
