package dev.diffusion.jobs;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.diffusion.pipeline.GenerationRequest;
import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import java.time.Clock;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.function.UnaryOperator;
import org.junit.jupiter.api.Test;

/** The job life cycle rules that both backends rely on: one ending, acknowledgement, refusal, giving up. */
class JobServiceTest {

    private final Clock clock = Clock.systemUTC();
    private final List<String> acknowledged = new ArrayList<>();
    private final List<String> released = new ArrayList<>();
    private final List<JobEvent> events = new ArrayList<>();

    private JobService service(JobStore store, boolean durable) {
        JobQueue queue = new InMemoryJobQueue(4, clock) {
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
        return new JobService(store, queue, local, new InMemoryCancelRequests(),
                new JobMetrics(new SimpleMeterRegistry(), queue, clock), clock);
    }

    private static JobRequest request() {
        return new JobRequest("tiny", GenerationRequest.txt2img("a red circle", "", 64, 64, 4, 5, "ddim", 1, 1), null);
    }

    @Test
    void aCancelledWaitingJobIsSkippedAndAcknowledgedByTheWorkerThatReadsIt() throws Exception {
        JobService jobs = service(new InMemoryJobStore(), false);
        String first = jobs.submit(request()).id();
        String second = jobs.submit(request()).id();

        assertThat(jobs.cancel(first).orElseThrow().status()).isEqualTo(JobStatus.CANCELLED);
        Optional<Job> taken = jobs.takeNext(Duration.ZERO);

        assertThat(taken.orElseThrow().id()).as("the cancelled job never runs").isEqualTo(second);
        assertThat(acknowledged).contains(first);
    }

    @Test
    void aJobEndsOnceAndASecondEndingIsOnlyAcknowledged() throws Exception {
        JobService jobs = service(new InMemoryJobStore(), true);
        String id = jobs.submit(request()).id();
        jobs.takeNext(Duration.ZERO).orElseThrow();

        jobs.succeed(id, List.of(new JobImage(0, 1, new byte[] {1})));
        jobs.fail(id, new JobError("late", "a second run of the job failed"));  // e.g. a redelivered run

        assertThat(jobs.find(id).orElseThrow().status()).isEqualTo(JobStatus.SUCCEEDED);
        assertThat(events.stream().filter(JobEvent::last).map(JobEvent::type)).containsExactly("succeeded");
        assertThat(acknowledged).containsExactly(id, id);
    }

    @Test
    void aStoreOutOfReachRefusesTheJobAsUnavailable() {
        JobStore broken = new InMemoryJobStore() {
            @Override
            public void create(Job job) {
                throw new IllegalStateException("connection refused");
            }
        };
        JobService jobs = service(broken, true);

        assertThatThrownBy(() -> jobs.submit(request())).isInstanceOf(JobRefusedException.class)
                .hasMessageContaining("cannot be reached");
    }

    @Test
    void aJobGivenUpAtShutdownStaysForAnotherWorkerOnlyInADurableQueue() throws Exception {
        JobService durable = service(new InMemoryJobStore(), true);
        String kept = durable.submit(request()).id();
        durable.takeNext(Duration.ZERO).orElseThrow();
        durable.giveUp(kept, new JobError("Service shutting down", "x"));
        assertThat(durable.find(kept).orElseThrow().status()).isEqualTo(JobStatus.RUNNING);
        assertThat(released).containsExactly(kept);
        assertThat(durable.failWaiting(new JobError("Service shutting down", "x"))).isZero();

        JobService inMemory = service(new InMemoryJobStore(), false);
        String ended = inMemory.submit(request()).id();
        inMemory.takeNext(Duration.ZERO).orElseThrow();
        inMemory.giveUp(ended, new JobError("Service shutting down", "x"));
        assertThat(inMemory.find(ended).orElseThrow().status()).isEqualTo(JobStatus.FAILED);
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
        JobService jobs = service(copying, false);
        String id = jobs.submit(request()).id();
        jobs.cancel(id);
        jobs.markCancelled(id);

        assertThat(events.stream().filter(JobEvent::last)).hasSize(1);
    }

    private static Job copy(Job job) {
        return new Job(job.id(), job.status(), job.request(), job.createdAt(), job.startedAt(), job.finishedAt(),
                job.step(), job.totalSteps(), job.images(), job.error());
    }

    @Test
    void aJobIsWatchedWhileAnyEventStreamIsOpenEvenIfOneIsClosedTwice() throws Exception {
        JobService jobs = service(new InMemoryJobStore(), false);
        String id = jobs.submit(request()).id();
        assertThat(jobs.previewWanted(id)).isFalse();

        AutoCloseable first = jobs.subscribe(id, event -> { });
        AutoCloseable second = jobs.subscribe(id, event -> { });
        first.close();
        first.close();
        assertThat(jobs.previewWanted(id)).as("the second stream still watches").isTrue();
        second.close();
        assertThat(jobs.previewWanted(id)).isFalse();
    }
}
