package dev.diffusion.jobs.redis;

import dev.diffusion.jobs.Job;
import dev.diffusion.jobs.JobStore;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.Optional;
import java.util.function.UnaryOperator;
import org.springframework.data.redis.core.StringRedisTemplate;
import org.springframework.data.redis.core.script.RedisScript;

/**
 * Job snapshots as JSON strings, one key per job. An update is a compare-and-set on the whole snapshot, retried when
 * another process changed the job in between, so two workers can never both end a job. Redis expires finished jobs
 * after {@code diffusion.jobs.ttl} by itself.
 */
public class RedisJobStore implements JobStore {

    private static final RedisScript<Long> COMPARE_AND_SET = RedisScript.of("""
            if redis.call('GET', KEYS[1]) ~= ARGV[1] then
              return 0
            end
            redis.call('SET', KEYS[1], ARGV[2], 'PX', ARGV[3])
            return 1
            """, Long.class);

    private final StringRedisTemplate redis;
    private final RedisQueueProperties keys;
    private final JobCodec codec;
    private final Duration finishedTtl;

    RedisJobStore(StringRedisTemplate redis, RedisQueueProperties keys, JobCodec codec, Duration finishedTtl) {
        this.redis = redis;
        this.keys = keys;
        this.codec = codec;
        this.finishedTtl = finishedTtl;
    }

    @Override
    public void create(Job job) {
        redis.opsForValue().set(keys.jobKey(job.id()), codec.write(job), ttlOf(job));
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
                return Optional.of(next);
            }
        }
    }

    @Override
    public void delete(String id) {
        redis.delete(keys.jobKey(id));
    }

    /** Redis expires finished jobs itself (their keys carry the time-to-live). */
    @Override
    public int evictFinishedBefore(Instant cutoff) {
        return 0;
    }

    private Duration ttlOf(Job job) {
        return job.status().finished() ? finishedTtl : keys.unfinishedTtl();
    }
}
