package dev.diffusion.api.generate;

import dev.diffusion.api.GenerateRequest;
import dev.diffusion.jobs.GenerationSpec;
import dev.diffusion.jobs.Job;
import dev.diffusion.jobs.JobError;
import io.swagger.v3.oas.annotations.media.Schema;
import java.time.Instant;
import java.util.List;
import java.util.Locale;
import tools.jackson.databind.PropertyNamingStrategies;
import tools.jackson.databind.annotation.JsonNaming;

/** A job as the API shows it on every route that returns one (the README's "HTTP API" section). */
@JsonNaming(PropertyNamingStrategies.SnakeCaseStrategy.class)
@Schema(description = "A generation job")
public record JobView(
        @Schema(example = "6f1c2e0a-4b7d-4d7e-9a51-2f0c6f3b9e11") String id,
        @Schema(allowableValues = {"queued", "running", "succeeded", "failed", "cancelled"}) String status,
        @Schema(description = "0 for the next job to run; null unless queued") Integer queuePosition,
        Progress progress,
        Instant createdAt,
        Instant startedAt,
        Instant finishedAt,
        @Schema(description = "The request with every default resolved, the seed included") GenerateRequest request,
        List<ImageRef> images,
        @Schema(description = "Why the job failed, as a problem detail; null otherwise") ErrorView error) {

    @JsonNaming(PropertyNamingStrategies.SnakeCaseStrategy.class)
    public record Progress(int step, int totalSteps) {
    }

    public record ImageRef(int index, long seed, String url) {
    }

    public record ErrorView(String type, String title, String detail) {
    }

    static JobView of(Job job, int queuePosition) {
        String base = "/jobs/" + job.id();
        return new JobView(job.id(), job.status().name().toLowerCase(Locale.ROOT),
                queuePosition >= 0 ? queuePosition : null,
                new Progress(job.step(), job.totalSteps()),
                job.createdAt(), job.startedAt(), job.finishedAt(),
                echo(job.spec()),
                job.images().stream()
                        .map(image -> new ImageRef(image.index(), image.seed(), base + "/images/" + image.index()))
                        .toList(),
                error(job.error()));
    }

    /** The spec in the request's own terms; the init image and the mask are not echoed back. */
    private static GenerateRequest echo(GenerationSpec spec) {
        GenerateRequest.Builder echo = GenerateRequest.builder();
        if (spec.inpainting()) {
            GenerationSpec.Inpainting inpainting = spec.initImage().inpainting();
            GenerationSpec.Outpaint outpaint = inpainting.outpaint();
            echo.maskMode(GenerationSpec.id(inpainting.maskMode())).maskInvert(inpainting.maskInvert())
                    .maskBlur(inpainting.maskBlur()).maskedContent(GenerationSpec.id(inpainting.maskedContent()))
                    .inpaintArea(GenerationSpec.id(inpainting.area())).inpaintPadding(inpainting.padding())
                    .outpaint(outpaint == null ? null : new GenerateRequest.Outpaint(outpaint.left(), outpaint.right(),
                            outpaint.up(), outpaint.down(), GenerationSpec.id(outpaint.fill())));
        }
        return echo.prompt(spec.prompt()).negativePrompt(spec.negativePrompt())
                .model(spec.model()).width(spec.width()).height(spec.height()).steps(spec.steps())
                .guidanceScale(spec.guidanceScale()).guidanceRescale(spec.guidanceRescale())
                .scheduler(spec.scheduler()).seed(spec.seed()).numImages(spec.numImages()).eta(spec.eta())
                .strength(spec.imageToImage() ? spec.initImage().strength() : null)
                .outputFormat(spec.output().format().id()).outputCompression(spec.output().compression())
                .webhook(spec.webhook() == null ? null : spec.webhook().url())
                .webhookEvents(spec.webhook() == null ? null : spec.webhook().events()).build();
    }

    private static ErrorView error(JobError error) {
        return error == null ? null : new ErrorView("about:blank", error.title(), error.detail());
    }
}
