package dev.diffusion.api.openai;

import dev.diffusion.ServesApi;
import dev.diffusion.api.GenerateRequest;
import dev.diffusion.api.IdempotentSubmissions;
import dev.diffusion.image.ImageDecoder;
import dev.diffusion.jobs.GenerationSpec;
import dev.diffusion.web.FieldError;
import dev.diffusion.web.RequestValidationException;
import io.swagger.v3.oas.annotations.Operation;
import io.swagger.v3.oas.annotations.Parameter;
import io.swagger.v3.oas.annotations.media.Content;
import io.swagger.v3.oas.annotations.media.ExampleObject;
import io.swagger.v3.oas.annotations.media.Schema;
import io.swagger.v3.oas.annotations.responses.ApiResponse;
import io.swagger.v3.oas.annotations.tags.Tag;
import jakarta.servlet.ServletException;
import jakarta.servlet.http.HttpServletRequest;
import java.io.IOException;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Base64;
import java.util.List;
import org.springframework.http.HttpStatus;
import org.springframework.http.MediaType;
import org.springframework.http.ResponseEntity;
import org.springframework.web.bind.annotation.PostMapping;
import org.springframework.web.bind.annotation.RequestHeader;
import org.springframework.web.bind.annotation.RestController;
import org.springframework.web.multipart.MultipartHttpServletRequest;
import org.springframework.web.util.WebUtils;

/**
 * {@code POST /v1/images/edits}: OpenAI's image edits (inpainting) over this service's jobs, from the multipart form
 * OpenAI's SDKs send. The mask's transparent pixels (or, without a mask, the image's own) are repainted, as OpenAI
 * documents it; the rest of the picture is kept. The request blocks until its job ends, as generations do; errors are
 * in OpenAI's shape ({@link OpenAiErrorHandler}).
 *
 * <p>The upload is parsed here, when the form is read, not before: so its size limits
 * ({@code spring.servlet.multipart.*}, bound to {@code diffusion.limits}) answer in OpenAI's shape too.
 */
@ServesApi
@RestController
@Tag(name = "openai", description = "OpenAI-compatible Images API")
public class OpenAiImageEditsController {

    public static final String PATH = "/v1/images/edits";
    private static final byte[] PNG_SIGNATURE = {(byte) 0x89, 'P', 'N', 'G', '\r', '\n', 0x1a, '\n'};
    /**
     * OpenAI's masks are hard: what is opaque is kept as it is. A blur would let the edit bleed into it (and keep part
     * of what was to be repainted).
     */
    private static final int MASK_BLUR = 0;
    /**
     * Transparent pixels carry no picture to start from: the masked area starts from pure noise, as in diffusers'
     * inpainting by default.
     */
    private static final double STRENGTH = 1.0;

    private final OpenAiImageJobs images;

    public OpenAiImageEditsController(OpenAiImageJobs images) {
        this.images = images;
    }

    // no 'consumes': a body of the wrong type must still be answered in OpenAI's shape, by this controller's advice
    @PostMapping(path = PATH, produces = MediaType.APPLICATION_JSON_VALUE)
    @Operation(summary = "Edit an image (OpenAI Images API)", description = """
            Repaints the transparent pixels of mask (or, without a mask, of the image itself) as the prompt says and \
            keeps the rest. image and mask are PNG files of the same size, both resized to size (auto or none: the \
            model's own size); one image per request (image[] is read too). Blocks until the images are made, as \
            generations do; a model name this service does not serve means the default model; user and other \
            OpenAI-only fields are ignored. Uploads are bounded by diffusion.limits.max-body-size in all and \
            diffusion.limits.max-init-image-size per file (413).""",
            requestBody = @io.swagger.v3.oas.annotations.parameters.RequestBody(content = @Content(
                    mediaType = MediaType.MULTIPART_FORM_DATA_VALUE,
                    schema = @Schema(implementation = OpenAiImageEditRequest.class))))
    @ApiResponse(responseCode = "200", description = "The edited images", content = @Content(
            schema = @Schema(implementation = OpenAiImagesResponse.class)))
    @ApiResponse(responseCode = "400", description = "Invalid request (type invalid_request_error)",
            content = @Content(schema = @Schema(implementation = OpenAiError.class), examples = @ExampleObject(
                    value = """
                            {"error": {"message": "mask: is 32×32 but image is 64×64: the mask must have the image's \
                            pixel size", "type": "invalid_request_error", "param": "mask", "code": null}}""")))
    @ApiResponse(responseCode = "401", description = "With API keys on: no valid key (code invalid_api_key)",
            content = @Content(schema = @Schema(implementation = OpenAiError.class)))
    @ApiResponse(responseCode = "413", description = "The upload, or one of its files, is over the limit",
            content = @Content(schema = @Schema(implementation = OpenAiError.class)))
    @ApiResponse(responseCode = "415", description = "The body is not multipart/form-data",
            content = @Content(schema = @Schema(implementation = OpenAiError.class)))
    @ApiResponse(responseCode = "429", description = "Past the API key's quota (code rate_limit_exceeded); see "
            + "Retry-After", content = @Content(schema = @Schema(implementation = OpenAiError.class)))
    @ApiResponse(responseCode = "500", description = "The edit failed (type server_error)",
            content = @Content(schema = @Schema(implementation = OpenAiError.class)))
    @ApiResponse(responseCode = "503", description = "Queue full, shutting down, or the images were not ready "
            + "within the wait timeout; see Retry-After", content = @Content(
                    schema = @Schema(implementation = OpenAiError.class)))
    public ResponseEntity<?> edit(
            @Parameter(description = "As on generations: a request repeated with the same key and form answers with "
                    + "the images of the job the first one made")
            @RequestHeader(name = IdempotentSubmissions.HEADER, required = false) String idempotencyKey,
            HttpServletRequest http) throws InterruptedException, IOException, ServletException {
        MultipartHttpServletRequest upload = WebUtils.getNativeRequest(http, MultipartHttpServletRequest.class);
        if (upload == null) {
            return OpenAiErrorHandler.respond(HttpStatus.UNSUPPORTED_MEDIA_TYPE, OpenAiError.of("the body must be a "
                    + "form with file uploads, with Content-Type: multipart/form-data", OpenAiErrorHandler
                    .INVALID_REQUEST, null, null));
        }
        upload.getMultiFileMap(); // parses the upload, so that Spring names a failure (too large, unreadable)
        OpenAiImageEditRequest form = OpenAiImageEditRequest.read(upload.getParts());

        List<FieldError> errors = new ArrayList<>();
        String format = OpenAiImageJobs.responseFormat(form.responseFormat(), errors);
        OpenAiImageJobs.Size size = OpenAiImageJobs.size(form.size(), errors);
        Integer n = integer(errors, "n", form.n());
        Integer compression = integer(errors, "output_compression", form.outputCompression());
        checkPictures(errors, form.image(), form.mask());
        if (!errors.isEmpty()) {
            throw new RequestValidationException(errors);
        }
        String image = Base64.getEncoder().encodeToString(form.image());
        GenerateRequest generation = GenerateRequest.builder().prompt(form.prompt())
                .model(images.servedModel(form.model())).width(size.width()).height(size.height()).numImages(n)
                .outputFormat(form.outputFormat()).outputCompression(compression)
                .initImage(image).strength(STRENGTH)
                .mask(form.mask() == null ? image : Base64.getEncoder().encodeToString(form.mask()))
                .maskMode(GenerationSpec.id(GenerationSpec.MaskMode.ALPHA)).maskBlur(MASK_BLUR).build();
        return images.run(generation, PATH, generation, idempotencyKey, format, http);
    }

    /**
     * The image and the mask are PNGs (their headers read, nothing decoded yet) of one size, and something in them is
     * transparent: the mask's alpha channel or, without a mask, the image's marks what to repaint.
     */
    private static void checkPictures(List<FieldError> errors, byte[] image, byte[] mask) {
        if (image == null) {
            errors.add(new FieldError("image", "is required: the PNG file to edit"));
            return;
        }
        ImageDecoder.Header picture = pngHeader(errors, "image", image);
        ImageDecoder.Header masking = mask == null ? null : pngHeader(errors, "mask", mask);
        if (picture == null || mask != null && masking == null) {
            return;
        }
        if (masking == null) {
            if (!picture.alpha()) {
                errors.add(new FieldError("image", "has no transparency, and no mask was sent: send a mask whose "
                        + "transparent pixels mark what to edit, or a PNG whose own transparent pixels do"));
            }
        } else if (masking.width() != picture.width() || masking.height() != picture.height()) {
            errors.add(new FieldError("mask", "is " + masking.size() + " but image is " + picture.size()
                    + ": the mask must have the image's pixel size"));
        } else if (!masking.alpha()) {
            errors.add(new FieldError("mask", "has no transparency: its transparent pixels mark what to edit, so it "
                    + "must be a PNG with an alpha channel"));
        }
    }

    /** The header of a PNG file; null (and a field error) when the file is not one that reads. */
    private static ImageDecoder.Header pngHeader(List<FieldError> errors, String field, byte[] file) {
        if (!Arrays.equals(file, 0, Math.min(file.length, PNG_SIGNATURE.length), PNG_SIGNATURE, 0,
                PNG_SIGNATURE.length)) {
            errors.add(new FieldError(field, "must be a PNG file"));
            return null;
        }
        try {
            return ImageDecoder.header(file);
        } catch (ImageDecoder.InvalidImageException e) {
            errors.add(new FieldError(field, e.getMessage()));
            return null;
        }
    }

    private static Integer integer(List<FieldError> errors, String field, String value) {
        if (value == null) {
            return null;
        }
        try {
            return Integer.valueOf(value.trim());
        } catch (NumberFormatException e) {
            errors.add(new FieldError(field, "must be a whole number"));
            return null;
        }
    }
}
