package dev.diffusion.jobs.redis;

import static org.assertj.core.api.Assertions.assertThat;

import dev.diffusion.jobs.FinishedJobLimits;
import dev.diffusion.jobs.FinishedJobLimitsContract;
import dev.diffusion.jobs.GenerationSpec;
import dev.diffusion.jobs.Job;
import dev.diffusion.jobs.JobError;
import dev.diffusion.jobs.JobImage;
import dev.diffusion.jobs.JobListingContract;
import dev.diffusion.jobs.JobQuery;
import dev.diffusion.jobs.JobStatus;
import dev.diffusion.testing.RequiresRedis;
import java.time.Duration;
import java.time.Instant;
import java.time.temporal.ChronoUnit;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/** Job snapshots in a real Redis: a faithful round trip, atomic updates, one ending, and the time-to-live. */
@RequiresRedis
class RedisJobStoreTest {

    private static final FinishedJobLimits LIMITS = FinishedJobLimitsContract.LIMITS;

    private static final Duration FINISHED_TTL = Duration.ofMinutes(7);
    private static final Instant NOW = Instant.now().truncatedTo(ChronoUnit.MILLIS);

    private TestRedis redis;
    private RedisJobStore store;

    @BeforeEach
    void connect() {
        redis = new TestRedis(Duration.ofSeconds(30));
        store = new RedisJobStore(redis.template, redis.settings, new JobCodec(), FINISHED_TTL, LIMITS);
    }

    @Test
    void finishedJobsStayWithinTheirLimitsTheOldestGoingFirst() {
        FinishedJobLimitsContract.check(store, LIMITS);
    }

    @Test
    void listsAnOwnersJobsNewestFirstPageByPage() {
        JobListingContract.check(store);
    }

    @Test
    void aJobDroppedByTheLimitsLeavesTheListingAndItsEntry() {
        RedisJobStore onePerOwner = new RedisJobStore(redis.template, redis.settings, new JobCodec(), FINISHED_TTL,
                new FinishedJobLimits(1, 100, 1L << 30));
        for (String id : List.of("first", "second")) {
            onePerOwner.create(queued(id));
            onePerOwner.update(id, job -> with(job, JobStatus.CANCELLED, 0, List.of(), null));
        }
        assertThat(onePerOwner.list(new JobQuery("3f2a9c", Set.of(), null, null, 10)).jobs()).extracting(Job::id)
                .containsExactly("second");
        assertThat(redis.template.opsForZSet().range(redis.settings.createdKey("3f2a9c"), 0, -1))
                .containsExactly("second");
    }

    @AfterEach
    void disconnect() {
        redis.close();
    }

    private static Job queued(String id) {
        GenerationSpec spec = GenerationSpec.builder().model("shapes").prompt("a red circle").negativePrompt("blurry")
                .width(64).height(64).steps(20).guidanceScale(7.5).guidanceRescale(0.7).scheduler("dpmpp_2m").seed(42)
                .numImages(2).initImage(new GenerationSpec.InitImage(new byte[] {(byte) 0x89, 'P', 'N', 'G'}, 0.6))
                .build();
        return new Job(id, JobStatus.QUEUED, spec, "3f2a9c", NOW, null, null, 0, 20, List.of(), null);
    }

    private static Job with(Job job, JobStatus status, int step, List<JobImage> images, JobError error) {
        return new Job(job.id(), status, job.spec(), job.owner(), job.createdAt(), NOW, status.finished() ? NOW : null,
                step, job.totalSteps(), images, error);
    }

    @Test
    void aJobComesBackAsItWasStored() {
        Job job = queued("j1");
        store.create(job);

        Job read = store.find("j1").orElseThrow();
        assertThat(read).usingRecursiveComparison().isEqualTo(job);
        assertThat(read.spec().initImage().file()).isEqualTo(job.spec().initImage().file());
        assertThat(store.find("missing")).isEmpty();
    }

    @Test
    void concurrentUpdatesNeverLoseOneAnother() throws Exception {
        store.create(queued("j1"));
        List<Thread> threads = new ArrayList<>();
        for (int t = 0; t < 4; t++) {
            Thread thread = new Thread(() -> {
                for (int i = 0; i < 25; i++) {
                    store.update("j1", job -> with(job, JobStatus.RUNNING, job.step() + 1, List.of(), null));
                }
            });
            thread.start();
            threads.add(thread);
        }
        for (Thread thread : threads) {
            thread.join(TimeUnit.SECONDS.toMillis(30));
        }
        assertThat(store.find("j1").orElseThrow().step()).isEqualTo(100);
    }

    @Test
    void aFinishedJobKeepsItsEndingAndExpiresAfterTheJobTtl() {
        store.create(queued("j1"));
        JobImage image = new JobImage(0, 42, "image/png", new byte[] {1, 2, 3});
        Job succeeded = store.update("j1", job -> with(job, JobStatus.SUCCEEDED, 20, List.of(image), null))
                .orElseThrow();
        assertThat(succeeded.status()).isEqualTo(JobStatus.SUCCEEDED);

        Job after = store.update("j1", job -> with(job, JobStatus.FAILED, 3, List.of(), new JobError("late", "x")))
                .orElseThrow();
        assertThat(after.status()).isEqualTo(JobStatus.SUCCEEDED);
        assertThat(after.images().get(0).data()).containsExactly(1, 2, 3);
        Long ttl = redis.template.getExpire(redis.settings.jobKey("j1"), TimeUnit.SECONDS);
        assertThat(ttl).isBetween(FINISHED_TTL.toSeconds() - 5, FINISHED_TTL.toSeconds());
    }

    @Test
    void anUpdateOfAGoneJobIsEmpty() {
        assertThat(store.update("gone", job -> job)).isEmpty();
    }
}
