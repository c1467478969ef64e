package dev.diffusion.jobs;

import java.time.Instant;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.ConcurrentHashMap;
import java.util.function.UnaryOperator;

public class InMemoryJobStore implements JobStore {

    private final Map<String, Job> jobs = new ConcurrentHashMap<>();

    @Override
    public void create(Job job) {
        jobs.put(job.id(), job);
    }

    @Override
    public Optional<Job> find(String id) {
        return Optional.ofNullable(jobs.get(id));
    }

    @Override
    public Optional<Job> update(String id, UnaryOperator<Job> change) {
        return Optional.ofNullable(jobs.computeIfPresent(id,
                (key, job) -> job.status().finished() ? job : change.apply(job)));
    }

    @Override
    public void delete(String id) {
        jobs.remove(id);
    }

    @Override
    public int evictFinishedBefore(Instant cutoff) {
        int before = jobs.size();
        jobs.values().removeIf(job -> job.finishedAt() != null && job.finishedAt().isBefore(cutoff));
        return before - jobs.size();
    }
}
