package dev.diffusion.webhooks;

import java.time.Duration;
import java.util.ArrayList;
import java.util.Collection;
import java.util.List;
import java.util.Optional;
import java.util.Set;
import org.springframework.data.redis.core.StringRedisTemplate;
import org.springframework.data.redis.core.script.RedisScript;
import tools.jackson.databind.DeserializationFeature;
import tools.jackson.databind.json.JsonMapper;

/**
 * The outbox in Redis, shared by every instance, so that deliveries outlive a crash or restart of the instance that
 * enqueued them. Under {@code <prefix>}: a list per job, {@code line:<job>}, of deliveries as JSON; the holder of each
 * line, {@code holder:<job>}, a key that lapses unless its holder renews it; and the set {@code lines} of jobs with
 * deliveries waiting, which instances scan for lines whose holder is gone. Each step that touches a line and its
 * holder is one script, so that no delivery is ever appended to a line that its holder has just let go.
 */
public class RedisWebhookOutbox implements WebhookOutbox {

    /** Appends ARGV[1] to job ARGV[2]'s line; 1 if this holder (ARGV[3]) took hold of the line for ARGV[4] ms. */
    private static final RedisScript<Long> APPEND = RedisScript.of("""
            redis.call('RPUSH', KEYS[1], ARGV[1])
            redis.call('PEXPIRE', KEYS[1], ARGV[5])
            redis.call('SADD', KEYS[3], ARGV[2])
            if redis.call('SET', KEYS[2], ARGV[3], 'NX', 'PX', ARGV[4]) then return 1 end
            return 0
            """, Long.class);
    /** The first delivery of the line if this holder holds it; when the line is empty, lets it go. */
    private static final RedisScript<String> FIRST = RedisScript.of("""
            if redis.call('GET', KEYS[2]) ~= ARGV[1] then return false end
            local first = redis.call('LINDEX', KEYS[1], 0)
            if first then return first end
            redis.call('DEL', KEYS[2])
            redis.call('SREM', KEYS[3], ARGV[2])
            return false
            """, String.class);
    /** Takes hold of a line nobody holds; forgets a line that expired or was emptied. */
    private static final RedisScript<Long> CLAIM = RedisScript.of("""
            if redis.call('EXISTS', KEYS[1]) == 0 then
              redis.call('SREM', KEYS[3], ARGV[3])
              return 0
            end
            if redis.call('SET', KEYS[2], ARGV[1], 'NX', 'PX', ARGV[2]) then return 1 end
            return 0
            """, Long.class);
    /** Pops the line's first delivery if it is the one with id ARGV[1] (another holder may have taken it off). */
    private static final RedisScript<Long> REMOVE = RedisScript.of("""
            local first = redis.call('LINDEX', KEYS[1], 0)
            if first and cjson.decode(first).id == ARGV[1] then
              redis.call('LPOP', KEYS[1])
              return 1
            end
            return 0
            """, Long.class);
    /** Keeps the hold, and the line from expiring while its holder works through it. */
    private static final RedisScript<Long> RENEW = RedisScript.of("""
            if redis.call('GET', KEYS[1]) ~= ARGV[1] then return 0 end
            redis.call('PEXPIRE', KEYS[2], ARGV[3])
            return redis.call('PEXPIRE', KEYS[1], ARGV[2])
            """, Long.class);
    private static final RedisScript<Long> RELEASE = RedisScript.of("""
            if redis.call('GET', KEYS[1]) ~= ARGV[1] then return 0 end
            return redis.call('DEL', KEYS[1])
            """, Long.class);

    private final StringRedisTemplate redis;
    private final String prefix;
    private final String holder;
    private final String holdMillis;
    private final String lineTtlMillis;
    private final JsonMapper json = JsonMapper.builder()
            .disable(DeserializationFeature.FAIL_ON_UNKNOWN_PROPERTIES) // instances of two versions may share Redis
            .build();

    /**
     * @param prefix  the start of every key
     * @param holder  this instance's name, unique among live instances
     * @param hold    how long a line stays held without being renewed
     * @param lineTtl how long a line may stay unheld and without new deliveries before Redis drops it
     */
    public RedisWebhookOutbox(StringRedisTemplate redis, String prefix, String holder, Duration hold,
            Duration lineTtl) {
        this.redis = redis;
        this.prefix = prefix;
        this.holder = holder;
        this.holdMillis = Long.toString(hold.toMillis());
        this.lineTtlMillis = Long.toString(lineTtl.toMillis());
    }

    @Override
    public boolean append(PendingDelivery delivery) {
        String jobId = delivery.jobId();
        Long held = redis.execute(APPEND, List.of(line(jobId), holderKey(jobId), lines()),
                json.writeValueAsString(delivery), jobId, holder, holdMillis, lineTtlMillis);
        return held != null && held == 1;
    }

    @Override
    public Optional<PendingDelivery> first(String jobId) {
        String first = redis.execute(FIRST, List.of(line(jobId), holderKey(jobId), lines()), holder, jobId);
        return Optional.ofNullable(first).map(text -> json.readValue(text, PendingDelivery.class));
    }

    @Override
    public void remove(PendingDelivery delivery) {
        redis.execute(REMOVE, List.of(line(delivery.jobId())), delivery.id());
    }

    @Override
    public List<String> claimAbandoned() {
        Set<String> waiting = redis.opsForSet().members(lines());
        List<String> claimed = new ArrayList<>();
        for (String jobId : waiting == null ? Set.<String>of() : waiting) {
            Long held = redis.execute(CLAIM, List.of(line(jobId), holderKey(jobId), lines()), holder, holdMillis,
                    jobId);
            if (held != null && held == 1) {
                claimed.add(jobId);
            }
        }
        return claimed;
    }

    @Override
    public void renew(Collection<String> jobIds) {
        jobIds.forEach(jobId -> redis.execute(RENEW, List.of(holderKey(jobId), line(jobId)), holder, holdMillis,
                lineTtlMillis));
    }

    @Override
    public void release(Collection<String> jobIds) {
        jobIds.forEach(jobId -> redis.execute(RELEASE, List.of(holderKey(jobId)), holder));
    }

    private String lines() {
        return prefix + "lines";
    }

    private String line(String jobId) {
        return prefix + "line:" + jobId;
    }

    private String holderKey(String jobId) {
        return prefix + "holder:" + jobId;
    }
}
