package dev.diffusion.jobs.redis;

import dev.diffusion.jobs.FinishedJobLimits;
import dev.diffusion.jobs.IdempotencyRecords;
import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.time.Duration;
import java.util.HexFormat;
import java.util.List;
import java.util.Optional;
import org.springframework.data.redis.core.StringRedisTemplate;
import org.springframework.data.redis.core.script.RedisScript;

/**
 * Idempotency records in Redis, shared by every API replica: {@code <prefix>idempotency:<owner>:<SHA-256 of the key>}
 * holding {@code <request hash> <job id>} (no job id while claimed), with Redis's own expiry. Claiming is
 * {@code SET NX}; completing and releasing change only the claim of the same request.
 */
class RedisIdempotencyRecords implements IdempotencyRecords {

    /** Replaces the claim ARGV[1] by ARGV[2] for ARGV[3] ms, or deletes it when ARGV[2] is empty. */
    private static final RedisScript<Long> SETTLE = RedisScript.of("""
            if redis.call('GET', KEYS[1]) ~= ARGV[1] then return 0 end
            if ARGV[2] == '' then return redis.call('DEL', KEYS[1]) end
            redis.call('SET', KEYS[1], ARGV[2], 'PX', ARGV[3])
            return 1
            """, Long.class);

    private final StringRedisTemplate redis;
    private final RedisQueueProperties keys;
    private final Duration ttl;
    private final Duration claimTtl;

    RedisIdempotencyRecords(StringRedisTemplate redis, RedisQueueProperties keys, Duration ttl, Duration claimTtl) {
        this.redis = redis;
        this.keys = keys;
        this.ttl = ttl;
        this.claimTtl = claimTtl;
    }

    @Override
    public Optional<Record> claim(String owner, String key, String requestHash) {
        String redisKey = redisKey(owner, key);
        while (true) {
            if (Boolean.TRUE.equals(redis.opsForValue().setIfAbsent(redisKey, requestHash, claimTtl))) {
                return Optional.empty();
            }
            String held = redis.opsForValue().get(redisKey);
            if (held != null) { // else it expired in between: claim again
                int space = held.indexOf(' ');
                return Optional.of(space < 0 ? new Record(held, null)
                        : new Record(held.substring(0, space), held.substring(space + 1)));
            }
        }
    }

    @Override
    public void complete(String owner, String key, String requestHash, String jobId) {
        redis.execute(SETTLE, List.of(redisKey(owner, key)), requestHash, requestHash + " " + jobId,
                Long.toString(ttl.toMillis()));
    }

    @Override
    public void release(String owner, String key, String requestHash) {
        redis.execute(SETTLE, List.of(redisKey(owner, key)), requestHash, "", "0");
    }

    private String redisKey(String owner, String key) {
        try {
            byte[] digest = MessageDigest.getInstance("SHA-256").digest(key.getBytes(StandardCharsets.UTF_8));
            return keys.idempotencyKey(FinishedJobLimits.ownerKey(owner), HexFormat.of().formatHex(digest));
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException("every Java runtime has SHA-256", e);
        }
    }
}
