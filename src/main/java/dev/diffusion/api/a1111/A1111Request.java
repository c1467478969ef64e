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
        @Schema(description = "img2img: echo init_images and mask back in parameters", example = "false")
        Boolean includeInitImages,
        @Schema(description = "img2img inpainting: which part of the picture to repaint, base64 PNG or JPEG (or a "
                + "data: URL) of init_images' pixel size, white repaints and black keeps (grey: partly); the fields "
                + "below apply only with it")
        String mask,
        @Schema(description = "Pixels (0..64) the mask is blurred by (default 4)", example = "4")
        Integer maskBlur,
        @Schema(description = "A1111's horizontal mask blur, used when mask_blur is missing; must equal mask_blur_y "
                + "here (default 4)", example = "4")
        Integer maskBlurX,
        @Schema(description = "A1111's vertical mask blur, used when mask_blur is missing; must equal mask_blur_x "
                + "here (default 4)", example = "4")
        Integer maskBlurY,
        @Schema(description = "What the masked area starts from: 0 fill (default; the colours around it), "
                + "1 original, 2 latent noise, 3 latent nothing", example = "1")
        Integer inpaintingFill,
        @Schema(description = "true (default): inpaint only the masked area, at full resolution (its bounding box "
                + "plus inpaint_full_res_padding, scaled to width × height and pasted back); false: the whole picture. "
                + "0 and 1 are read as false and true", example = "true")
        Boolean inpaintFullRes,
        @Schema(description = "Pixels (0..256) around the masked area's bounding box, with inpaint_full_res "
                + "(default 0)", example = "32")
        Integer inpaintFullResPadding,
        @Schema(description = "1 (or true): repaint what the mask keeps and keep what it repaints; 0 (default) "
                + "repaints the white of the mask", example = "0")
        Boolean inpaintingMaskInvert,
        @Schema(description = "Hires fix: refused when true, this service has no upscaler", example = "false")
        Boolean enableHr,
        @Schema(description = "false answers no images (default true)", example = "true")
        Boolean sendImages,
        @Schema(description = "Only sd_model_checkpoint is used: the model of this request (a title from "
                + "GET /sdapi/v1/sd-models); other settings are ignored",
                example = "{\"sd_model_checkpoint\": \"shapes\"}")
        Map<String, Object> overrideSettings) {

    /** This request as A1111 echoes it: without the init images and the mask unless asked for. */
    A1111Request echoed() {
        return Boolean.TRUE.equals(includeInitImages) ? this : new A1111Request(prompt, negativePrompt, seed, subseed,
                subseedStrength, steps, cfgScale, width, height, samplerName, samplerIndex, scheduler, batchSize, nIter,
                denoisingStrength, eta, null, includeInitImages, null, maskBlur, maskBlurX, maskBlurY, inpaintingFill,
                inpaintFullRes, inpaintFullResPadding, inpaintingMaskInvert, enableHr, sendImages, overrideSettings);
    }
}
