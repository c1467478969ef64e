package dev.diffusion.api.a1111;

import dev.diffusion.ServesApi;
import dev.diffusion.api.GenerateRequest;
import dev.diffusion.api.RequestResolver;
import dev.diffusion.catalog.ModelCatalog;
import dev.diffusion.catalog.ModelInfo;
import dev.diffusion.catalog.SchedulerCatalog;
import dev.diffusion.jobs.GenerationSpec;
import dev.diffusion.jobs.Job;
import dev.diffusion.jobs.JobService;
import dev.diffusion.jobs.JobStatus;
import dev.diffusion.jobs.JobsProperties;
import dev.diffusion.security.ActiveJobQuota;
import dev.diffusion.security.ApiKeyFilter;
import dev.diffusion.web.FieldError;
import dev.diffusion.web.RequestValidationException;
import dev.diffusion.web.ServiceBusyException;
import io.swagger.v3.oas.annotations.Operation;
import io.swagger.v3.oas.annotations.media.Content;
import io.swagger.v3.oas.annotations.media.ExampleObject;
import io.swagger.v3.oas.annotations.media.Schema;
import io.swagger.v3.oas.annotations.responses.ApiResponse;
import io.swagger.v3.oas.annotations.tags.Tag;
import jakarta.servlet.http.HttpServletRequest;
import java.security.SecureRandom;
import java.util.ArrayList;
import java.util.Base64;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import org.springframework.http.HttpStatus;
import org.springframework.http.MediaType;
import org.springframework.http.ProblemDetail;
import org.springframework.http.ResponseEntity;
import org.springframework.web.bind.annotation.PostMapping;
import org.springframework.web.bind.annotation.RequestBody;
import org.springframework.web.bind.annotation.RestController;

/**
 * AUTOMATIC1111's {@code txt2img} and {@code img2img} over this service's jobs, for the UI front-ends, editor plug-ins
 * and chat front-ends built on A1111's API. Each request is one job, checked, limited and owned as on
 * {@code /generate}; it blocks until the job ends, as A1111 does. A job past the wait timeout is cancelled (this
 * client never learns its id) and answered 503; a job whose client goes away runs on and is kept, as any job, in
 * {@code GET /jobs}. Errors are problem details, as everywhere else in this service.
 */
@ServesApi
@RestController
@Tag(name = "automatic1111", description = "AUTOMATIC1111-compatible API (/sdapi/v1)")
public class A1111GenerationController {

    static final String BASE = "/sdapi/v1";
    /** A1111 draws its random seeds below 2^32 - 2. */
    private static final long A1111_SEED_BOUND = 4_294_967_294L;
    private static final long RANDOM_SEED = -1;
    private static final double A1111_IMG2IMG_STRENGTH = 0.75;
    /**
     * A1111's API defaults for inpainting (its StableDiffusionProcessingImg2Img), which differ from /generate's: blur
     * 4, the masked area filled from its surroundings and inpainted alone at full resolution, no padding.
     */
    private static final int A1111_MASK_BLUR = 4;
    private static final int A1111_INPAINTING_FILL = 0;
    private static final boolean A1111_INPAINT_FULL_RES = true;
    private static final int A1111_INPAINT_PADDING = 0;
    /** A1111's inpainting_fill 0..3, as masked_content names them. */
    private static final List<GenerationSpec.MaskedContent> INPAINTING_FILLS = List.of(
            GenerationSpec.MaskedContent.FILL, GenerationSpec.MaskedContent.ORIGINAL,
            GenerationSpec.MaskedContent.LATENT_NOISE, GenerationSpec.MaskedContent.LATENT_NOTHING);
    private static final String MODEL_SETTING = "sd_model_checkpoint";
    /** Our field names as A1111's clients know them, for error messages. */
    private static final Map<String, String> A1111_FIELDS = Map.of("guidance_scale", "cfg_scale",
            "num_images", "batch_size × n_iter", "strength", "denoising_strength", "init_image", "init_images",
            "scheduler", "sampler_name", "model", "override_settings.sd_model_checkpoint",
            "inpaint_padding", "inpaint_full_res_padding");

    private final JobService jobs;
    private final RequestResolver resolver;
    private final ActiveJobQuota quota;
    private final ModelCatalog catalog;
    private final JobsProperties settings;
    private final LivePreviews previews;
    private final SamplerNames samplers;
    private final SecureRandom random = new SecureRandom();

    public A1111GenerationController(JobService jobs, RequestResolver resolver, ActiveJobQuota quota,
            ModelCatalog catalog, JobsProperties settings, LivePreviews previews) {
        this.jobs = jobs;
        this.resolver = resolver;
        this.quota = quota;
        this.catalog = catalog;
        this.settings = settings;
        this.previews = previews;
        this.samplers = new SamplerNames(catalog.schedulers());
    }

    @PostMapping(path = BASE + "/txt2img", consumes = MediaType.APPLICATION_JSON_VALUE,
            produces = MediaType.APPLICATION_JSON_VALUE)
    @Operation(summary = "Text to image (AUTOMATIC1111)", description = """
            Blocks until the images are made (at most diffusion.jobs.wait-timeout; past it the job is cancelled and \
            the answer is 503). batch_size × n_iter images, image i with seed + i; seed -1 draws one. \
            override_settings.sd_model_checkpoint picks the model of this request. denoising_strength, hires fix \
            fields and every field not in the schema are ignored; enable_hr true is refused.""",
            requestBody = @io.swagger.v3.oas.annotations.parameters.RequestBody(content = @Content(
                    schema = @Schema(implementation = A1111Request.class), examples = @ExampleObject(value = """
                            {"prompt": "a red circle on a blue background", "negative_prompt": "", "seed": -1,
                             "steps": 20, "cfg_scale": 7, "width": 64, "height": 64, "sampler_name": "DPM++ 2M",
                             "scheduler": "Karras", "batch_size": 2, "n_iter": 1}"""))))
    @ApiResponse(responseCode = "200", description = "The images", content = @Content(
            schema = @Schema(implementation = A1111Response.class)))
    @ApiResponse(responseCode = "400", description = "Invalid request; 'errors' lists the fields by A1111's names",
            content = @Content(mediaType = MediaType.APPLICATION_PROBLEM_JSON_VALUE,
                    schema = @Schema(implementation = ProblemDetail.class)))
    @ApiResponse(responseCode = "422", description = "The generation failed", content = @Content(
            mediaType = MediaType.APPLICATION_PROBLEM_JSON_VALUE, schema = @Schema(implementation = ProblemDetail.class)))
    @ApiResponse(responseCode = "429", description = "Past the API key's quota; see Retry-After", content = @Content(
            mediaType = MediaType.APPLICATION_PROBLEM_JSON_VALUE, schema = @Schema(implementation = ProblemDetail.class)))
    @ApiResponse(responseCode = "503", description = "Queue full, shutting down, or not done within the wait timeout "
            + "(the job is then cancelled); see Retry-After", content = @Content(
                    mediaType = MediaType.APPLICATION_PROBLEM_JSON_VALUE,
                    schema = @Schema(implementation = ProblemDetail.class)))
    public ResponseEntity<?> txt2img(@RequestBody A1111Request request, HttpServletRequest http)
            throws InterruptedException {
        List<FieldError> errors = new ArrayList<>();
        if (Boolean.TRUE.equals(request.enableHr())) {
            errors.add(new FieldError("enable_hr", "the hires fix is not available here; send false"));
        }
        return generate(request, null, null, null, errors, http);
    }

    @PostMapping(path = BASE + "/img2img", consumes = MediaType.APPLICATION_JSON_VALUE,
            produces = MediaType.APPLICATION_JSON_VALUE)
    @Operation(summary = "Image to image (AUTOMATIC1111)", description = """
            As txt2img, from init_images (one picture, resized to width × height, as A1111's 'Just resize') with \
            denoising_strength (default 0.75). With a mask (white repaints, of the picture's pixel size), it \
            inpaints as A1111 does, with A1111's defaults: mask_blur 4 (or mask_blur_x = mask_blur_y), \
            inpainting_fill 0 (fill; 1 original, 2 latent noise, 3 latent nothing), inpaint_full_res true (only the \
            masked area, at full resolution) with inpaint_full_res_padding 0, inpainting_mask_invert 0. Without a \
            mask those fields are ignored.""",
            requestBody = @io.swagger.v3.oas.annotations.parameters.RequestBody(content = @Content(
                    schema = @Schema(implementation = A1111Request.class), examples = @ExampleObject(value = """
                            {"prompt": "a red circle on a blue background", "init_images": ["<base64 PNG>"],
                             "denoising_strength": 0.6, "steps": 20, "cfg_scale": 7, "width": 64, "height": 64,
                             "sampler_name": "Euler a", "seed": 42}"""))))
    @ApiResponse(responseCode = "200", description = "The images", content = @Content(
            schema = @Schema(implementation = A1111Response.class)))
    @ApiResponse(responseCode = "400", description = "Invalid request; 'errors' lists the fields by A1111's names",
            content = @Content(mediaType = MediaType.APPLICATION_PROBLEM_JSON_VALUE,
                    schema = @Schema(implementation = ProblemDetail.class)))
    @ApiResponse(responseCode = "503", description = "Queue full, shutting down, or not done within the wait timeout "
            + "(the job is then cancelled); see Retry-After", content = @Content(
                    mediaType = MediaType.APPLICATION_PROBLEM_JSON_VALUE,
                    schema = @Schema(implementation = ProblemDetail.class)))
    public ResponseEntity<?> img2img(@RequestBody A1111Request request, HttpServletRequest http)
            throws InterruptedException {
        List<FieldError> errors = new ArrayList<>();
        List<String> images = request.initImages();
        if (images == null || images.isEmpty() || images.get(0) == null || images.get(0).isBlank()) {
            errors.add(new FieldError("init_images", "is required: one base64 picture"));
        } else if (images.size() > 1) {
            errors.add(new FieldError("init_images", "takes one picture here"));
        }
        Inpainting inpainting = request.mask() != null && !request.mask().isEmpty() ? inpainting(request, errors)
                : null;
        String initImage = errors.isEmpty() ? images.get(0) : null;
        double strength = request.denoisingStrength() == null ? A1111_IMG2IMG_STRENGTH : request.denoisingStrength();
        return generate(request, initImage, strength, inpainting, errors, http);
    }

    /** A1111's inpainting fields as {@code /generate} takes them. */
    private record Inpainting(String mask, boolean invert, int blur, GenerationSpec.MaskedContent content,
            GenerationSpec.InpaintArea area, int padding) {
    }

    /** The request's mask and its settings, A1111's defaults filled in; field errors for what cannot be mapped. */
    private static Inpainting inpainting(A1111Request request, List<FieldError> errors) {
        int blur;
        if (request.maskBlur() != null) {
            blur = request.maskBlur();  // A1111 sets both directions' blur to it
        } else {
            int x = request.maskBlurX() == null ? A1111_MASK_BLUR : request.maskBlurX();
            int y = request.maskBlurY() == null ? A1111_MASK_BLUR : request.maskBlurY();
            if (x != y) {
                errors.add(new FieldError("mask_blur_x", "must equal mask_blur_y here: the mask is blurred alike in "
                        + "both directions (send mask_blur)"));
            }
            blur = x;
        }
        int fill = request.inpaintingFill() == null ? A1111_INPAINTING_FILL : request.inpaintingFill();
        if (fill < 0 || fill >= INPAINTING_FILLS.size()) {
            errors.add(new FieldError("inpainting_fill", "must be 0 (fill), 1 (original), 2 (latent noise) or 3 "
                    + "(latent nothing)"));
            fill = A1111_INPAINTING_FILL;
        }
        boolean onlyMasked = request.inpaintFullRes() == null ? A1111_INPAINT_FULL_RES : request.inpaintFullRes();
        return new Inpainting(request.mask(), Boolean.TRUE.equals(request.inpaintingMaskInvert()), blur,
                INPAINTING_FILLS.get(fill), onlyMasked ? GenerationSpec.InpaintArea.MASKED
                        : GenerationSpec.InpaintArea.WHOLE,
                request.inpaintFullResPadding() == null ? A1111_INPAINT_PADDING : request.inpaintFullResPadding());
    }

    private ResponseEntity<?> generate(A1111Request request, String initImage, Double strength,
            Inpainting inpainting, List<FieldError> errors, HttpServletRequest http) throws InterruptedException {
        String model = model(request, errors);
        String scheduler = scheduler(request, model, errors);
        int batchSize = positive(errors, "batch_size", request.batchSize());
        int batches = positive(errors, "n_iter", request.nIter());
        if (!errors.isEmpty()) {
            throw new RequestValidationException(errors);
        }
        boolean randomSeed = request.seed() == null || request.seed() == RANDOM_SEED;
        GenerateRequest.Builder generate = GenerateRequest.builder().prompt(request.prompt())
                .negativePrompt(request.negativePrompt()).model(model).width(request.width()).height(request.height())
                .steps(request.steps()).guidanceScale(request.cfgScale()).scheduler(scheduler)
                .seed(randomSeed ? random.nextLong(A1111_SEED_BOUND) : request.seed())
                .numImages((int) Math.min(Integer.MAX_VALUE, (long) batchSize * batches))
                .eta(scheduler != null && SchedulerCatalog.takesEta(scheduler) ? request.eta() : null)
                .initImage(initImage).strength(initImage == null ? null : strength);
        if (inpainting != null) {
            generate.mask(inpainting.mask()).maskInvert(inpainting.invert()).maskBlur(inpainting.blur())
                    .maskedContent(GenerationSpec.id(inpainting.content()))
                    .inpaintArea(GenerationSpec.id(inpainting.area())).inpaintPadding(inpainting.padding());
        }
        GenerationSpec spec;
        try {
            spec = resolver.resolve(generate.build());
        } catch (RequestValidationException e) {
            throw new RequestValidationException(e.errors().stream()
                    .map(error -> new FieldError(A1111_FIELDS.getOrDefault(error.field(), error.field()),
                            error.message())).toList());
        }
        Job job = quota.submit(spec, ApiKeyFilter.owner(http));
        Job done;
        try {
            done = jobs.await(job.id(), settings.waitTimeout()).orElse(job);
        } finally {
            previews.stop(job.id());
        }
        if (!done.status().finished()) {
            // this client never learns the job's id: stop it rather than make images no one will fetch (unless it
            // has just ended)
            done = jobs.cancel(job.id()).orElse(done);
            if (!done.status().finished() || done.status() == JobStatus.CANCELLED) {
                throw new ServiceBusyException("the images were not ready within "
                        + settings.waitTimeout().toSeconds() + " s, so job " + job.id()
                        + " was cancelled; the service is busy, try again later");
            }
        }
        if (done.status() == JobStatus.FAILED) {
            ProblemDetail problem = ProblemDetail.forStatusAndDetail(HttpStatus.UNPROCESSABLE_CONTENT,
                    done.error() == null ? "job " + done.id() + " failed" : done.error().detail());
            problem.setTitle(done.error() == null ? "Generation failed" : done.error().title());
            return ResponseEntity.status(HttpStatus.UNPROCESSABLE_CONTENT)
                    .contentType(MediaType.APPLICATION_PROBLEM_JSON).body(problem);
        }
        // an interrupted job answers as A1111 does, with what it made: here, no image
        boolean made = done.status() == JobStatus.SUCCEEDED;
        List<String> images = made && !Boolean.FALSE.equals(request.sendImages())
                ? done.images().stream().map(image -> Base64.getEncoder().encodeToString(image.data())).toList()
                : List.of();
        long subseed = request.subseed() == null ? RANDOM_SEED : request.subseed();
        return ResponseEntity.ok(new A1111Response(images, request.echoed(),
                A1111Info.of(done, batchSize, subseed, made).json()));
    }

    /** The model named by {@code override_settings.sd_model_checkpoint}, by its title; null for the default. */
    private String model(A1111Request request, List<FieldError> errors) {
        Object checkpoint = request.overrideSettings() == null ? null : request.overrideSettings().get(MODEL_SETTING);
        if (checkpoint == null || checkpoint.toString().isBlank()) {
            return null;
        }
        Optional<ModelInfo> model = A1111CatalogController.modelByTitle(catalog, checkpoint.toString());
        if (model.isEmpty()) {
            errors.add(new FieldError("override_settings.sd_model_checkpoint", "unknown model '" + checkpoint
                    + "'; see GET /sdapi/v1/sd-models"));
            return null;
        }
        return model.get().name();
    }

    /** This service's scheduler for the request's sampler and schedule type; null for the model's default. */
    private String scheduler(A1111Request request, String model, List<FieldError> errors) {
        String sampler = request.samplerName() != null && !request.samplerName().isBlank() ? request.samplerName()
                : request.samplerIndex();
        if (sampler == null || sampler.isBlank()) {
            ModelInfo info = model == null ? catalog.defaultModel() : catalog.find(model).orElseThrow();
            sampler = info.defaultScheduler();
        }
        try {
            Optional<String> found = samplers.resolve(sampler, request.scheduler());
            if (found.isEmpty()) {
                errors.add(new FieldError("sampler_name", "unknown sampler '" + sampler + "'; one of "
                        + String.join(", ", samplers.samplerNames())));
            }
            return found.orElse(null);
        } catch (IllegalArgumentException e) {
            errors.add(new FieldError("scheduler", e.getMessage()));
            return null;
        }
    }

    private static int positive(List<FieldError> errors, String field, Integer value) {
        if (value == null) {
            return 1;
        }
        if (value < 1) {
            errors.add(new FieldError(field, "must be at least 1"));
        }
        return Math.max(1, value);
    }
}
