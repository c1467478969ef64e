package dev.diffusion.worker;

import dev.diffusion.jobs.GenerationSpec;
import dev.diffusion.jobs.Job;
import dev.diffusion.jobs.JobError;
import dev.diffusion.jobs.JobLeases;
import dev.diffusion.pipeline.DiffusionPipeline;
import dev.diffusion.pipeline.GeneratedImage;
import dev.diffusion.pipeline.GenerationException;
import dev.diffusion.pipeline.ImageSampling;
import dev.diffusion.worker.DenoisingGroup.Member;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.function.BooleanSupplier;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * A worker's step-level ("continuous") batcher: the life of the jobs in its {@link DenoisingGroup}s. A worker holds up
 * to {@code maxGroups} groups, one per model and image size it is running, and shares its time between them fairly:
 * the group that has had the least time takes the next step. So a job of another size starts at the next step
 * boundary, and a small job runs at about half its own speed beside a large one instead of waiting for it to end. Jobs join between steps
 * and leave when they finish, fail, are cancelled or time out; previews are made for watched jobs; finished images
 * are encoded by {@link ImageOutput}. One job's failure ends that job only; a failed call ends its group's jobs only.
 */
final class StepBatcher {

    private static final Logger log = LoggerFactory.getLogger(StepBatcher.class);

    private final Map<String, DiffusionPipeline> pipelines;
    private final Map<String, CallBudget> budgets;
    private final JobLeases jobs;
    private final EngineRequests engineRequests;
    private final int maxBatchSize;
    private final int maxGroups;
    private final int previewEvery;
    private final Duration jobTimeout;
    private final Clock clock;
    private final BooleanSupplier aborting;
    private final WorkerPace pace;
    private final List<DenoisingGroup> groups = new ArrayList<>();
    /** Steps taken by this worker, to tell which of two groups of equal time stepped last. */
    private long turns;

    /** @param budgets per model, what its calls may take on this worker; a model without one is not bounded here */
    StepBatcher(Map<String, DiffusionPipeline> pipelines, Map<String, CallBudget> budgets, JobLeases jobs,
            EngineRequests engineRequests, int maxBatchSize, int maxGroups, int previewEvery, Duration jobTimeout,
            Clock clock, BooleanSupplier aborting, WorkerPace pace) {
        this.pipelines = pipelines;
        this.budgets = budgets;
        this.jobs = jobs;
        this.engineRequests = engineRequests;
        this.maxBatchSize = maxBatchSize;
        this.maxGroups = maxGroups;
        this.previewEvery = previewEvery;
        this.jobTimeout = jobTimeout;
        this.clock = clock;
        this.aborting = aborting;
        this.pace = pace;
    }

    boolean isEmpty() {
        return groups.isEmpty();
    }

    /** Whether some job could still join: a group has room, or another group may start. */
    boolean hasRoom() {
        return groups.size() < maxGroups || groups.stream().anyMatch(group -> group.size() < maxBatchSize);
    }

    /**
     * Whether the job may join the running group of its model and size (room left, and the group's UNet call with its
     * rows added stays within the worker's memory budget for the model), or, if no group has its size, start one.
     */
    boolean fits(GenerationSpec spec) {
        DenoisingGroup group = groupOf(spec);
        if (group == null) {
            return groups.size() < maxGroups;
        }
        if (group.size() >= maxBatchSize) {
            return false;
        }
        CallBudget budget = budgets.get(spec.model());
        if (budget == null) {
            return true;
        }
        int rows = budget.rows(spec) + group.members().stream().mapToInt(m -> budget.rows(m.job().spec())).sum();
        return budget.unetFits(rows, budget.area(spec));
    }

    /**
     * The running group of the job's model and size, null if none. Another group of the same size would only take
     * turns with it, so a job waits for room in its own.
     */
    private DenoisingGroup groupOf(GenerationSpec spec) {
        return groups.stream().filter(group -> group.fits(spec)).findFirst().orElse(null);
    }

    /**
     * Adds a running job that {@link #fits}: encodes its text and seeds its images, ready to take its first step in
     * the group's next call. A job that cannot start (unknown model or scheduler, say) fails alone.
     */
    void admit(Job job) {
        try {
            DiffusionPipeline pipeline = pipelines.get(job.spec().model());
            if (pipeline == null) {
                throw new IllegalArgumentException("model " + job.spec().model() + " is not served by this worker");
            }
            CallBudget budget = budgets.get(job.spec().model());
            if (budget != null && !budget.unetFits(budget.rows(job.spec()), budget.area(job.spec()))) {
                // admitted by an API instance that read another worker's costs: this one cannot run it
                throw new IllegalArgumentException("the job needs more native memory for one UNet call than this "
                        + "worker may spend (diffusion.limits.max-native-memory); ask for a smaller size or fewer "
                        + "images");
            }
            EngineRequests.Prepared prepared = engineRequests.of(job.spec());
            List<ImageSampling> images = pipeline.prepare(prepared.request());
            DenoisingGroup group = groupOf(job.spec());
            if (group == null) {
                group = new DenoisingGroup(groups.stream().mapToLong(DenoisingGroup::usedNanos).min().orElse(0));
                groups.add(group);
            }
            group.add(new Member(job, pipeline, images, job.startedAt().plus(jobTimeout), prepared.finish()));
        } catch (RuntimeException | Error e) {
            // not in a group yet, so the worker's own safety net would not end it
            failOrRelease(job, e);
        }
    }

    /**
     * Drops the jobs of every group that were cancelled or ran out of time, then makes one UNet call for every image
     * of the next group's jobs, then tells each of them its progress and, once it is done, gives it its images.
     */
    void step() {
        for (DenoisingGroup group : groups) {
            group.members().forEach(member -> stopIfUnwanted(group, member));
        }
        groups.removeIf(DenoisingGroup::isEmpty);
        if (groups.isEmpty()) {
            return;
        }
        DenoisingGroup group = groups.stream().min(Comparator.comparingLong(DenoisingGroup::usedNanos)
                .thenComparingLong(DenoisingGroup::lastTurn)).orElseThrow();
        String label = group.label();
        Instant began = clock.instant();
        try {
            step(group);
        } catch (RuntimeException | Error e) {
            log.error("a step of the {} group failed; its jobs end", label, e);
            group.members().forEach(member -> fail(group, member, e));
        }
        group.charge(Duration.between(began, clock.instant()).toNanos(), ++turns);
        groups.removeIf(DenoisingGroup::isEmpty);
    }

    private void step(DenoisingGroup group) {
        GenerationSpec spec = group.members().get(0).job().spec();
        CallBudget budget = budgets.get(spec.model());
        int rows = budget == null ? 0 : group.members().stream().mapToInt(m -> budget.rows(m.job().spec())).sum();
        Instant began = clock.instant();
        Map<Member, RuntimeException> failed = group.step();
        if (budget != null) {
            pace.observe(spec.model(), budget.unetSeconds(rows, budget.area(spec)),
                    Duration.between(began, clock.instant()).toNanos());
        }
        failed.forEach((member, cause) -> fail(group, member, cause));
        Map<Member, List<ImageSampling>> wanted = new LinkedHashMap<>();
        for (Member member : group.members()) {
            if (member.done()) {
                wanted.put(member, member.images());
            } else if (previewEvery > 0 && member.stepsDone() % previewEvery == 0
                    && jobs.previewWanted(member.job().id())) {
                // a preview costs a VAE call and a PNG: made only while an event stream shows it
                wanted.put(member, member.images().subList(0, 1));
            }
        }
        if (group.isEmpty()) {
            return;
        }
        DenoisingGroup.Decoded decoded = group.decode(wanted, budget == null ? Integer.MAX_VALUE
                : budget.maxDecodeImages(budget.area(spec)));
        decoded.failures().forEach((member, cause) -> fail(group, member, cause));
        for (Member member : group.members()) {
            List<GeneratedImage> pixels = decoded.images().get(member);
            reportProgress(member, member.done() || pixels == null ? null : ImageOutput.preview(pixels.get(0)));
            if (member.done()) {
                // stays in the group until stored: if the store fails, the group's jobs end (or are released)
                jobs.succeed(member.job().id(), pixels.stream()
                        .map(image -> ImageOutput.finished(image, member.job().spec())).toList());
                group.remove(member);
            }
        }
    }

    /** Progress is news, not state: a store that fails to take it (Redis lost, say) does not stop the job. */
    private void reportProgress(Member member, byte[] preview) {
        try {
            jobs.progress(member.job().id(), member.stepsDone(), member.totalSteps(), preview);
        } catch (RuntimeException e) {
            log.warn("could not record the progress of job {}: {}", member.job().id(), e.toString());
        }
    }

    /** Ends every running job with {@code cause}: the worker's safety net, for a failure no single job caused. */
    void failAll(Throwable cause) {
        for (DenoisingGroup group : groups) {
            group.members().forEach(member -> fail(group, member, cause));
        }
        groups.clear();
    }

    /**
     * Ends the job if it was cancelled or ran out of time; drops it if the service is aborting (a durable queue gives
     * it to another worker, otherwise it fails).
     */
    private void stopIfUnwanted(DenoisingGroup group, Member member) {
        String id = member.job().id();
        if (jobs.cancelRequested(id)) {
            group.remove(member);
            jobs.markCancelled(id);
        } else if (aborting.getAsBoolean()) {
            group.remove(member);
            jobs.giveUp(id, new JobError("Service shutting down",
                    "the service shut down before the job could finish; submit it again"));
        } else if (clock.instant().isAfter(member.deadline())) {
            group.remove(member);
            jobs.fail(id, new JobError("Job timed out",
                    "the job ran longer than the limit of " + jobTimeout.toSeconds() + " s"));
        }
    }

    private void fail(DenoisingGroup group, Member member, Throwable cause) {
        group.remove(member);
        failOrRelease(member.job(), cause);
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
        // the engine's own messages are written for clients; what caused them (a libtorch error, say) is only logged
        log.error("job {} failed", job.id(), cause);
        if (cause instanceof GenerationException) {
            return new JobError("Generation failed", cause.getMessage());
        }
        return new JobError("Generation failed", "an internal error stopped the generation; it has been logged");
    }
}
