package dev.diffusion.worker;

import dev.diffusion.image.PngEncoder;
import dev.diffusion.jobs.Job;
import dev.diffusion.jobs.JobError;
import dev.diffusion.jobs.JobImage;
import dev.diffusion.jobs.JobRequest;
import dev.diffusion.jobs.JobService;
import dev.diffusion.pipeline.DiffusionPipeline;
import dev.diffusion.pipeline.GeneratedImage;
import dev.diffusion.pipeline.GenerationException;
import dev.diffusion.pipeline.GenerationRequest;
import dev.diffusion.pipeline.ImageSampling;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.function.BooleanSupplier;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * A worker's step-level ("continuous") batcher. The active group holds up to {@code maxBatchSize} jobs of one model
 * and one image size; each {@link #step} advances all their images with ONE UNet call, every image at its own
 * timestep with its own text rows, guidance, scheduler and seed, so an image comes out as it would alone. Jobs join
 * between steps and leave when they finish, fail, are cancelled or time out; the images that finish in the same step,
 * and the previews due, are decoded in one VAE call. One job's failure ends that job only.
 */
final class StepBatcher {

    private static final Logger log = LoggerFactory.getLogger(StepBatcher.class);

    private final Map<String, DiffusionPipeline> pipelines;
    private final JobService jobs;
    private final int maxBatchSize;
    private final int previewEvery;
    private final Duration jobTimeout;
    private final Clock clock;
    private final BooleanSupplier aborting;
    private final List<ActiveJob> active = new ArrayList<>();

    StepBatcher(Map<String, DiffusionPipeline> pipelines, JobService jobs, int maxBatchSize, int previewEvery,
            Duration jobTimeout, Clock clock, BooleanSupplier aborting) {
        this.pipelines = pipelines;
        this.jobs = jobs;
        this.maxBatchSize = maxBatchSize;
        this.previewEvery = previewEvery;
        this.jobTimeout = jobTimeout;
        this.clock = clock;
        this.aborting = aborting;
    }

    boolean isEmpty() {
        return active.isEmpty();
    }

    boolean hasRoom() {
        return active.size() < maxBatchSize;
    }

    /** Any job fits an empty group; otherwise only jobs of the group's model and image size share its UNet calls. */
    boolean fits(JobRequest request) {
        if (active.isEmpty()) {
            return true;
        }
        JobRequest group = active.get(0).job().request();
        return request.model().equals(group.model())
                && request.generation().width() == group.generation().width()
                && request.generation().height() == group.generation().height();
    }

    /**
     * Adds a running job that {@link #fits}: encodes its text and seeds its images, ready to take its first step in
     * the group's next call. A job that cannot start (unknown model or scheduler, say) fails alone.
     */
    void admit(Job job) {
        try {
            DiffusionPipeline pipeline = pipelines.get(job.request().model());
            if (pipeline == null) {
                throw new IllegalArgumentException("model " + job.request().model() + " is not served by this worker");
            }
            List<ImageSampling> images = pipeline.prepare(job.request().generation());
            active.add(new ActiveJob(job, pipeline, images, job.startedAt().plus(jobTimeout)));
        } catch (RuntimeException | Error e) {
            // not in the group yet, so the worker's own safety net would not end it
            failOrRelease(job, e);
        }
    }

    /**
     * Drops the jobs that were cancelled or ran out of time, then makes one UNet call for every image of the others,
     * then tells each job its progress and, once it is done, gives it its images.
     */
    void step() {
        for (ActiveJob job : List.copyOf(active)) {
            stopIfUnwanted(job);
        }
        if (active.isEmpty()) {
            return;
        }
        DiffusionPipeline pipeline = active.get(0).pipeline();
        Map<ImageSampling, RuntimeException> failures =
                pipeline.step(active.stream().flatMap(job -> job.images().stream()).toList());
        List<ActiveJob> stepped = new ArrayList<>();
        Map<ActiveJob, List<ImageSampling>> toDecode = new LinkedHashMap<>();
        for (ActiveJob job : List.copyOf(active)) {
            RuntimeException failure = job.images().stream().map(failures::get).filter(Objects::nonNull)
                    .findFirst().orElse(null);
            if (failure != null) {
                fail(job, failure);
                continue;
            }
            stepped.add(job);
            if (job.done()) {
                toDecode.put(job, job.images());
            } else if (previewEvery > 0 && job.stepsDone() % previewEvery == 0
                    && jobs.previewWanted(job.job().id())) {
                // a preview costs a VAE call and a PNG: made only while an event stream shows it
                toDecode.put(job, job.images().subList(0, 1));
            }
        }
        Map<ActiveJob, List<GeneratedImage>> decoded = decode(pipeline, toDecode);
        for (ActiveJob job : stepped) {
            if (toDecode.containsKey(job) && !decoded.containsKey(job)) {
                continue;  // its decoding failed, which ended it
            }
            byte[] preview = job.done() || !decoded.containsKey(job) ? null : png(decoded.get(job).get(0), Map.of());
            reportProgress(job, preview);
            if (job.done()) {
                List<JobImage> images = decoded.get(job).stream()
                        .map(image -> new JobImage(image.index(), image.seed(), png(image,
                                Map.of("parameters", Infotext.of(job.job().request(), image.seed())))))
                        .toList();
                // stays in the group until stored: if the store fails, the worker's safety net releases it
                jobs.succeed(job.job().id(), images);
                active.remove(job);
            }
        }
    }

    /** Progress is news, not state: a store that fails to take it (Redis lost, say) does not stop the job. */
    private void reportProgress(ActiveJob job, byte[] preview) {
        try {
            jobs.progress(job.job().id(), job.stepsDone(), job.totalSteps(), preview);
        } catch (RuntimeException e) {
            log.warn("could not record the progress of job {}: {}", job.job().id(), e.toString());
        }
    }

    /** Ends every job of the group with {@code cause}, a failure of the shared call that no single job caused. */
    void failAll(Throwable cause) {
        for (ActiveJob job : List.copyOf(active)) {
            fail(job, cause);
        }
    }

    /**
     * Decodes the wanted images of several jobs in one VAE call. If that call fails, each job is decoded alone, so
     * that only the job at fault fails; a job missing from the answer has failed and left the group.
     */
    private Map<ActiveJob, List<GeneratedImage>> decode(DiffusionPipeline pipeline,
            Map<ActiveJob, List<ImageSampling>> wanted) {
        Map<ActiveJob, List<GeneratedImage>> decoded = new LinkedHashMap<>();
        if (wanted.isEmpty()) {
            return decoded;
        }
        GenerationRequest size = wanted.keySet().iterator().next().job().request().generation();
        try {
            List<GeneratedImage> all = pipeline.decode(wanted.values().stream().flatMap(List::stream).toList(),
                    size.width(), size.height());
            int next = 0;
            for (Map.Entry<ActiveJob, List<ImageSampling>> entry : wanted.entrySet()) {
                decoded.put(entry.getKey(), all.subList(next, next + entry.getValue().size()));
                next += entry.getValue().size();
            }
        } catch (RuntimeException batchFailure) {
            for (Map.Entry<ActiveJob, List<ImageSampling>> entry : wanted.entrySet()) {
                try {
                    decoded.put(entry.getKey(), pipeline.decode(entry.getValue(), size.width(), size.height()));
                } catch (RuntimeException e) {
                    fail(entry.getKey(), e);
                }
            }
        }
        return decoded;
    }

    /**
     * Ends the job if it was cancelled or ran out of time; drops it if the service is aborting (a durable queue gives
     * it to another worker, otherwise it fails).
     */
    private void stopIfUnwanted(ActiveJob job) {
        String id = job.job().id();
        if (jobs.cancelRequested(id)) {
            active.remove(job);
            jobs.markCancelled(id);
        } else if (aborting.getAsBoolean()) {
            active.remove(job);
            jobs.giveUp(id, new JobError("Service shutting down",
                    "the service shut down before the job could finish; submit it again"));
        } else if (clock.instant().isAfter(job.deadline())) {
            active.remove(job);
            jobs.fail(id, new JobError("Job timed out",
                    "the job ran longer than the limit of " + jobTimeout.toSeconds() + " s"));
        }
    }

    private void fail(ActiveJob job, Throwable cause) {
        active.remove(job);
        failOrRelease(job.job(), cause);
    }

    private void failOrRelease(Job job, Throwable cause) {
        try {
            jobs.fail(job.id(), reasonFor(job, cause));
        } catch (RuntimeException storeFailure) {
            // the job store itself failed (Redis lost, say): a durable queue hands the job to a worker later
            log.warn("could not record the failure of job {}; releasing it", job.id(), storeFailure);
            jobs.release(job.id());
        }
    }

    private static JobError reasonFor(Job job, Throwable cause) {
        if (cause instanceof IllegalArgumentException) {
            return new JobError("Invalid generation request", cause.getMessage());
        }
        if (cause instanceof GenerationException) {
            return new JobError("Generation failed", cause.getMessage());
        }
        log.error("job {} failed", job.id(), cause);
        return new JobError("Generation failed", "internal error: " + cause);
    }

    private static byte[] png(GeneratedImage image, Map<String, String> text) {
        return PngEncoder.encode(image.width(), image.height(), image.rgb(), text);
    }

    /** A job in the group: its images advance together, so the first one tells the job's progress. */
    private record ActiveJob(Job job, DiffusionPipeline pipeline, List<ImageSampling> images, Instant deadline) {

        boolean done() {
            return images.get(0).done();
        }

        int stepsDone() {
            return images.get(0).stepsDone();
        }

        int totalSteps() {
            return images.get(0).totalSteps();
        }
    }
}
