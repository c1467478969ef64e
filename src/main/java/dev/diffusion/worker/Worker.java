package dev.diffusion.worker;

import dev.diffusion.image.PngEncoder;
import dev.diffusion.jobs.Job;
import dev.diffusion.jobs.JobError;
import dev.diffusion.jobs.JobImage;
import dev.diffusion.jobs.JobService;
import dev.diffusion.pipeline.DiffusionPipeline;
import dev.diffusion.pipeline.GeneratedImage;
import dev.diffusion.pipeline.GenerationException;
import dev.diffusion.pipeline.GenerationRequest;
import dev.diffusion.pipeline.ImageSampling;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.Map;
import java.util.function.BooleanSupplier;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * One device's worker: takes jobs from the queue and runs them on its pipelines, one step at a time so that
 * progress, previews, cancellation and the job timeout take effect between steps. A job that fails never takes the
 * worker down.
 */
final class Worker implements Runnable {

    private static final Logger log = LoggerFactory.getLogger(Worker.class);
    private static final Duration POLL = Duration.ofMillis(250);

    private final String device;
    private final Map<String, DiffusionPipeline> pipelines;
    private final JobService jobs;
    private final WorkerProperties settings;
    private final Duration jobTimeout;
    private final Clock clock;
    private final BooleanSupplier stopping;
    private final BooleanSupplier aborting;
    private final Runnable busy;
    private final Runnable idle;

    Worker(String device, Map<String, DiffusionPipeline> pipelines, JobService jobs, WorkerProperties settings,
            Duration jobTimeout, Clock clock, BooleanSupplier stopping, BooleanSupplier aborting, Runnable busy,
            Runnable idle) {
        this.device = device;
        this.pipelines = pipelines;
        this.jobs = jobs;
        this.settings = settings;
        this.jobTimeout = jobTimeout;
        this.clock = clock;
        this.stopping = stopping;
        this.aborting = aborting;
        this.busy = busy;
        this.idle = idle;
    }

    @Override
    public void run() {
        while (!stopping.getAsBoolean()) {
            try {
                jobs.takeNext(POLL).ifPresent(this::execute);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                return;
            } catch (RuntimeException e) {
                log.error("worker on {} could not take a job", device, e);
            }
        }
    }

    private void execute(Job job) {
        busy.run();
        try {
            jobs.succeed(job.id(), run(job));
        } catch (Stopped stopped) {
            if (stopped.reason == null) {
                jobs.markCancelled(job.id());
            } else {
                jobs.fail(job.id(), stopped.reason);
            }
        } catch (IllegalArgumentException e) {
            jobs.fail(job.id(), new JobError("Invalid generation request", e.getMessage()));
        } catch (GenerationException e) {
            jobs.fail(job.id(), new JobError("Generation failed", e.getMessage()));
        } catch (RuntimeException | Error e) {
            log.error("job {} failed on {}", job.id(), device, e);
            jobs.fail(job.id(), new JobError("Generation failed", "internal error: " + e));
        } finally {
            idle.run();
        }
    }

    private List<JobImage> run(Job job) {
        DiffusionPipeline pipeline = pipelines.get(job.request().model());
        if (pipeline == null) {
            throw new IllegalArgumentException("model " + job.request().model() + " is not served by this worker");
        }
        GenerationRequest request = job.request().generation();
        Instant deadline = job.startedAt().plus(jobTimeout);
        List<ImageSampling> images = pipeline.prepare(request);
        ImageSampling first = images.get(0);
        while (!first.done()) {
            pipeline.step(images);
            int step = first.stepsDone();
            byte[] preview = settings.previewEvery() > 0 && step % settings.previewEvery() == 0 && !first.done()
                    ? png(pipeline.decode(List.of(first), request.width(), request.height()).get(0), Map.of())
                    : null;
            jobs.progress(job.id(), step, first.totalSteps(), preview);
            checkStillWanted(job, deadline);
        }
        return pipeline.decode(images, request.width(), request.height()).stream()
                .map(image -> new JobImage(image.index(), image.seed(),
                        png(image, Map.of("parameters", Infotext.of(job.request(), image.seed())))))
                .toList();
    }

    private void checkStillWanted(Job job, Instant deadline) {
        if (jobs.cancelRequested(job.id())) {
            throw new Stopped(null);
        }
        if (aborting.getAsBoolean()) {
            throw new Stopped(new JobError("Service shutting down",
                    "the service shut down before the job could finish; submit it again"));
        }
        if (clock.instant().isAfter(deadline)) {
            throw new Stopped(new JobError("Job timed out",
                    "the job ran longer than the limit of " + jobTimeout.toSeconds() + " s"));
        }
    }

    private static byte[] png(GeneratedImage image, Map<String, String> text) {
        return PngEncoder.encode(image.width(), image.height(), image.rgb(), text);
    }

    /** Ends a run between steps: cancelled (no reason) or failed with the reason. */
    private static final class Stopped extends RuntimeException {

        private final JobError reason;

        Stopped(JobError reason) {
            super(null, null, false, false);
            this.reason = reason;
        }
    }
}
