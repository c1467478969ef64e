package dev.diffusion.jobs.redis;

import dev.diffusion.jobs.FinishedJobLimits;
import dev.diffusion.jobs.Job;
import dev.diffusion.jobs.JobCursor;
import dev.diffusion.jobs.JobPage;
import dev.diffusion.jobs.JobQuery;
import dev.diffusion.jobs.JobStore;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.Set;
import java.util.function.UnaryOperator;
import org.springframework.data.redis.core.StringRedisTemplate;
import org.springframework.data.redis.core.script.RedisScript;

/**
 * Job snapshots as JSON strings, one key per job. An update is a compare-and-set on the whole snapshot, retried when
 * another process changed the job in between, so two workers can never both end a job. Redis expires finished jobs
 * after {@code diffusion.jobs.ttl} by itself; sorted sets of finished jobs (in all and per owner, by the time they
 * ended) keep them within {@link FinishedJobLimits}, the oldest dropped first. A sorted set per owner of its jobs by
 * creation time serves listings; entries of jobs that are gone are taken out as a listing meets them, and entries
 * older than any job can live go whenever the owner creates a job.
 */
public class RedisJobStore implements JobStore {

    private static final RedisScript<Long> COMPARE_AND_SET = RedisScript.of("""
            if redis.call('GET', KEYS[1]) ~= ARGV[1] then
              return 0
            end
            redis.call('SET', KEYS[1], ARGV[2], 'PX', ARGV[3])
            return 1
            """, Long.class);
    /**
     * The next ARGV[3] entries (id, score) of the index newest first after the entry ARGV[1] (from the start when
     * empty); if that entry is gone, after every entry created later than ARGV[2] ms. Atomic, so that jobs created
     * meanwhile cannot shift the page.
     */
    @SuppressWarnings("rawtypes")
    private static final RedisScript<List> NEXT_CREATED = RedisScript.of("""
            local start = 0
            if ARGV[1] ~= '' then
              local rank = redis.call('ZREVRANK', KEYS[1], ARGV[1])
              if rank then
                start = rank + 1
              else
                start = redis.call('ZCOUNT', KEYS[1], '(' .. ARGV[2], '+inf')
              end
            end
            return redis.call('ZREVRANGE', KEYS[1], start, start + tonumber(ARGV[3]) - 1, 'WITHSCORES')
            """, List.class);
    /** Jobs read at once while listing: each may hold images, so few. */
    private static final int LISTING_CHUNK = 16;

    private final StringRedisTemplate redis;
    private final RedisQueueProperties keys;
    private final JobCodec codec;
    private final Duration finishedTtl;
    private final FinishedJobLimits limits;

    RedisJobStore(StringRedisTemplate redis, RedisQueueProperties keys, JobCodec codec, Duration finishedTtl,
            FinishedJobLimits limits) {
        this.redis = redis;
        this.keys = keys;
        this.codec = codec;
        this.finishedTtl = finishedTtl;
        this.limits = limits;
    }

    @Override
    public void create(Job job) {
        redis.opsForValue().set(keys.jobKey(job.id()), codec.write(job), ttlOf(job));
        String created = keys.createdKey(FinishedJobLimits.ownerKey(job.owner()));
        Duration longestLife = keys.unfinishedTtl().plus(finishedTtl);
        redis.opsForZSet().add(created, job.id(), job.createdAt().toEpochMilli());
        redis.opsForZSet().removeRangeByScore(created, Double.NEGATIVE_INFINITY,
                job.createdAt().minus(longestLife).toEpochMilli());
        redis.expire(created, longestLife);
        if (job.status().finished()) {
            keepWithinLimits(job);
        }
    }

    @Override
    public Optional<Job> find(String id) {
        return Optional.ofNullable(redis.opsForValue().get(keys.jobKey(id))).map(codec::readJob);
    }

    @Override
    public Optional<Job> update(String id, UnaryOperator<Job> change) {
        String key = keys.jobKey(id);
        while (true) {
            String stored = redis.opsForValue().get(key);
            if (stored == null) {
                return Optional.empty();
            }
            Job current = codec.readJob(stored);
            if (current.status().finished()) {
                return Optional.of(current);
            }
            Job next = change.apply(current);
            Long written = redis.execute(COMPARE_AND_SET, List.of(key), stored, codec.write(next),
                    Long.toString(ttlOf(next).toMillis()));
            if (written != null && written == 1) {
                if (next.status().finished()) {
                    keepWithinLimits(next);
                }
                return Optional.of(next);
            }
        }
    }

    @Override
    public void delete(String id) {
        redis.delete(keys.jobKey(id));
    }

    @Override
    public JobPage list(JobQuery query) {
        String index = keys.createdKey(FinishedJobLimits.ownerKey(query.owner()));
        JobPage.Collector page = new JobPage.Collector(query);
        List<String> gone = new ArrayList<>();
        try {
            JobCursor at = query.after();
            while (true) {
                List<?> entries = redis.execute(NEXT_CREATED, List.of(index), at == null ? "" : at.id(),
                        at == null ? "0" : Long.toString(at.createdAtMillis()), Integer.toString(LISTING_CHUNK));
                if (entries == null || entries.isEmpty()) {
                    return page.page();
                }
                List<JobCursor> chunk = new ArrayList<>();
                for (int i = 0; i < entries.size(); i += 2) {
                    chunk.add(new JobCursor((long) Double.parseDouble(entries.get(i + 1).toString()),
                            entries.get(i).toString()));
                }
                List<String> stored = redis.opsForValue().multiGet(chunk.stream().map(c -> keys.jobKey(c.id()))
                        .toList());
                for (int i = 0; i < chunk.size(); i++) {
                    String json = stored == null ? null : stored.get(i);
                    if (json == null) {
                        gone.add(chunk.get(i).id()); // expired or trimmed
                    }
                    if (!page.add(chunk.get(i), json == null ? null : codec.readJob(json))) {
                        return page.page();
                    }
                }
                at = chunk.get(chunk.size() - 1);
            }
        } finally {
            if (!gone.isEmpty()) { // after the scan, which continues from entries it has met
                redis.opsForZSet().remove(index, gone.toArray());
            }
        }
    }

    /** Redis expires finished jobs itself (their keys carry the time-to-live). */
    @Override
    public int evictFinishedBefore(Instant cutoff) {
        return 0;
    }

    /** Indexes a job that just ended, then drops the oldest finished jobs beyond the owner's share and the total. */
    private void keepWithinLimits(Job ended) {
        String all = keys.finishedKey(null);
        String owners = keys.finishedKey(FinishedJobLimits.ownerKey(ended.owner()));
        double endedAt = ended.finishedAt().toEpochMilli();
        // entries whose jobs Redis has already expired
        double expired = endedAt - finishedTtl.toMillis();
        redis.opsForZSet().removeRangeByScore(all, Double.NEGATIVE_INFINITY, expired);
        redis.opsForZSet().removeRangeByScore(owners, Double.NEGATIVE_INFINITY, expired);
        redis.opsForZSet().add(all, ended.id(), endedAt);
        redis.opsForZSet().add(owners, ended.id(), endedAt);
        redis.expire(owners, finishedTtl);
        trim(owners, limits.perOwner());
        trim(all, limits.total());
    }

    private void trim(String index, int keep) {
        Long size = redis.opsForZSet().zCard(index);
        if (size == null || size <= keep) {
            return;
        }
        Set<String> oldest = redis.opsForZSet().range(index, 0, size - keep - 1);
        if (oldest != null && !oldest.isEmpty()) {
            redis.delete(oldest.stream().map(keys::jobKey).toList());
            redis.opsForZSet().remove(index, oldest.toArray());
        }
    }

    private Duration ttlOf(Job job) {
        return job.status().finished() ? finishedTtl : keys.unfinishedTtl();
    }
}
