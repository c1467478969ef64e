package dev.diffusion.jobs;

import java.util.ArrayList;
import java.util.List;

/**
 * One page of a listing: jobs newest first, without their files, and the cursor for the next page (null when no
 * further job matches).
 */
public record JobPage(List<Job> jobs, JobCursor next) {

    public JobPage {
        jobs = List.copyOf(jobs);
    }

    /** Gathers a page from an owner's jobs met newest first, whatever store they come from. */
    public static final class Collector {

        private final JobQuery query;
        private final List<Job> jobs = new ArrayList<>();
        private JobCursor next;

        public Collector(JobQuery query) {
            this.query = query;
        }

        /**
         * Takes the next job in the order listed; {@code job} is null when it is gone (expired) and skipped.
         *
         * @return false when the page is complete: no later call may change it
         */
        public boolean add(JobCursor at, Job job) {
            if (query.pastEnd(at)) {
                return false;
            }
            if (job != null && query.matches(job)) {
                if (jobs.size() == query.limit()) {
                    next = JobCursor.of(jobs.get(jobs.size() - 1));
                    return false;
                }
                jobs.add(job.withoutFiles());
            }
            return true;
        }

        public JobPage page() {
            return new JobPage(jobs, next);
        }
    }
}
