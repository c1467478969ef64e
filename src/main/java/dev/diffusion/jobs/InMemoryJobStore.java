package dev.diffusion.jobs;

import java.time.Instant;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.NavigableSet;
import java.util.Optional;
import java.util.TreeSet;
import java.util.concurrent.ConcurrentHashMap;
import java.util.function.UnaryOperator;

/**
 * Jobs in this process's memory, the finished ones within {@link FinishedJobLimits}, and each owner's jobs by creation
 * time for listing.
 */
public class InMemoryJobStore implements JobStore {

    private final Map<String, Job> jobs = new ConcurrentHashMap<>();
    private final FinishedJobLimits limits;
    /** Finished jobs (id to owner key), oldest first, in all and per owner, and their images' bytes; guarded by it. */
    private final LinkedHashMap<String, String> finished = new LinkedHashMap<>();
    private final Map<String, LinkedHashSet<String>> finishedByOwner = new HashMap<>();
    private long finishedBytes;
    /** Per owner key, its jobs newest first; guarded by itself. */
    private final Map<String, NavigableSet<JobCursor>> createdByOwner = new HashMap<>();

    public InMemoryJobStore() {
        this(FinishedJobLimits.DEFAULTS);
    }

    public InMemoryJobStore(FinishedJobLimits limits) {
        this.limits = limits;
    }

    @Override
    public void create(Job job) {
        jobs.put(job.id(), job);
        synchronized (createdByOwner) {
            createdByOwner.computeIfAbsent(FinishedJobLimits.ownerKey(job.owner()),
                    key -> new TreeSet<>(JobCursor.NEWEST_FIRST)).add(JobCursor.of(job));
        }
        if (job.status().finished()) {
            keepWithinLimits(job);
        }
    }

    @Override
    public Optional<Job> find(String id) {
        return Optional.ofNullable(jobs.get(id));
    }

    @Override
    public Optional<Job> update(String id, UnaryOperator<Job> change) {
        boolean[] endedNow = new boolean[1];
        Job after = jobs.computeIfPresent(id, (key, job) -> {
            if (job.status().finished()) {
                return job;
            }
            Job next = change.apply(job);
            endedNow[0] = next.status().finished();
            return next;
        });
        if (endedNow[0]) {
            keepWithinLimits(after);
        }
        return Optional.ofNullable(after);
    }

    @Override
    public void delete(String id) {
        synchronized (finished) {
            if (finished.containsKey(id)) {
                drop(id);
                return;
            }
        }
        forget(jobs.remove(id));
    }

    @Override
    public JobPage list(JobQuery query) {
        List<JobCursor> newestFirst;
        synchronized (createdByOwner) {
            NavigableSet<JobCursor> owners = createdByOwner.get(FinishedJobLimits.ownerKey(query.owner()));
            if (owners == null) {
                return new JobPage(List.of(), null);
            }
            newestFirst = List.copyOf(query.after() == null ? owners : owners.tailSet(query.after(), false));
        }
        JobPage.Collector page = new JobPage.Collector(query);
        for (JobCursor at : newestFirst) {
            if (!page.add(at, jobs.get(at.id()))) {
                break;
            }
        }
        return page.page();
    }

    @Override
    public int evictFinishedBefore(Instant cutoff) {
        int evicted = 0;
        synchronized (finished) {
            for (String id : List.copyOf(finished.keySet())) {
                Job job = jobs.get(id);
                if (job == null || job.finishedAt().isBefore(cutoff)) {
                    drop(id);
                    evicted += job == null ? 0 : 1;
                }
            }
        }
        return evicted;
    }

    /** Records a job that just ended, then drops the oldest finished jobs beyond the limits. */
    private void keepWithinLimits(Job ended) {
        synchronized (finished) {
            String owner = FinishedJobLimits.ownerKey(ended.owner());
            LinkedHashSet<String> owners = finishedByOwner.computeIfAbsent(owner, key -> new LinkedHashSet<>());
            if (finished.putIfAbsent(ended.id(), owner) == null) {
                owners.add(ended.id());
                finishedBytes += bytes(ended);
            }
            while (owners.size() > limits.perOwner()) {
                drop(owners.iterator().next());
            }
            while (finished.size() > limits.total() || finishedBytes > limits.bytes()) {
                drop(finished.keySet().iterator().next());
            }
        }
    }

    /** Forgets a finished job (and drops it, if still here); called holding the lock. */
    private void drop(String id) {
        String owner = finished.remove(id);
        LinkedHashSet<String> owners = finishedByOwner.get(owner);
        if (owners != null && owners.remove(id) && owners.isEmpty()) {
            finishedByOwner.remove(owner);
        }
        Job dropped = jobs.remove(id);
        finishedBytes -= bytes(dropped);
        forget(dropped);
    }

    /** Takes a job that is gone out of its owner's listing. */
    private void forget(Job job) {
        if (job == null) {
            return;
        }
        synchronized (createdByOwner) {
            String owner = FinishedJobLimits.ownerKey(job.owner());
            NavigableSet<JobCursor> owners = createdByOwner.get(owner);
            if (owners != null && owners.remove(JobCursor.of(job)) && owners.isEmpty()) {
                createdByOwner.remove(owner);
            }
        }
    }

    private static long bytes(Job job) {
        return job == null ? 0 : job.images().stream().mapToLong(image -> image.data() == null ? 0
                : image.data().length).sum();
    }
}
