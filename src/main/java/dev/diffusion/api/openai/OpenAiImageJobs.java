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
import jakarta.servlet.http.HttpServletRequest;
import java.util.Base64;
import java.util.List;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.springframework.http.HttpStatus;
import org.springframework.http.ResponseEntity;
import org.springframework.stereotype.Component;
import org.springframework.web.servlet.support.ServletUriComponentsBuilder;

/**
 * What OpenAI's generations and edits endpoints share: their fields read as OpenAI means them, and their job submitted
 * (idempotently, under the client's quota), awaited and answered in OpenAI's shape.
 */
@ServesApi
@Component
public class OpenAiImageJobs {

    static final String URL = "url";
    static final String B64_JSON = "b64_json";
    /** OpenAI's own size for "let the model choose"; here, the model's sample size. */
    private static final String AUTO_SIZE = "auto";
    private static final Pattern SIZE = Pattern.compile("(\\d{1,5})x(\\d{1,5})");

    /** A size the client asked for; null sides for the model's own. */
    record Size(Integer width, Integer height) {
    }

    private final JobService jobs;
    private final RequestResolver resolver;
    private final ActiveJobQuota quota;
    private final ModelCatalog catalog;
    private final JobsProperties settings;
    private final IdempotentSubmissions submissions;

    OpenAiImageJobs(JobService jobs, RequestResolver resolver, ActiveJobQuota quota, ModelCatalog catalog,
            JobsProperties settings, IdempotentSubmissions submissions) {
        this.jobs = jobs;
        this.resolver = resolver;
        this.quota = quota;
        this.catalog = catalog;
        this.settings = settings;
        this.submissions = submissions;
    }

    /** The answer's format, {@code url} unless asked otherwise; a field error if it is neither of OpenAI's. */
    static String responseFormat(String format, List<FieldError> errors) {
        if (format == null) {
            return URL;
        }
        if (!format.equals(URL) && !format.equals(B64_JSON)) {
            errors.add(new FieldError("response_format", "must be url or b64_json"));
        }
        return format;
    }

    /** {@code WIDTHxHEIGHT}, or the model's own size for none or {@code auto}; a field error for anything else. */
    static Size size(String size, List<FieldError> errors) {
        if (size == null || size.equals(AUTO_SIZE)) {
            return new Size(null, null);
        }
        Matcher matched = SIZE.matcher(size);
        if (!matched.matches()) {
            errors.add(new FieldError("size", "must be WIDTHxHEIGHT, such as 512x512, or auto"));
            return new Size(null, null);
        }
        return new Size(Integer.valueOf(matched.group(1)), Integer.valueOf(matched.group(2)));
    }

    /** A served model by its name; any other name, such as OpenAI's own, means the default model. */
    String servedModel(String name) {
        return name != null && catalog.find(name).isPresent() ? name : null;
    }

    /**
     * Submits {@code generation} and blocks until its job ends (at most {@code diffusion.jobs.wait-timeout}; past it
     * the job is cancelled, since this client never learns its id).
     *
     * @param endpoint the path the request came to, and {@code body} what it sent: an Idempotency-Key is bound to them
     * @param format   {@link #URL} or {@link #B64_JSON}
     */
    ResponseEntity<?> run(GenerateRequest generation, String endpoint, Object body, String idempotencyKey,
            String format, HttpServletRequest http) throws InterruptedException {
        String owner = ApiKeyFilter.owner(http);
        IdempotentSubmissions.Submission submission = submissions.submit(idempotencyKey, owner, endpoint, body,
                () -> quota.submit(resolver.resolve(generation), owner));
        Job job = submission.job();

        Job done = jobs.await(job.id(), settings.waitTimeout()).orElse(job);
        boolean timedOut = !done.status().finished();
        if (timedOut) {
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

    private static OpenAiImagesResponse response(Job job, String format) {
        List<OpenAiImagesResponse.Image> images = job.images().stream().map(image -> format.equals(B64_JSON)
                ? new OpenAiImagesResponse.Image(Base64.getEncoder().encodeToString(image.data()), null)
                : new OpenAiImagesResponse.Image(null, ServletUriComponentsBuilder.fromCurrentContextPath()
                        .path("/jobs/{id}/images/{index}").buildAndExpand(job.id(), image.index()).toUriString()))
                .toList();
        return new OpenAiImagesResponse(job.createdAt().getEpochSecond(), images);
    }
}
