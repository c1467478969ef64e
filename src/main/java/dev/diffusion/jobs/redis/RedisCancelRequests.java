package dev.diffusion.jobs.redis;

import dev.diffusion.jobs.CancelRequests;
import org.springframework.data.redis.core.StringRedisTemplate;

/** One key per cancelled running job, which any worker process sees at its next step. */
public class RedisCancelRequests implements CancelRequests {

    private final StringRedisTemplate redis;
    private final RedisQueueProperties keys;

    RedisCancelRequests(StringRedisTemplate redis, RedisQueueProperties keys) {
        this.redis = redis;
        this.keys = keys;
    }

    @Override
    public void request(String jobId) {
        redis.opsForValue().set(keys.cancelKey(jobId), "1", keys.unfinishedTtl());
    }

    @Override
    public boolean requested(String jobId) {
        return Boolean.TRUE.equals(redis.hasKey(keys.cancelKey(jobId)));
    }

    @Override
    public void clear(String jobId) {
        redis.delete(keys.cancelKey(jobId));
    }
}
