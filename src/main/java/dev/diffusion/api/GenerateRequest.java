package dev.diffusion.api;

import com.fasterxml.jackson.annotation.JsonInclude;
import io.swagger.v3.oas.annotations.media.ArraySchema;
import io.swagger.v3.oas.annotations.media.Schema;
import java.util.List;
import tools.jackson.databind.PropertyNamingStrategies;
import tools.jackson.databind.annotation.JsonNaming;

/**
 * The body of {@code POST /generate}. Everything but the prompt may be left out; the job echoes it back with every
 * default resolved. Bounds are checked by {@link RequestResolver}, since several come from the served model and
 * from {@code diffusion.limits.*}.
 */
@JsonNaming(PropertyNamingStrategies.SnakeCaseStrategy.class)
@JsonInclude(JsonInclude.Include.NON_NULL)
@Schema(description = "A text-to-image (or, with init_image, image-to-image; with mask or outpaint, inpainting) "
        + "generation")
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
        @Schema(description = "img2img: how much of the schedule to run, 0..1 (default 0.8; 1.0 with mask or "
                + "outpaint, as diffusers' inpainting)", example = "0.8")
        Double strength,
        @Schema(description = "Inpainting: which part of init_image to repaint, base64 PNG or JPEG (a data: URL is "
                + "fine) of the same pixel size as init_image; read as mask_mode says; both are resized together "
                + "to width × height")
        String mask,
        @Schema(description = "How to read mask: luminance (white = repaint, black = keep, grey = partial; "
                + "diffusers and AUTOMATIC1111) or alpha (transparent = repaint, opaque = keep; OpenAI's edits)",
                allowableValues = {"luminance", "alpha"}, example = "luminance")
        String maskMode,
        @Schema(description = "Repaint what the mask keeps and keep what it repaints (AUTOMATIC1111's "
                + "inpainting_mask_invert); default false", example = "false")
        Boolean maskInvert,
        @Schema(description = "Pixels 0..64 (default 4): the mask is blurred so (PIL's GaussianBlur, as diffusers) "
                + "before use, softening the seam", example = "4")
        Integer maskBlur,
        @Schema(description = "What the masked area starts from: original (default; diffusers), fill (the colours "
                + "around it), latent_noise (pure noise) or latent_nothing (zero latents); AUTOMATIC1111's "
                + "inpainting_fill 1, 0, 2, 3", allowableValues = {"original", "fill", "latent_noise",
                "latent_nothing"}, example = "original")
        String maskedContent,
        @Schema(description = "whole (default): generate the whole picture; masked: only the mask's bounding box "
                + "plus inpaint_padding, grown to the job's aspect ratio, scaled to width × height and pasted back "
                + "(AUTOMATIC1111's inpaint_full_res, diffusers' padding_mask_crop)",
                allowableValues = {"whole", "masked"}, example = "whole")
        String inpaintArea,
        @Schema(description = "inpaint_area masked: pixels 0..256 (default 32) around the mask's bounding box",
                example = "32")
        Integer inpaintPadding,
        @Schema(description = "Outpainting: extend init_image's canvas; width × height is the final canvas, the "
                + "image is resized to the inner area and the new border is filled and repainted")
        Outpaint outpaint,
        @Schema(description = "The images' format, as in OpenAI's Images API: png (default), jpeg or webp; each "
                + "carries the generation parameters where AUTOMATIC1111 writes them",
                allowableValues = {"png", "jpeg", "webp"}, example = "png")
        String outputFormat,
        @Schema(description = "0..100 (default 100), as in OpenAI's Images API: lower makes smaller files; jpeg: the "
                + "JPEG quality; webp: 100 is lossless, lower the lossy quality; png ignores it", example = "100")
        Integer outputCompression,
        @Schema(description = "A URL to POST the job to as it changes (Standard Webhooks: signed with "
                + "diffusion.webhooks.secret); http or https, its host public or in diffusion.webhooks.allowed-hosts",
                example = "https://example.com/hooks/diffusion")
        String webhook,
        @ArraySchema(arraySchema = @Schema(description = "Which changes to send to webhook; default: the endings "
                + "(succeeded, failed, cancelled)"), schema = @Schema(allowableValues = {"started", "progress",
                "succeeded", "failed", "cancelled"}))
        List<String> webhookEvents) {

    /**
     * How far to extend the canvas on each side, in pixels (multiples of the model's size step, at least one above
     * zero), and what the new border starts as before it is repainted.
     */
    @JsonNaming(PropertyNamingStrategies.SnakeCaseStrategy.class)
    @JsonInclude(JsonInclude.Include.NON_NULL)
    @Schema(description = "Canvas extension for outpainting")
    public record Outpaint(
            @Schema(description = "Pixels added on the left (a multiple of 8 × the model's VAE factor)", example = "0")
            Integer left,
            @Schema(description = "Pixels added on the right", example = "32")
            Integer right,
            @Schema(description = "Pixels added at the top", example = "0")
            Integer up,
            @Schema(description = "Pixels added at the bottom", example = "0")
            Integer down,
            @Schema(description = "What the new border starts as: edge (default; the nearest edge pixel's colour) or "
                    + "noise (seeded random colours)", allowableValues = {"edge", "noise"}, example = "edge")
            String fill) {
    }

    public static Builder builder() {
        return new Builder();
    }

    /** Named fields for a request built in code (another endpoint's request, a job's echo); unset fields are null. */
    public static final class Builder {

        private String prompt;
        private String negativePrompt;
        private String model;
        private Integer width;
        private Integer height;
        private Integer steps;
        private Double guidanceScale;
        private Double guidanceRescale;
        private String scheduler;
        private Long seed;
        private Integer numImages;
        private Double eta;
        private String initImage;
        private Double strength;
        private String mask;
        private String maskMode;
        private Boolean maskInvert;
        private Integer maskBlur;
        private String maskedContent;
        private String inpaintArea;
        private Integer inpaintPadding;
        private Outpaint outpaint;
        private String outputFormat;
        private Integer outputCompression;
        private String webhook;
        private List<String> webhookEvents;

        private Builder() {
        }

        public Builder prompt(String value) {
            prompt = value;
            return this;
        }

        public Builder negativePrompt(String value) {
            negativePrompt = value;
            return this;
        }

        public Builder model(String value) {
            model = value;
            return this;
        }

        public Builder width(Integer value) {
            width = value;
            return this;
        }

        public Builder height(Integer value) {
            height = value;
            return this;
        }

        public Builder steps(Integer value) {
            steps = value;
            return this;
        }

        public Builder guidanceScale(Double value) {
            guidanceScale = value;
            return this;
        }

        public Builder guidanceRescale(Double value) {
            guidanceRescale = value;
            return this;
        }

        public Builder scheduler(String value) {
            scheduler = value;
            return this;
        }

        public Builder seed(Long value) {
            seed = value;
            return this;
        }

        public Builder numImages(Integer value) {
            numImages = value;
            return this;
        }

        public Builder eta(Double value) {
            eta = value;
            return this;
        }

        public Builder initImage(String value) {
            initImage = value;
            return this;
        }

        public Builder strength(Double value) {
            strength = value;
            return this;
        }

        public Builder mask(String value) {
            mask = value;
            return this;
        }

        public Builder maskMode(String value) {
            maskMode = value;
            return this;
        }

        public Builder maskInvert(Boolean value) {
            maskInvert = value;
            return this;
        }

        public Builder maskBlur(Integer value) {
            maskBlur = value;
            return this;
        }

        public Builder maskedContent(String value) {
            maskedContent = value;
            return this;
        }

        public Builder inpaintArea(String value) {
            inpaintArea = value;
            return this;
        }

        public Builder inpaintPadding(Integer value) {
            inpaintPadding = value;
            return this;
        }

        public Builder outpaint(Outpaint value) {
            outpaint = value;
            return this;
        }

        public Builder outputFormat(String value) {
            outputFormat = value;
            return this;
        }

        public Builder outputCompression(Integer value) {
            outputCompression = value;
            return this;
        }

        public Builder webhook(String value) {
            webhook = value;
            return this;
        }

        public Builder webhookEvents(List<String> value) {
            webhookEvents = value;
            return this;
        }

        public GenerateRequest build() {
            return new GenerateRequest(prompt, negativePrompt, model, width, height, steps, guidanceScale,
                    guidanceRescale, scheduler, seed, numImages, eta, initImage, strength, mask, maskMode, maskInvert,
                    maskBlur, maskedContent, inpaintArea, inpaintPadding, outpaint, outputFormat, outputCompression,
                    webhook, webhookEvents);
        }
    }
}
