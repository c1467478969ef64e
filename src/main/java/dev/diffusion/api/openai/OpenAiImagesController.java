package dev.diffusion.api.openai;

import dev.diffusion.ServesApi;
import dev.diffusion.api.GenerateRequest;
import dev.diffusion.api.IdempotentSubmissions;
import dev.diffusion.web.FieldError;
import dev.diffusion.web.RequestValidationException;
import io.swagger.v3.oas.annotations.Operation;
import io.swagger.v3.oas.annotations.Parameter;
import io.swagger.v3.oas.annotations.headers.Header;
import io.swagger.v3.oas.annotations.media.Content;
import io.swagger.v3.oas.annotations.media.ExampleObject;
import io.swagger.v3.oas.annotations.media.Schema;
import io.swagger.v3.oas.annotations.responses.ApiResponse;
import io.swagger.v3.oas.annotations.tags.Tag;
import jakarta.servlet.http.HttpServletRequest;
import java.util.ArrayList;
import java.util.List;
import org.springframework.http.MediaType;
import org.springframework.http.ResponseEntity;
import org.springframework.web.bind.annotation.PostMapping;
import org.springframework.web.bind.annotation.RequestBody;
import org.springframework.web.bind.annotation.RequestHeader;
import org.springframework.web.bind.annotation.RestController;

/**
 * {@code POST /v1/images/generations}: OpenAI's Images API over this service's jobs, so that OpenAI's SDKs and the
 * tools built on them work with a changed base URL. The request blocks until its job ends; errors are in OpenAI's
 * shape ({@link OpenAiErrorHandler}). With API keys on, the SDKs' own {@code Authorization: Bearer} header carries the
 * key.
 */
@ServesApi
@RestController
@Tag(name = "openai", description = "OpenAI-compatible Images API")
public class OpenAiImagesController {

    public static final String PATH = "/v1/images/generations";

    private final OpenAiImageJobs images;

    public OpenAiImagesController(OpenAiImageJobs images) {
        this.images = images;
    }

    // no 'consumes': a body of the wrong type must still be answered in OpenAI's shape, by this controller's advice
    @PostMapping(path = PATH, produces = MediaType.APPLICATION_JSON_VALUE)
    @Operation(summary = "Generate images (OpenAI Images API)",
            description = "Blocks until the images are made (at most diffusion.jobs.wait-timeout). A model name this "
                    + "service does not serve, such as dall-e-3, means the default model; OpenAI-only fields such as "
                    + "quality, style and user are ignored. url answers link to /jobs/{id}/images/{index}, kept for "
                    + "diffusion.jobs.ttl.",
            requestBody = @io.swagger.v3.oas.annotations.parameters.RequestBody(content = @Content(
                    schema = @Schema(implementation = OpenAiImageRequest.class),
                    examples = @ExampleObject(value = """
                            {"model": "dall-e-2", "prompt": "a red circle on a blue background", "n": 1,
                             "size": "64x64", "response_format": "b64_json"}"""))))
    @ApiResponse(responseCode = "200", description = "The images", headers = @Header(name = IdempotentSubmissions
            .REPLAYED_HEADER, description = "true when an earlier request with this Idempotency-Key made the job",
            schema = @Schema(type = "string", allowableValues = "true")), content = @Content(
            schema = @Schema(implementation = OpenAiImagesResponse.class)))
    @ApiResponse(responseCode = "409", description = "A request with the same Idempotency-Key is still being "
            + "handled (type invalid_request_error)", content = @Content(
                    schema = @Schema(implementation = OpenAiError.class)))
    @ApiResponse(responseCode = "422", description = "The Idempotency-Key was used with another body (type "
            + "invalid_request_error)", content = @Content(schema = @Schema(implementation = OpenAiError.class)))
    @ApiResponse(responseCode = "400", description = "Invalid request (type invalid_request_error)",
            content = @Content(schema = @Schema(implementation = OpenAiError.class), examples = @ExampleObject(
                    value = """
                            {"error": {"message": "width: must be a positive multiple of 32", "type":
                             "invalid_request_error", "param": "size", "code": null}}""")))
    @ApiResponse(responseCode = "401", description = "With API keys on: no valid key (code invalid_api_key)",
            content = @Content(schema = @Schema(implementation = OpenAiError.class)))
    @ApiResponse(responseCode = "429", description = "Past the API key's quota (code rate_limit_exceeded); see "
            + "Retry-After", content = @Content(schema = @Schema(implementation = OpenAiError.class)))
    @ApiResponse(responseCode = "500", description = "The generation failed (type server_error)",
            content = @Content(schema = @Schema(implementation = OpenAiError.class)))
    @ApiResponse(responseCode = "503", description = "Queue full, shutting down, or the images were not ready "
            + "within the wait timeout; see Retry-After", content = @Content(
                    schema = @Schema(implementation = OpenAiError.class)))
    public ResponseEntity<?> generate(@RequestBody OpenAiImageRequest request,
            @Parameter(description = "Any unique string: a request repeated with the same key and body within "
                    + "diffusion.jobs.idempotency-ttl (24 h) answers with the images of the job the first one made, "
                    + "with Idempotent-Replayed: true")
            @RequestHeader(name = IdempotentSubmissions.HEADER, required = false) String idempotencyKey,
            HttpServletRequest http) throws InterruptedException {
        List<FieldError> errors = new ArrayList<>();
        String format = OpenAiImageJobs.responseFormat(request.responseFormat(), errors);
        OpenAiImageJobs.Size size = OpenAiImageJobs.size(request.size(), errors);
        if (!errors.isEmpty()) {
            throw new RequestValidationException(errors);
        }
        GenerateRequest generation = GenerateRequest.builder().prompt(request.prompt())
                .model(images.servedModel(request.model())).width(size.width()).height(size.height())
                .numImages(request.n()).outputFormat(request.outputFormat())
                .outputCompression(request.outputCompression()).build();
        return images.run(generation, PATH, request, idempotencyKey, format, http);
    }
}
