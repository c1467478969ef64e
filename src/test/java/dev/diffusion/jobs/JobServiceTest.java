package dev.diffusion.jobs;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import java.time.Clock;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.function.UnaryOperator;
import org.junit.jupiter.api.Test;

/**
 * The job life cycle rules that both backends rely on, through both sides (the API's {@link JobService}, the workers'
 * {@link JobLeases}): one ending, acknowledgement, refusal, giving up.
 */
public class JobServiceTest {

    private final Clock clock = Clock.systemUTC();
    private final List<String> acknowledged = new ArrayList<>();
    private final List<String> released = new ArrayList<>();
    private final List<JobEvent> events = new ArrayList<>();
    /** What the ledger's listener heard: type, job id and the job's status. */
    private final List<String> changes = new ArrayList<>();

    /** Both sides over one store and queue. */
    private record Sides(JobService jobs, JobLeases leases, JobQueue queue) {
    }

    /** Deliveries the queue reports for every job, as a durable queue counts workers lost with it. */
    private int deliveries = 1;

    private Sides sides(JobStore store, boolean durable) {
        JobQueue queue = new InMemoryJobQueue(4, clock) {
            @Override
            public int deliveries(String jobId) {
                return deliveries;
            }

            @Override
            public void acknowledge(String jobId) {
                acknowledged.add(jobId);
            }

            @Override
            public void release(String jobId) {
                released.add(jobId);
            }

            @Override
            public boolean durable() {
                return durable;
            }
        };
        LocalJobEvents local = new LocalJobEvents() {
            @Override
            public void publish(JobEvent event) {
                events.add(event);
            }
        };
        JobLedger ledger = new JobLedger(store, queue, local, new InMemoryCancelRequests(),
                new JobMetrics(new SimpleMeterRegistry(), queue, clock), clock, 3,
                List.of((type, job) -> changes.add(type + " " + job.id() + " " + job.status())));
        return new Sides(new JobService(ledger), new JobLeases(ledger), queue);
    }

    public static GenerationSpec spec() {
        return GenerationSpec.builder().model("tiny").prompt("a red circle").width(64).height(64).steps(4)
                .guidanceScale(5).scheduler("ddim").seed(1).build();
    }

    @Test
    void listenersHearEachChangeWithTheJobAsItThenStands() throws Exception {
        Sides sides = sides(new InMemoryJobStore(), false);
        String id = sides.jobs().submit(spec(), null).id();
        sides.leases().takeNext(Duration.ZERO);
        sides.leases().progress(id, 1, 4, null);
        sides.leases().succeed(id, List.of());

        assertThat(changes).containsExactly("queued " + id + " QUEUED", "started " + id + " RUNNING",
                "progress " + id + " RUNNING", "succeeded " + id + " SUCCEEDED");
    }

    @Test
    void anEndingStoredByAWorkerThatDiedBeforeAcknowledgingIsToldAgainByTheWorkerThatTakesTheJobOver()
            throws Exception {
        InMemoryJobStore store = new InMemoryJobStore();
        Sides sides = sides(store, true);
        String id = sides.jobs().submit(spec(), null).id();
        sides.leases().takeNext(Duration.ZERO);
        // the worker stores the ending, then dies before it tells of it or acknowledges the job
        store.update(id, job -> job.succeeded(List.of(), clock.instant()));
        changes.clear();
        deliveries = 2;
        sides.queue().offer(id);

        assertThat(sides.leases().takeNext(Duration.ZERO)).as("not run again").isEmpty();
        assertThat(changes).containsExactly("succeeded " + id + " SUCCEEDED");
        assertThat(acknowledged).contains(id);
    }

    @Test
    void aCancelledWaitingJobIsSkippedAndAcknowledgedByTheWorkerThatReadsIt() throws Exception {
        Sides sides = sides(new InMemoryJobStore(), false);
        String first = sides.jobs().submit(spec(), null).id();
        String second = sides.jobs().submit(spec(), null).id();

        assertThat(sides.jobs().cancel(first).orElseThrow().status()).isEqualTo(JobStatus.CANCELLED);
        Optional<Job> taken = sides.leases().takeNext(Duration.ZERO);

        assertThat(taken.orElseThrow().id()).as("the cancelled job never runs").isEqualTo(second);
        assertThat(acknowledged).contains(first);
    }

    @Test
    void aJobEndsOnceAndASecondEndingIsOnlyAcknowledged() throws Exception {
        Sides sides = sides(new InMemoryJobStore(), true);
        String id = sides.jobs().submit(spec(), null).id();
        sides.leases().takeNext(Duration.ZERO).orElseThrow();

        sides.leases().succeed(id, List.of(new JobImage(0, 1, "image/png", new byte[] {1})));
        sides.leases().fail(id, new JobError("late", "a second run of the job failed"));  // e.g. a redelivered run

        assertThat(sides.jobs().find(id).orElseThrow().status()).isEqualTo(JobStatus.SUCCEEDED);
        assertThat(events.stream().filter(JobEvent::last).map(JobEvent::type)).containsExactly("succeeded");
        assertThat(acknowledged).containsExactly(id, id);
    }

    @Test
    void anEndedJobKeepsItsStrengthButNotItsInitImage() throws Exception {
        Sides sides = sides(new InMemoryJobStore(), false);
        GenerationSpec img2img = spec().toBuilder()
                .initImage(new GenerationSpec.InitImage(new byte[] {1, 2, 3}, 0.6)).build();
        String id = sides.jobs().submit(img2img, "owner-1").id();
        assertThat(sides.jobs().find(id).orElseThrow().spec().initImage().file()).hasSize(3);

        sides.jobs().cancel(id);

        Job ended = sides.jobs().find(id).orElseThrow();
        assertThat(ended.spec().initImage().file()).as("not kept once the job has ended").isNull();
        assertThat(ended.spec().initImage().strength()).isEqualTo(0.6);
        assertThat(ended.owner()).isEqualTo("owner-1");
    }

    @Test
    void anEndedInpaintingJobKeepsItsSettingsButNotItsMask() throws Exception {
        Sides sides = sides(new InMemoryJobStore(), false);
        GenerationSpec.Inpainting settings = new GenerationSpec.Inpainting(new byte[] {4, 5},
                GenerationSpec.MaskMode.ALPHA, true, 6, GenerationSpec.MaskedContent.FILL,
                GenerationSpec.InpaintArea.MASKED, 12, null);
        GenerationSpec inpainting = spec().toBuilder()
                .initImage(new GenerationSpec.InitImage(new byte[] {1, 2, 3}, 0.6, settings)).build();
        String id = sides.jobs().submit(inpainting, null).id();
        assertThat(sides.jobs().find(id).orElseThrow().spec().initImage().inpainting().mask()).hasSize(2);

        sides.jobs().cancel(id);

        GenerationSpec.InitImage ended = sides.jobs().find(id).orElseThrow().spec().initImage();
        assertThat(ended.file()).isNull();
        assertThat(ended.inpainting().mask()).as("not kept once the job has ended").isNull();
        assertThat(ended.inpainting()).usingRecursiveComparison().ignoringFields("mask").isEqualTo(settings);
    }

    @Test
    void aJobThatLostItsWorkerThreeTimesFailsAndOneTakenOverKeepsItsStart() throws Exception {
        Sides sides = sides(new InMemoryJobStore(), true);
        String survivor = sides.jobs().submit(spec(), null).id();
        Job first = sides.leases().takeNext(Duration.ZERO).orElseThrow();
        Thread.sleep(5);
        deliveries = 3;  // two workers lost with it: handed out again, it keeps its start and so its deadline
        sides.queue().offer(survivor);
        Job again = sides.leases().takeNext(Duration.ZERO).orElseThrow();
        assertThat(again.id()).isEqualTo(survivor);
        assertThat(again.status()).isEqualTo(JobStatus.RUNNING);
        assertThat(again.startedAt()).isEqualTo(first.startedAt());

        deliveries = 4;
        String poison = sides.jobs().submit(spec(), null).id();
        assertThat(sides.leases().takeNext(Duration.ZERO)).as("not handed to a worker again").isEmpty();
        Job failed = sides.jobs().find(poison).orElseThrow();
        assertThat(failed.status()).isEqualTo(JobStatus.FAILED);
        assertThat(failed.error().detail()).contains("lost 3 times");
        assertThat(acknowledged).contains(poison);
    }

    @Test
    void aStoreOutOfReachRefusesTheJobAsUnavailable() {
        JobStore broken = new InMemoryJobStore() {
            @Override
            public void create(Job job) {
                throw new IllegalStateException("connection refused");
            }
        };
        Sides sides = sides(broken, true);

        assertThatThrownBy(() -> sides.jobs().submit(spec(), null)).isInstanceOf(JobRefusedException.class)
                .hasMessageContaining("cannot be reached");
    }

    @Test
    void submissionsAreRefusedWhileTheWorkersShutDown() {
        Sides sides = sides(new InMemoryJobStore(), false);
        sides.leases().refuseNewJobs();
        assertThatThrownBy(() -> sides.jobs().submit(spec(), null)).isInstanceOf(JobRefusedException.class);
        sides.leases().acceptNewJobs();
        assertThat(sides.jobs().submit(spec(), null).status()).isEqualTo(JobStatus.QUEUED);
    }

    @Test
    void aJobGivenUpAtShutdownStaysForAnotherWorkerOnlyInADurableQueue() throws Exception {
        Sides durable = sides(new InMemoryJobStore(), true);
        String kept = durable.jobs().submit(spec(), null).id();
        durable.leases().takeNext(Duration.ZERO).orElseThrow();
        durable.leases().giveUp(kept, new JobError("Service shutting down", "x"));
        assertThat(durable.jobs().find(kept).orElseThrow().status()).isEqualTo(JobStatus.RUNNING);
        assertThat(released).containsExactly(kept);
        assertThat(durable.leases().failWaiting(new JobError("Service shutting down", "x"))).isZero();

        Sides inMemory = sides(new InMemoryJobStore(), false);
        String ended = inMemory.jobs().submit(spec(), null).id();
        inMemory.leases().takeNext(Duration.ZERO).orElseThrow();
        inMemory.leases().giveUp(ended, new JobError("Service shutting down", "x"));
        assertThat(inMemory.jobs().find(ended).orElseThrow().status()).isEqualTo(JobStatus.FAILED);
    }

    @Test
    void anUpdateThatLeavesAJobAsItWasDoesNotCountAsItsEnding() {
        // the store hands back a finished job it did not change (a copy, as Redis does): no second ending
        JobStore copying = new InMemoryJobStore() {
            @Override
            public Optional<Job> update(String id, UnaryOperator<Job> change) {
                Optional<Job> before = find(id);
                if (before.isPresent() && before.get().status().finished()) {
                    return Optional.of(copy(before.get()));
                }
                return super.update(id, change);
            }
        };
        Sides sides = sides(copying, false);
        String id = sides.jobs().submit(spec(), null).id();
        sides.jobs().cancel(id);
        sides.leases().markCancelled(id);

        assertThat(events.stream().filter(JobEvent::last)).hasSize(1);
    }

    private static Job copy(Job job) {
        return new Job(job.id(), job.status(), job.spec(), job.owner(), job.createdAt(), job.startedAt(),
                job.finishedAt(), job.step(), job.totalSteps(), job.images(), job.error());
    }

    @Test
    void aJobIsWatchedWhileAnyEventStreamIsOpenEvenIfOneIsClosedTwice() throws Exception {
        Sides sides = sides(new InMemoryJobStore(), false);
        String id = sides.jobs().submit(spec(), null).id();
        assertThat(sides.leases().previewWanted(id)).isFalse();

        AutoCloseable first = sides.jobs().subscribe(id, event -> { });
        AutoCloseable second = sides.jobs().subscribe(id, event -> { });
        first.close();
        first.close();
        assertThat(sides.leases().previewWanted(id)).as("the second stream still watches").isTrue();
        second.close();
        assertThat(sides.leases().previewWanted(id)).isFalse();
    }
}
