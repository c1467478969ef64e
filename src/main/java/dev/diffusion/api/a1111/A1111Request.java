package dev.diffusion.api.a1111;

import com.fasterxml.jackson.annotation.JsonIgnoreProperties;
import io.swagger.v3.oas.annotations.media.Schema;
import java.util.List;
import java.util.Map;
import tools.jackson.databind.PropertyNamingStrategies;
import tools.jackson.databind.annotation.JsonNaming;

/**
 * The body of {@code POST /sdapi/v1/txt2img} and {@code /sdapi/v1/img2img}, AUTOMATIC1111's fields that this service
 * uses or checks. A1111's clients send many more (hires fix, scripts, face restoration, their own connection
 * settings): any other field is accepted and ignored, as the README lists. Left-out fields take the model's defaults,
 * as on {@code /generate}. Echoed back as {@code parameters}, as A1111 does.
 */
@JsonNaming(PropertyNamingStrategies.SnakeCaseStrategy.class)
@JsonIgnoreProperties(ignoreUnknown = true)
@Schema(description = "An AUTOMATIC1111 txt2img or img2img request; fields not listed are accepted and ignored")
public record A1111Request(
        @Schema(description = "What to draw", example = "a red circle on a blue background",
                requiredMode = Schema.RequiredMode.REQUIRED)
        String prompt,
        @Schema(description = "What to steer away from", example = "")
        String negativePrompt,
        @Schema(description = "-1 (default) for a random seed; image i uses seed + i", example = "-1")
        Long seed,
        @Schema(description = "Accepted and ignored: no variation seeds here", example = "-1")
        Long subseed,
        @Schema(description = "Accepted and ignored", example = "0")
        Double subseedStrength,
        @Schema(description = "Sampling steps; default: the model's", example = "20")
        Integer steps,
        @Schema(description = "Classifier-free guidance scale; default: the model's", example = "7")
        Double cfgScale,
        @Schema(description = "Pixels; default: the model's sample size", example = "64")
        Integer width,
        @Schema(description = "Pixels; default: the model's sample size", example = "64")
        Integer height,
        @Schema(description = "A name from GET /sdapi/v1/samplers, an alias, a combined name such as "
                + "'DPM++ 2M Karras', or a name from GET /schedulers; default: the model's scheduler",
                example = "DPM++ 2M")
        String samplerName,
        @Schema(description = "A1111's older name for sampler_name, used when sampler_name is missing")
        String samplerIndex,
        @Schema(description = "Schedule type from GET /sdapi/v1/schedulers; default Automatic", example = "Karras")
        String scheduler,
        @Schema(description = "Images per batch; batch_size × n_iter images in all", example = "1")
        Integer batchSize,
        @Schema(description = "Batches; batch_size × n_iter images in all", example = "1")
        Integer nIter,
        @Schema(description = "img2img: how much of the schedule to run, 0..1 (default 0.75); txt2img ignores it "
                + "(it is the hires fix's)", example = "0.75")
        Double denoisingStrength,
        @Schema(description = "DDIM's eta (TCD's gamma); ignored by the other samplers", example = "0")
        Double eta,
        @Schema(description = "img2img: one starting picture, base64 PNG or JPEG or a data: URL")
        List<String> initImages,
        @Schema(description = "img2img: echo init_images back in parameters", example = "false")
        Boolean includeInitImages,
        @Schema(description = "Inpainting mask: refused, this service has no inpainting")
        String mask,
        @Schema(description = "Hires fix: refused when true, this service has no upscaler", example = "false")
        Boolean enableHr,
        @Schema(description = "false answers no images (default true)", example = "true")
        Boolean sendImages,
        @Schema(description = "Only sd_model_checkpoint is used: the model of this request (a title from "
                + "GET /sdapi/v1/sd-models); other settings are ignored",
                example = "{\"sd_model_checkpoint\": \"shapes\"}")
        Map<String, Object> overrideSettings) {

    /** This request as A1111 echoes it: without the init images unless asked for. */
    A1111Request echoed() {
        return Boolean.TRUE.equals(includeInitImages) ? this : new A1111Request(prompt, negativePrompt, seed, subseed,
                subseedStrength, steps, cfgScale, width, height, samplerName, samplerIndex, scheduler, batchSize, nIter,
                denoisingStrength, eta, null, includeInitImages, mask, enableHr, sendImages, overrideSettings);
    }
}
