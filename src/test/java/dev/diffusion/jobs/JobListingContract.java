package dev.diffusion.jobs;

import static org.assertj.core.api.Assertions.assertThat;

import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;

/**
 * What every job store does for {@code GET /jobs}: an owner's jobs only, newest first (ties in one millisecond by id),
 * pages that join up exactly, the status and created-after filters, and no job that is gone.
 */
public final class JobListingContract {

    private static final Instant START = Instant.parse("2026-12-01T10:00:00.000Z");

    private JobListingContract() {
    }

    public static void check(JobStore store) {
        String alice = "alice-" + System.nanoTime();
        List<Job> alices = new ArrayList<>();
        for (int i = 0; i < 9; i++) {
            // three jobs in each millisecond: ties are ordered by id
            Job job = Job.queued(alice + "-job-" + i, JobServiceTest.spec(), alice,
                    START.plusMillis(i / 3).plusNanos(i * 1000));
            store.create(job);
            alices.add(job);
        }
        store.create(Job.queued(alice + "-bobs", JobServiceTest.spec(), "bob-" + System.nanoTime(), START));
        store.create(Job.queued(alice + "-anonymous", JobServiceTest.spec(), null, START));
        store.update(alices.get(4).id(), job -> job.started(START));
        store.update(alices.get(7).id(), job -> job.succeeded(List.of(new JobImage(0, 1, "image/png",
                new byte[] {1, 2})), START.plusSeconds(1)));
        List<String> newestFirst = alices.stream().sorted((a, b) -> JobCursor.NEWEST_FIRST.compare(JobCursor.of(a),
                JobCursor.of(b))).map(Job::id).toList();

        List<String> paged = new ArrayList<>();
        JobCursor cursor = null;
        int pages = 0;
        do {
            JobPage page = store.list(new JobQuery(alice, Set.of(), null, cursor == null ? null
                    : JobCursor.decode(cursor.encode()), 4));
            assertThat(page.jobs()).hasSizeLessThanOrEqualTo(4);
            page.jobs().forEach(job -> paged.add(job.id()));
            cursor = page.next();
            pages++;
        } while (cursor != null);
        assertThat(paged).as("every job of the owner once, newest first").containsExactlyElementsOf(newestFirst);
        assertThat(pages).as("4 + 4 + 1, the last page known as last").isEqualTo(3);

        JobPage succeeded = store.list(new JobQuery(alice, Set.of(JobStatus.SUCCEEDED), null, null, 10));
        assertThat(succeeded.jobs()).extracting(Job::id).containsExactly(alices.get(7).id());
        assertThat(succeeded.jobs().get(0).images().get(0).data()).as("listed without files").isNull();
        assertThat(succeeded.next()).isNull();
        assertThat(store.list(new JobQuery(alice, Set.of(JobStatus.RUNNING, JobStatus.SUCCEEDED), null, null, 1)))
                .satisfies(page -> {
                    assertThat(page.jobs()).extracting(Job::id).containsExactly(alices.get(7).id());
                    assertThat(page.next()).isNotNull();
                });
        assertThat(store.list(new JobQuery(alice, Set.of(), alices.get(5).createdAt(), null, 10)).jobs())
                .extracting(Job::id).containsExactly(newestFirst.subList(0, 3).toArray(String[]::new));
        assertThat(store.list(new JobQuery(null, Set.of(), null, null, 10)).jobs()).extracting(Job::id)
                .contains(alice + "-anonymous").doesNotContain(alice + "-bobs", alices.get(0).id());

        store.delete(alices.get(8).id());
        assertThat(store.list(new JobQuery(alice, Set.of(), null, null, 10)).jobs()).extracting(Job::id)
                .as("a job that is gone is not listed").hasSize(8).doesNotContain(alices.get(8).id());
    }
}
