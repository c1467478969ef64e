package dev.diffusion.jobs;

import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.Gauge;
import io.micrometer.core.instrument.MeterRegistry;
import io.micrometer.core.instrument.Timer;
import java.time.Clock;
import java.time.Duration;

/**
 * The job-level meters: jobs submitted and finished, queue depth, lag and wait, job duration, images generated (the
 * names the README's metrics table lists). Tags carry model, scheduler and status, never prompts.
 */
public class JobMetrics {

    /** Timers publish histograms up to this, so slow jobs still land in a bucket. */
    public static final Duration MAX_EXPECTED = Duration.ofMinutes(10);

    private final MeterRegistry registry;

    public JobMetrics(MeterRegistry registry, JobQueue queue, Clock clock) {
        this.registry = registry;
        Gauge.builder("diffusion.queue.depth", queue, JobQueue::depth)
                .description("Jobs waiting for a worker")
                .register(registry);
        Gauge.builder("diffusion.queue.lag", queue, waiting -> waiting.oldestWaitingSince()
                        .map(since -> Duration.between(since, clock.instant()).toMillis() / 1000.0).orElse(0.0))
                .description("How long the oldest waiting job has waited")
                .baseUnit("seconds")
                .register(registry);
    }

    void submitted(GenerationSpec spec) {
        Counter.builder("diffusion.jobs.submitted").tags(tags(spec)).register(registry).increment();
    }

    void started(Job job) {
        timer("diffusion.queue.wait", "Time from submission to a worker taking the job", job.spec())
                .record(Duration.between(job.createdAt(), job.startedAt()));
    }

    void finished(Job job) {
        Counter.builder("diffusion.jobs.finished").tags(tags(job.spec()))
                .tag("status", job.status().name().toLowerCase(java.util.Locale.ROOT))
                .register(registry).increment();
        if (job.startedAt() != null) {
            timer("diffusion.job.duration", "Time a worker spent on the job", job.spec())
                    .record(Duration.between(job.startedAt(), job.finishedAt()));
        }
        if (!job.images().isEmpty()) {
            Counter.builder("diffusion.images.generated").tags(tags(job.spec())).register(registry)
                    .increment(job.images().size());
        }
    }

    private Timer timer(String name, String description, GenerationSpec spec) {
        return Timer.builder(name).description(description).tags(tags(spec))
                .publishPercentileHistogram()
                .maximumExpectedValue(MAX_EXPECTED)
                .register(registry);
    }

    private static String[] tags(GenerationSpec spec) {
        return new String[] {"model", spec.model(), "scheduler", spec.scheduler()};
    }
}
