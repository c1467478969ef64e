package dev.diffusion.api.a1111;

import dev.diffusion.ServesApi;
import dev.diffusion.jobs.Job;
import dev.diffusion.jobs.JobQuery;
import dev.diffusion.jobs.JobService;
import dev.diffusion.jobs.JobStatus;
import dev.diffusion.security.ApiKeyFilter;
import io.swagger.v3.oas.annotations.Operation;
import io.swagger.v3.oas.annotations.Parameter;
import io.swagger.v3.oas.annotations.tags.Tag;
import jakarta.servlet.http.HttpServletRequest;
import java.time.Clock;
import java.time.Duration;
import java.time.ZoneOffset;
import java.time.format.DateTimeFormatter;
import java.util.Base64;
import java.util.Comparator;
import java.util.List;
import java.util.Map;
import java.util.Set;
import org.springframework.http.MediaType;
import org.springframework.web.bind.annotation.GetMapping;
import org.springframework.web.bind.annotation.PostMapping;
import org.springframework.web.bind.annotation.RequestParam;
import org.springframework.web.bind.annotation.RestController;
import tools.jackson.databind.PropertyNamingStrategies;
import tools.jackson.databind.annotation.JsonNaming;

/**
 * AUTOMATIC1111's {@code progress} and {@code interrupt}, for the caller's own jobs (every job when API keys are
 * off): A1111 has one global generation, this service one per caller.
 */
@ServesApi
@RestController
@Tag(name = "automatic1111")
public class A1111ProgressController {

    private static final String BASE = A1111GenerationController.BASE;
    /** A1111's progress starts at this, so that a job that has begun never shows 0. */
    private static final double STARTED = 0.01;
    /** The most of a caller's unfinished jobs looked at. */
    private static final int MAX_LISTED = 100;
    private static final DateTimeFormatter TIMESTAMP = DateTimeFormatter.ofPattern("yyyyMMddHHmmss")
            .withZone(ZoneOffset.UTC);

    private final JobService jobs;
    private final LivePreviews previews;
    private final Clock clock;

    public A1111ProgressController(JobService jobs, LivePreviews previews, Clock clock) {
        this.jobs = jobs;
        this.previews = previews;
        this.clock = clock;
    }

    /** A1111's {@code state}: what its single generation is doing; here, the caller's oldest unfinished job. */
    @JsonNaming(PropertyNamingStrategies.SnakeCaseStrategy.class)
    public record State(boolean skipped, boolean interrupted, boolean stoppingGeneration, String job, int jobCount,
            String jobTimestamp, int jobNo, int samplingStep, int samplingSteps) {
    }

    /**
     * @param progress    0..1 of the reported job
     * @param etaRelative seconds left, estimated from the time taken so far
     */
    @JsonNaming(PropertyNamingStrategies.SnakeCaseStrategy.class)
    public record Progress(double progress, double etaRelative, State state, String currentImage, String textinfo) {
    }

    @GetMapping(path = BASE + "/progress", produces = MediaType.APPLICATION_JSON_VALUE)
    @Operation(summary = "Progress of the caller's oldest unfinished job",
            description = "job_count is the caller's queued and running jobs (0 and progress 0 when idle); the rest "
                    + "is about the oldest running one, else the first queued. current_image is the latest preview "
                    + "(every diffusion.workers.preview-every steps) from the second call about a job on, as the "
                    + "worker makes previews only once someone watches.")
    public Progress progress(
            @Parameter(description = "Leave current_image out") @RequestParam(name = "skip_current_image",
                    defaultValue = "false") boolean skipCurrentImage,
            HttpServletRequest http) {
        List<Job> unfinished = unfinished(ApiKeyFilter.owner(http), Set.of(JobStatus.QUEUED, JobStatus.RUNNING));
        if (unfinished.isEmpty()) {
            return new Progress(0, 0, new State(false, false, false, "", 0, "0", 0, 0, 0), null, null);
        }
        Job job = unfinished.stream().filter(j -> j.status() == JobStatus.RUNNING).findFirst()
                .orElse(unfinished.get(0));
        State state = new State(false, false, false, job.spec().imageToImage() ? "scripts_img2img" : "scripts_txt2img",
                unfinished.size(), TIMESTAMP.format(job.createdAt()), 0, job.step(), job.totalSteps());
        if (job.status() == JobStatus.QUEUED) {
            return new Progress(0, 0, state, null, "In queue, position " + (jobs.queuePosition(job.id()) + 1));
        }
        double progress = Math.min(1, STARTED + (job.totalSteps() > 0 ? (double) job.step() / job.totalSteps() : 0));
        double elapsed = Duration.between(job.startedAt(), clock.instant()).toMillis() / 1000.0;
        byte[] preview = skipCurrentImage ? null : previews.latest(job.id());
        return new Progress(progress, elapsed / progress - elapsed, state,
                preview == null ? null : Base64.getEncoder().encodeToString(preview), null);
    }

    @PostMapping(path = BASE + "/interrupt", produces = MediaType.APPLICATION_JSON_VALUE)
    @Operation(summary = "Cancel the caller's running jobs",
            description = "Each stops at its next step; a txt2img or img2img waiting for it answers with no images. "
                    + "Queued jobs are left to run, as A1111's interrupt stops the current generation only.")
    public Map<String, Object> interrupt(HttpServletRequest http) {
        unfinished(ApiKeyFilter.owner(http), Set.of(JobStatus.RUNNING)).forEach(job -> jobs.cancel(job.id()));
        return Map.of();
    }

    /** The owner's jobs of these statuses, oldest first. */
    private List<Job> unfinished(String owner, Set<JobStatus> statuses) {
        return jobs.list(new JobQuery(owner, statuses, null, null, MAX_LISTED)).jobs().stream()
                .sorted(Comparator.comparing(Job::createdAt)).toList();
    }
}
