package dev.diffusion.api.openai;

import dev.diffusion.ServesApi;
import dev.diffusion.api.GenerateRequest;
import dev.diffusion.api.IdempotentSubmissions;
import dev.diffusion.api.RequestResolver;
import dev.diffusion.catalog.ModelCatalog;
import dev.diffusion.jobs.Job;
import dev.diffusion.jobs.JobService;
import dev.diffusion.jobs.JobStatus;
import dev.diffusion.jobs.JobsProperties;
import dev.diffusion.security.ActiveJobQuota;
import dev.diffusion.security.ApiKeyFilter;
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
import java.util.Base64;
import java.util.List;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.springframework.http.HttpStatus;
import org.springframework.http.MediaType;
import org.springframework.http.ResponseEntity;
import org.springframework.web.bind.annotation.PostMapping;
import org.springframework.web.bind.annotation.RequestBody;
import org.springframework.web.bind.annotation.RequestHeader;
import org.springframework.web.bind.annotation.RestController;
import org.springframework.web.servlet.support.ServletUriComponentsBuilder;

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
    static final String URL = "url";
    static final String B64_JSON = "b64_json";
    /** OpenAI's own size for "let the model choose"; here, the model's sample size. */
    private static final String AUTO_SIZE = "auto";
    private static final Pattern SIZE = Pattern.compile("(\\d{1,5})x(\\d{1,5})");

    private final JobService jobs;
    private final RequestResolver resolver;
    private final ActiveJobQuota quota;
    private final ModelCatalog catalog;
    private final JobsProperties settings;
    private final IdempotentSubmissions submissions;

    public OpenAiImagesController(JobService jobs, RequestResolver resolver, ActiveJobQuota quota,
            ModelCatalog catalog, JobsProperties settings, IdempotentSubmissions submissions) {
        this.jobs = jobs;
        this.resolver = resolver;
        this.quota = quota;
        this.catalog = catalog;
        this.settings = settings;
        this.submissions = submissions;
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
        String format = request.responseFormat() == null ? URL : request.responseFormat();
        List<FieldError> errors = new ArrayList<>();
        if (!format.equals(URL) && !format.equals(B64_JSON)) {
            errors.add(new FieldError("response_format", "must be url or b64_json"));
        }
        Integer width = null;
        Integer height = null;
        if (request.size() != null && !request.size().equals(AUTO_SIZE)) {
            Matcher size = SIZE.matcher(request.size());
            if (size.matches()) {
                width = Integer.valueOf(size.group(1));
                height = Integer.valueOf(size.group(2));
            } else {
                errors.add(new FieldError("size", "must be WIDTHxHEIGHT, such as 512x512, or auto"));
            }
        }
        if (!errors.isEmpty()) {
            throw new RequestValidationException(errors);
        }
        GenerateRequest generation = GenerateRequest.builder().prompt(request.prompt())
                .model(servedModel(request.model())).width(width).height(height).numImages(request.n())
                .outputFormat(request.outputFormat()).outputCompression(request.outputCompression()).build();
        String owner = ApiKeyFilter.owner(http);
        IdempotentSubmissions.Submission submission = submissions.submit(idempotencyKey, owner, PATH, request,
                () -> quota.submit(resolver.resolve(generation), owner));
        Job job = submission.job();

        Job done = jobs.await(job.id(), settings.waitTimeout()).orElse(job);
        boolean timedOut = !done.status().finished();
        if (timedOut) {
            // this client never learns the job's id: stop it rather than make images no one will fetch
            done = jobs.cancel(job.id()).orElse(done);
        }
        if (done.status() == JobStatus.SUCCEEDED) {
            ResponseEntity.BodyBuilder ok = ResponseEntity.ok();
            if (submission.replayed()) {
                ok.header(IdempotentSubmissions.REPLAYED_HEADER, "true");
            }
            return ok.body(response(done, format));
        }
        if (timedOut) {
            return OpenAiErrorHandler.serviceUnavailable("the images were not ready within "
                    + settings.waitTimeout().toSeconds() + " s; the service is busy, try again later", "timeout");
        }
        String reason = done.error() == null ? "the job was cancelled"
                : done.error().title() + ": " + done.error().detail();
        return OpenAiErrorHandler.respond(HttpStatus.INTERNAL_SERVER_ERROR, OpenAiError.of(reason,
                OpenAiErrorHandler.SERVER_ERROR, null, null));
    }

    /** A served model by its name; any other name, such as OpenAI's own, means the default model. */
    private String servedModel(String name) {
        return name != null && catalog.find(name).isPresent() ? name : null;
    }

    private static OpenAiImagesResponse response(Job job, String format) {
        List<OpenAiImagesResponse.Image> images = job.images().stream().map(image -> format.equals(B64_JSON)
                ? new OpenAiImagesResponse.Image(Base64.getEncoder().encodeToString(image.data()), null)
                : new OpenAiImagesResponse.Image(null, ServletUriComponentsBuilder.fromCurrentContextPath()
                        .path("/jobs/{id}/images/{index}").buildAndExpand(job.id(), image.index()).toUriString()))
                .toList();
        return new OpenAiImagesResponse(job.createdAt().getEpochSecond(), images);
    }
}
