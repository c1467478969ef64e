package dev.diffusion.security;

import dev.diffusion.jobs.GenerationSpec;
import dev.diffusion.jobs.Job;
import dev.diffusion.jobs.JobService;
import dev.diffusion.web.TooManyRequestsException;
import java.time.Duration;
import java.util.HashSet;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import org.springframework.stereotype.Component;

/**
 * Submits jobs within {@code diffusion.security.quotas.max-active-jobs}: an API key may have that many jobs queued or
 * running at once, and one more is refused with 429. It counts the jobs submitted through this process, looking up
 * whether each has ended when the key submits again, so a job that ends anywhere (even on another worker) frees its
 * place; with several API replicas, each allows a key that many.
 */
@Component
public class ActiveJobQuota {

    /** A job takes seconds to minutes; a client told to come back sooner would only be refused again. */
    private static final Duration RETRY_AFTER = Duration.ofSeconds(5);

    private final JobService jobs;
    private final int maxActive;
    /** Per owner, the ids of its jobs that had not ended when last looked at; at most {@code maxActive} each. */
    private final Map<String, Set<String>> activeByOwner = new ConcurrentHashMap<>();

    public ActiveJobQuota(JobService jobs, SecurityProperties settings) {
        this.jobs = jobs;
        this.maxActive = settings.quotas().maxActiveJobs();
    }

    /** Queues the job, unless its owner already has {@code max-active-jobs} that have not ended. */
    public Job submit(GenerationSpec spec, String owner) {
        if (maxActive == 0 || owner == null) {
            return jobs.submit(spec, owner);
        }
        Set<String> active = activeByOwner.computeIfAbsent(owner, o -> new HashSet<>());
        synchronized (active) {
            active.removeIf(id -> jobs.find(id).map(job -> job.status().finished()).orElse(true));
            if (active.size() >= maxActive) {
                throw new TooManyRequestsException("this API key already has " + maxActive
                        + " jobs queued or running, its limit; submit more when one has ended", RETRY_AFTER);
            }
            Job job = jobs.submit(spec, owner);
            active.add(job.id());
            return job;
        }
    }
}
