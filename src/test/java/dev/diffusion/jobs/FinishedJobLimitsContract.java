package dev.diffusion.jobs;

import static org.assertj.core.api.Assertions.assertThat;

import java.time.Instant;
import java.util.ArrayList;
import java.util.List;

/**
 * What every job store does with {@link FinishedJobLimits}: a client that submits and cancels in a loop keeps only its
 * newest finished jobs, no owner pushes the total past its limit, and unfinished jobs are never dropped.
 */
public final class FinishedJobLimitsContract {

    public static final FinishedJobLimits LIMITS = new FinishedJobLimits(3, 5, 1L << 30);
    /** Endings a few minutes ago: well within any time-to-live the stores are given. */
    private static final Instant START = Instant.now().minusSeconds(300);

    private FinishedJobLimitsContract() {
    }

    public static void check(JobStore store, FinishedJobLimits limits) {
        String prefix = "limits-" + System.nanoTime() + "-";
        Job running = job(prefix + "running", "alice", 0);
        store.create(running);
        List<String> alices = new ArrayList<>();
        for (int i = 0; i < 10; i++) {
            String id = prefix + "alice-" + i;
            alices.add(id);
            store.create(job(id, "alice", i));
            Instant ended = START.plusSeconds(i);
            store.update(id, job -> job.cancelled(ended));
        }
        assertThat(alices.stream().filter(id -> store.find(id).isPresent()))
                .as("alice's newest finished jobs only").containsExactlyElementsOf(alices.subList(7, 10));

        List<String> others = new ArrayList<>();
        for (int i = 0; i < 4; i++) {
            String id = prefix + "owner" + i;
            others.add(id);
            store.create(job(id, "owner-" + i, i));
            Instant ended = START.plusSeconds(100 + i);
            store.update(id, job -> job.cancelled(ended));
        }
        long kept = alices.stream().filter(id -> store.find(id).isPresent()).count()
                + others.stream().filter(id -> store.find(id).isPresent()).count();
        assertThat(kept).as("finished jobs in all").isEqualTo(limits.total());
        assertThat(store.find(alices.get(7))).as("the oldest went first").isEmpty();
        assertThat(store.find(others.get(3))).isPresent();
        assertThat(store.find(running.id())).as("an unfinished job is never dropped").isPresent();
    }

    private static Job job(String id, String owner, int seed) {
        return Job.queued(id, JobServiceTest.spec().toBuilder().seed(seed).build(), owner, Instant.EPOCH);
    }
}
