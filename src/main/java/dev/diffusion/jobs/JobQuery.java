package dev.diffusion.jobs;

import java.time.Instant;
import java.util.Set;

/**
 * Which of an owner's jobs to list, newest first, as {@code GET /jobs} asks.
 *
 * @param owner        the owner id, or null when API keys are off (then every job is listed)
 * @param statuses     the statuses to list; empty: all
 * @param createdAfter only jobs created after this; null: all
 * @param after        the cursor of the previous page's last job; null: from the newest
 * @param limit        the most jobs in one page
 */
public record JobQuery(String owner, Set<JobStatus> statuses, Instant createdAfter, JobCursor after, int limit) {

    public JobQuery {
        statuses = Set.copyOf(statuses);
        if (limit < 1) {
            throw new IllegalArgumentException("limit must be positive");
        }
    }

    /** Whether every job from this place on was created too early to be listed. */
    boolean pastEnd(JobCursor at) {
        return createdAfter != null && at.createdAtMillis() < createdAfter.toEpochMilli();
    }

    boolean matches(Job job) {
        return (statuses.isEmpty() || statuses.contains(job.status()))
                && (createdAfter == null || job.createdAt().isAfter(createdAfter));
    }
}
