package dev.diffusion.jobs;

import static org.assertj.core.api.Assertions.assertThat;

import java.time.Instant;
import java.util.List;
import org.junit.jupiter.api.Test;

/**
 * The in-memory store's bounds (finished jobs by count per owner and in all, and by the bytes of their images) and its
 * listing.
 */
class InMemoryJobStoreTest {

    @Test
    void finishedJobsStayWithinTheirLimitsTheOldestGoingFirst() {
        FinishedJobLimitsContract.check(new InMemoryJobStore(FinishedJobLimitsContract.LIMITS),
                FinishedJobLimitsContract.LIMITS);
    }

    @Test
    void listsAnOwnersJobsNewestFirstPageByPage() {
        JobListingContract.check(new InMemoryJobStore());
    }

    @Test
    void aJobDroppedByTheLimitsIsNoLongerListed() {
        InMemoryJobStore store = new InMemoryJobStore(new FinishedJobLimits(1, 100, 1L << 30));
        for (String id : List.of("first", "second")) {
            store.create(Job.queued(id, JobServiceTest.spec(), "alice", Instant.EPOCH));
            store.update(id, job -> job.cancelled(Instant.EPOCH));
        }
        assertThat(store.list(new JobQuery("alice", java.util.Set.of(), null, null, 10)).jobs())
                .extracting(Job::id).containsExactly("second");
    }

    @Test
    void theImagesOfFinishedJobsStayWithinTheirBytes() {
        InMemoryJobStore store = new InMemoryJobStore(new FinishedJobLimits(100, 100, 250_000));
        for (int i = 0; i < 5; i++) {
            String id = "j" + i;
            store.create(Job.queued(id, JobServiceTest.spec(), null, Instant.EPOCH));
            store.update(id, job -> job.succeeded(List.of(new JobImage(0, 1, "image/png", new byte[100_000])),
                    Instant.ofEpochSecond(id.hashCode())));
        }
        assertThat(List.of("j0", "j1", "j2").stream().filter(id -> store.find(id).isPresent())).isEmpty();
        assertThat(store.find("j3")).isPresent();
        assertThat(store.find("j4")).isPresent();
    }

    @Test
    void expiryForgetsWhatItDrops() {
        InMemoryJobStore store = new InMemoryJobStore(new FinishedJobLimits(100, 100, 250_000));
        for (int i = 0; i < 2; i++) {
            String id = "old" + i;
            store.create(Job.queued(id, JobServiceTest.spec(), null, Instant.EPOCH));
            store.update(id, job -> job.succeeded(List.of(new JobImage(0, 1, "image/png", new byte[100_000])),
                    Instant.ofEpochSecond(10)));
        }
        assertThat(store.evictFinishedBefore(Instant.ofEpochSecond(20))).isEqualTo(2);
        for (int i = 0; i < 2; i++) {
            String id = "new" + i;
            store.create(Job.queued(id, JobServiceTest.spec(), null, Instant.EPOCH));
            store.update(id, job -> job.succeeded(List.of(new JobImage(0, 1, "image/png", new byte[100_000])),
                    Instant.ofEpochSecond(30)));
        }
        assertThat(store.find("new0")).as("the evicted jobs' bytes no longer count").isPresent();
        assertThat(store.find("new1")).isPresent();
    }
}
