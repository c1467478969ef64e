package dev.diffusion.jobs;

import java.time.Instant;
import java.util.Optional;
import java.util.function.UnaryOperator;

/** Where job snapshots live until their time-to-live runs out. */
public interface JobStore {

    void create(Job job);

    Optional<Job> find(String id);

    /**
     * Replaces a job by {@code change(current)}, atomically; returns the new snapshot (the very object {@code change}
     * returned), or empty if the job is gone. A finished job is never changed again (so a late cancel cannot undo a
     * success, nor a late result a cancel) and is returned as it is. {@code change} may be called more than once.
     */
    Optional<Job> update(String id, UnaryOperator<Job> change);

    void delete(String id);

    /**
     * A page of an owner's jobs, newest first (see {@link JobCursor}), without their files. Jobs that finished are
     * listed as long as they are kept.
     */
    JobPage list(JobQuery query);

    /** Drops jobs that finished before {@code cutoff}; returns how many. */
    int evictFinishedBefore(Instant cutoff);
}
