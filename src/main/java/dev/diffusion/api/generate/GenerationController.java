package dev.diffusion.api.generate;

import dev.diffusion.ServesApi;
import dev.diffusion.api.GenerateRequest;
import dev.diffusion.api.IdempotentSubmissions;
import dev.diffusion.api.RequestResolver;
import dev.diffusion.jobs.GenerationSpec;
import dev.diffusion.jobs.Job;
import dev.diffusion.jobs.JobImage;
import dev.diffusion.jobs.JobPage;
import dev.diffusion.jobs.JobService;
import dev.diffusion.jobs.JobStatus;
import dev.diffusion.jobs.JobsProperties;
import dev.diffusion.security.ActiveJobQuota;
import dev.diffusion.security.ApiKeyFilter;
import dev.diffusion.web.NotFoundException;
import io.swagger.v3.oas.annotations.Operation;
import io.swagger.v3.oas.annotations.Parameter;
import io.swagger.v3.oas.annotations.headers.Header;
import io.swagger.v3.oas.annotations.media.Content;
import io.swagger.v3.oas.annotations.media.ExampleObject;
import io.swagger.v3.oas.annotations.media.Schema;
import io.swagger.v3.oas.annotations.responses.ApiResponse;
import io.swagger.v3.oas.annotations.tags.Tag;
import jakarta.servlet.http.HttpServletRequest;
import java.net.URI;
import java.util.Objects;
import org.springframework.http.HttpHeaders;
import org.springframework.http.HttpStatus;
import org.springframework.http.InvalidMediaTypeException;
import org.springframework.http.MediaType;
import org.springframework.http.ProblemDetail;
import org.springframework.http.ResponseEntity;
import org.springframework.web.bind.annotation.DeleteMapping;
import org.springframework.web.bind.annotation.GetMapping;
import org.springframework.web.bind.annotation.PathVariable;
import org.springframework.web.bind.annotation.PostMapping;
import org.springframework.web.bind.annotation.RequestBody;
import org.springframework.web.bind.annotation.RequestHeader;
import org.springframework.web.bind.annotation.RequestParam;
import org.springframework.web.bind.annotation.RestController;
import org.springframework.web.servlet.mvc.method.annotation.SseEmitter;

/** {@code POST /generate} and the job resources it creates. */
@ServesApi
@RestController
@Tag(name = "generation", description = "Queue generations and follow their jobs")
public class GenerationController {

    static final String IMAGE_WEBP = "image/webp";
    private final JobService jobs;
    private final RequestResolver resolver;
    private final ActiveJobQuota quota;
    private final JobsProperties settings;
    private final JobEventStreams eventStreams;
    private final IdempotentSubmissions submissions;

    public GenerationController(JobService jobs, RequestResolver resolver, ActiveJobQuota quota,
            JobsProperties settings, JobEventStreams eventStreams, IdempotentSubmissions submissions) {
        this.jobs = jobs;
        this.resolver = resolver;
        this.quota = quota;
        this.settings = settings;
        this.eventStreams = eventStreams;
        this.submissions = submissions;
    }

    @PostMapping(path = "/generate", consumes = MediaType.APPLICATION_JSON_VALUE)
    @Operation(summary = "Queue a generation",
            description = "Answers 202 with the queued job and its Location. With wait=true, blocks until the job "
                    + "ends (at most diffusion.jobs.wait-timeout) and answers 200 with the job; add an Accept header "
                    + "naming the image's type (such as 'Accept: image/png', or image/webp with output_format webp) "
                    + "for a one-image request to get the image itself.",
            requestBody = @io.swagger.v3.oas.annotations.parameters.RequestBody(content = @Content(
                    schema = @Schema(implementation = GenerateRequest.class),
                    examples = {
                        @ExampleObject(name = "minimal", value = "{\"prompt\": \"a red circle on a blue background\"}"),
                        @ExampleObject(name = "full", value = """
                                {"prompt": "a large yellow triangle on a purple background", "negative_prompt": "",
                                 "width": 64, "height": 64, "steps": 20, "guidance_scale": 5.0,
                                 "scheduler": "dpmpp_2m", "seed": 42, "num_images": 4}"""),
                        @ExampleObject(name = "webp", value = """
                                {"prompt": "a small green square", "output_format": "webp", "output_compression": 80}"""),
                        @ExampleObject(name = "webhook", value = """
                                {"prompt": "a red circle", "webhook": "https://example.com/hooks/diffusion",
                                 "webhook_events": ["started", "succeeded", "failed", "cancelled"]}""")
                    })))
    @ApiResponse(responseCode = "202", description = "Queued", headers = @Header(name = IdempotentSubmissions
            .REPLAYED_HEADER, description = "true when an earlier request with this Idempotency-Key made the job",
            schema = @Schema(type = "string", allowableValues = "true")), content = @Content(
            schema = @Schema(implementation = JobView.class)))
    @ApiResponse(responseCode = "200", description = "With wait=true: the finished job, or its image",
            headers = @Header(name = IdempotentSubmissions.REPLAYED_HEADER, description = "true when an earlier "
                    + "request with this Idempotency-Key made the job",
                    schema = @Schema(type = "string", allowableValues = "true")),
            content = {@Content(mediaType = MediaType.APPLICATION_JSON_VALUE,
                    schema = @Schema(implementation = JobView.class)),
                @Content(mediaType = MediaType.IMAGE_PNG_VALUE), @Content(mediaType = MediaType.IMAGE_JPEG_VALUE),
                @Content(mediaType = IMAGE_WEBP)})
    @ApiResponse(responseCode = "400", description = "Invalid request; 'errors' lists the fields",
            content = @Content(mediaType = MediaType.APPLICATION_PROBLEM_JSON_VALUE,
                    schema = @Schema(implementation = ProblemDetail.class), examples = @ExampleObject(value = """
                            {"type": "about:blank", "title": "Invalid request", "status": 400,
                             "detail": "steps: must be between 1 and 150", "instance": "/generate",
                             "errors": [{"field": "steps", "message": "must be between 1 and 150"}]}""")))
    @ApiResponse(responseCode = "413", description = "Body too large", content = @Content(
            mediaType = MediaType.APPLICATION_PROBLEM_JSON_VALUE, schema = @Schema(implementation = ProblemDetail.class)))
    @ApiResponse(responseCode = "429", description = "Past the API key's quota; see Retry-After", content = @Content(
            mediaType = MediaType.APPLICATION_PROBLEM_JSON_VALUE, schema = @Schema(implementation = ProblemDetail.class)))
    @ApiResponse(responseCode = "503", description = "Queue full or shutting down; see Retry-After",
            content = @Content(mediaType = MediaType.APPLICATION_PROBLEM_JSON_VALUE,
                    schema = @Schema(implementation = ProblemDetail.class)))
    @ApiResponse(responseCode = "409", description = "A request with the same Idempotency-Key is still being handled",
            content = @Content(mediaType = MediaType.APPLICATION_PROBLEM_JSON_VALUE,
                    schema = @Schema(implementation = ProblemDetail.class)))
    @ApiResponse(responseCode = "422", description = "The Idempotency-Key was used with another body", content = @Content(
            mediaType = MediaType.APPLICATION_PROBLEM_JSON_VALUE, schema = @Schema(implementation = ProblemDetail.class)))
    public ResponseEntity<?> generate(@RequestBody GenerateRequest request,
            @Parameter(description = "Block until the job ends") @RequestParam(defaultValue = "false") boolean wait,
            @RequestHeader(name = HttpHeaders.ACCEPT, required = false) String accept,
            @Parameter(description = "Any unique string (a UUID, say): a request repeated with the same key and body "
                    + "within diffusion.jobs.idempotency-ttl (24 h) gets the job the first one made, with "
                    + "Idempotent-Replayed: true, instead of a new job")
            @RequestHeader(name = IdempotentSubmissions.HEADER, required = false) String idempotencyKey,
            HttpServletRequest http) throws InterruptedException {
        String owner = ApiKeyFilter.owner(http);
        IdempotentSubmissions.Submission submission = submissions.submit(idempotencyKey, owner, "/generate", request,
                () -> quota.submit(resolver.resolve(request), owner));
        Job job = submission.job();
        HttpHeaders headers = new HttpHeaders();
        headers.setLocation(URI.create("/jobs/" + job.id()));
        if (submission.replayed()) {
            headers.set(IdempotentSubmissions.REPLAYED_HEADER, "true");
        }
        if (!wait) {
            return json(HttpStatus.ACCEPTED, headers, view(job));
        }
        Job done = jobs.await(job.id(), settings.waitTimeout()).orElse(job);
        if (!done.status().finished()) {
            return json(HttpStatus.ACCEPTED, headers, view(done));
        }
        GenerationSpec spec = done.spec();
        if (spec.numImages() == 1 && wantsImage(accept, spec.output().format().encoder().mediaType())) {
            return imageOrProblem(done, headers);
        }
        // JSON even when the client asked for an image: a many-image job has no single image to give
        return json(HttpStatus.OK, headers, view(done));
    }

    @GetMapping(path = "/jobs", produces = MediaType.APPLICATION_JSON_VALUE)
    @Operation(summary = "The caller's jobs, newest first, a page at a time",
            description = "Jobs of the caller's API key (every job when keys are off), as GET /jobs/{id} shows each, "
                    + "for as long as they are kept (diffusion.jobs.ttl and the finished-job limits). Pass next_cursor "
                    + "back as cursor for the next page; it is null on the last.")
    @ApiResponse(responseCode = "400", description = "An invalid parameter; 'errors' lists them", content = @Content(
            mediaType = MediaType.APPLICATION_PROBLEM_JSON_VALUE, schema = @Schema(implementation = ProblemDetail.class)))
    public JobList list(
            @Parameter(description = "Only jobs of these statuses, comma-separated",
                    example = "succeeded,failed") @RequestParam(required = false) String status,
            @Parameter(description = "Only jobs created after this instant (ISO 8601)",
                    example = "2026-12-01T10:00:00Z") @RequestParam(name = "created_after", required = false)
            String createdAfter,
            @Parameter(description = "Jobs per page", schema = @Schema(type = "integer", minimum = "1",
                    maximum = "100", defaultValue = "20")) @RequestParam(defaultValue = "20") String limit,
            @Parameter(description = "next_cursor of the previous page") @RequestParam(required = false)
            String cursor,
            HttpServletRequest http) {
        JobPage page = jobs.list(JobListing.query(ApiKeyFilter.owner(http), status, createdAfter, limit, cursor));
        return new JobList(page.jobs().stream().map(this::view).toList(),
                page.next() == null ? null : page.next().encode());
    }

    @GetMapping(path = "/jobs/{id}", produces = MediaType.APPLICATION_JSON_VALUE)
    @Operation(summary = "A job: status, queue position, progress, resolved request, images or error")
    @ApiResponse(responseCode = "404", description = "No such job", content = @Content(
            mediaType = MediaType.APPLICATION_PROBLEM_JSON_VALUE, schema = @Schema(implementation = ProblemDetail.class)))
    public JobView job(@PathVariable String id, HttpServletRequest http) {
        return view(find(id, http));
    }

    @DeleteMapping(path = "/jobs/{id}", produces = MediaType.APPLICATION_JSON_VALUE)
    @Operation(summary = "Cancel a job", description = "A queued job never runs; a running one stops at its next "
            + "step; a finished one is left as it is. Answers with the job as it then stands.")
    @ApiResponse(responseCode = "404", description = "No such job", content = @Content(
            mediaType = MediaType.APPLICATION_PROBLEM_JSON_VALUE, schema = @Schema(implementation = ProblemDetail.class)))
    public JobView cancel(@PathVariable String id, HttpServletRequest http) {
        find(id, http);
        return view(jobs.cancel(id).orElseThrow(() -> noJob(id)));
    }

    @GetMapping(path = "/jobs/{id}/images/{index}")
    @Operation(summary = "One image of a finished job, in the job's output_format, with AUTOMATIC1111's parameters "
            + "(a PNG 'parameters' text chunk; JPEG and WebP: EXIF UserComment)")
    @ApiResponse(responseCode = "200", description = "The image", content = {
        @Content(mediaType = MediaType.IMAGE_PNG_VALUE), @Content(mediaType = MediaType.IMAGE_JPEG_VALUE),
        @Content(mediaType = IMAGE_WEBP)})
    @ApiResponse(responseCode = "404", description = "No such job or image", content = @Content(
            mediaType = MediaType.APPLICATION_PROBLEM_JSON_VALUE, schema = @Schema(implementation = ProblemDetail.class)))
    public ResponseEntity<byte[]> image(@PathVariable String id, @PathVariable int index, HttpServletRequest http) {
        Job job = find(id, http);
        return job.images().stream().filter(image -> image.index() == index).findFirst()
                .map(image -> file(image, new HttpHeaders()))
                .orElseThrow(() -> new NotFoundException(job.status() == JobStatus.SUCCEEDED
                        ? "job " + id + " has no image " + index
                        : "job " + id + " has no images: it is " + job.status().name().toLowerCase()));
    }

    @GetMapping(path = "/jobs/{id}/events", produces = MediaType.TEXT_EVENT_STREAM_VALUE)
    @Operation(summary = "The job's events as server-sent events",
            description = "queued, started, progress (step, total_steps, optional preview PNG as a data URL), then "
                    + "one of succeeded, failed, cancelled, after which the stream ends. Event data is JSON.")
    @ApiResponse(responseCode = "404", description = "No such job", content = @Content(
            mediaType = MediaType.APPLICATION_PROBLEM_JSON_VALUE, schema = @Schema(implementation = ProblemDetail.class)))
    public SseEmitter events(@PathVariable String id, HttpServletRequest http) {
        find(id, http);
        return eventStreams.open(id, ApiKeyFilter.owner(http));
    }

    private static ResponseEntity<?> json(HttpStatus status, HttpHeaders headers, Object body) {
        return ResponseEntity.status(status).headers(headers).contentType(MediaType.APPLICATION_JSON).body(body);
    }

    private ResponseEntity<?> imageOrProblem(Job job, HttpHeaders headers) {
        if (job.status() == JobStatus.SUCCEEDED) {
            return file(job.images().get(0), headers);
        }
        HttpStatus status = job.status() == JobStatus.CANCELLED ? HttpStatus.CONFLICT : HttpStatus.UNPROCESSABLE_CONTENT;
        ProblemDetail problem = ProblemDetail.forStatusAndDetail(status, job.error() == null
                ? "job " + job.id() + " was cancelled" : job.error().detail());
        problem.setTitle(job.error() == null ? "Job cancelled" : job.error().title());
        problem.setProperty("job", view(job));
        return ResponseEntity.status(status).headers(headers).contentType(MediaType.APPLICATION_PROBLEM_JSON)
                .body(problem);
    }

    private static ResponseEntity<byte[]> file(JobImage image, HttpHeaders headers) {
        return ResponseEntity.ok().headers(headers).contentType(MediaType.parseMediaType(image.mediaType()))
                .body(image.data());
    }

    /**
     * Whether the client's Accept names the image's type, or {@code image/*}; a bare {@code *}{@code /*} (what most
     * clients send by default) asks for the job as JSON.
     */
    private static boolean wantsImage(String accept, String mediaType) {
        if (accept == null) {
            return false;
        }
        MediaType image = MediaType.parseMediaType(mediaType);
        try {
            return MediaType.parseMediaTypes(accept).stream().anyMatch(type -> !type.isWildcardType()
                    && type.includes(image) && type.getQualityValue() > 0);
        } catch (InvalidMediaTypeException e) {
            return false;
        }
    }

    /** The job, if the caller owns it: another key's job is answered as if it did not exist. */
    private Job find(String id, HttpServletRequest http) {
        String owner = ApiKeyFilter.owner(http);
        return jobs.find(id).filter(job -> Objects.equals(job.owner(), owner)).orElseThrow(() -> noJob(id));
    }

    private JobView view(Job job) {
        return JobView.of(job, job.status() == JobStatus.QUEUED ? jobs.queuePosition(job.id()) : -1);
    }

    private static NotFoundException noJob(String id) {
        return new NotFoundException("no job " + id);
    }
}
