package dev.diffusion.api.openai;

import dev.diffusion.web.FieldError;
import dev.diffusion.web.RequestValidationException;
import io.swagger.v3.oas.annotations.media.Schema;
import jakarta.servlet.http.Part;
import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Collection;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import tools.jackson.databind.PropertyNamingStrategies;
import tools.jackson.databind.annotation.JsonNaming;

/**
 * The form of {@code POST /v1/images/edits} as OpenAI's SDKs send it, multipart/form-data: the picture and the mask as
 * files, every other field as text, as sent (numbers are checked by the endpoint). Fields this service has no use for
 * ({@code user}, {@code quality}, {@code background}, ...) are ignored, as on generations.
 */
@JsonNaming(PropertyNamingStrategies.SnakeCaseStrategy.class)
@Schema(description = "An OpenAI Images API edit request, sent as multipart/form-data")
public record OpenAiImageEditRequest(
        @Schema(type = "string", format = "binary", requiredMode = Schema.RequiredMode.REQUIRED,
                description = "The picture to edit, a PNG; resized with the mask to size. OpenAI's newer SDKs send it "
                        + "as image[]: that is read too, but one picture per request (several are refused)")
        byte[] image,
        @Schema(type = "string", format = "binary", description = "A PNG of the image's pixel size whose transparent "
                + "pixels mark what to repaint (opaque ones are kept). Without it, the image's own transparent pixels "
                + "do, so the image must then have some")
        byte[] mask,
        @Schema(description = "What the edited picture should show", requiredMode = Schema.RequiredMode.REQUIRED,
                example = "a green square on a blue background")
        String prompt,
        @Schema(description = "A served model (GET /models); any other name, such as dall-e-2, means the default "
                + "model", example = "dall-e-2")
        String model,
        @Schema(types = "integer", description = "Images to make", example = "1")
        String n,
        @Schema(description = "WIDTHxHEIGHT of the answer, or auto (default) for the model's own size; the image and "
                + "mask are resized to it", example = "64x64")
        String size,
        @Schema(description = "url (default) or b64_json", example = "b64_json")
        String responseFormat,
        @Schema(description = "png (default), jpeg or webp", example = "png")
        String outputFormat,
        @Schema(types = "integer", description = "0..100 (default 100): jpeg's quality; webp: 100 lossless, lower the "
                + "lossy quality", example = "100")
        String outputCompression) {

    private static final String IMAGE = "image";
    /** How OpenAI's newer SDKs name the image field, as an array of pictures. */
    private static final String IMAGES = "image[]";
    private static final String MASK = "mask";
    private static final Set<String> TEXT_FIELDS = Set.of("prompt", "model", "n", "size", "response_format",
            "output_format", "output_compression");

    /**
     * Reads the form's parts: the files whole (the servlet container has bounded them while they came in), the text
     * fields this endpoint uses as UTF-8, the first of each name.
     *
     * @throws RequestValidationException when the form holds several pictures or masks
     */
    static OpenAiImageEditRequest read(Collection<Part> parts) throws IOException {
        List<byte[]> images = new ArrayList<>();
        List<byte[]> masks = new ArrayList<>();
        Map<String, String> text = new HashMap<>();
        for (Part part : parts) {
            String name = part.getName();
            if (name == null) {
                continue;
            }
            if (name.equals(IMAGE) || name.equals(IMAGES)) {
                images.add(content(part));
            } else if (name.equals(MASK)) {
                masks.add(content(part));
            } else if (TEXT_FIELDS.contains(name) && !text.containsKey(name)) {
                text.put(name, new String(content(part), StandardCharsets.UTF_8));
            }
        }
        List<FieldError> errors = new ArrayList<>();
        if (images.size() > 1) {
            errors.add(new FieldError(IMAGE, "takes one picture here, not " + images.size()
                    + ": this service edits one image per request"));
        }
        if (masks.size() > 1) {
            errors.add(new FieldError(MASK, "takes one mask, not " + masks.size()));
        }
        if (!errors.isEmpty()) {
            throw new RequestValidationException(errors);
        }
        return new OpenAiImageEditRequest(images.isEmpty() ? null : images.get(0), masks.isEmpty() ? null : masks.get(0),
                text.get("prompt"), text.get("model"), text.get("n"), text.get("size"), text.get("response_format"),
                text.get("output_format"), text.get("output_compression"));
    }

    private static byte[] content(Part part) throws IOException {
        try (InputStream in = part.getInputStream()) {
            return in.readAllBytes();
        }
    }
}
