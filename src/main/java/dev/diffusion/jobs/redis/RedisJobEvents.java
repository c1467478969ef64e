package dev.diffusion.jobs.redis;

import dev.diffusion.jobs.JobEvent;
import dev.diffusion.jobs.JobEvents;
import dev.diffusion.jobs.LocalJobEvents;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.function.Consumer;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.springframework.data.redis.connection.Message;
import org.springframework.data.redis.connection.MessageListener;
import org.springframework.data.redis.core.StringRedisTemplate;

/**
 * Job events over Redis Pub/Sub: a worker publishes, every API instance hears and hands the event to its own
 * listeners (SSE streams, waiting requests). Pub/Sub does not keep messages, so a listener that needs the ending for
 * sure also reads the job (as {@code JobService.await} does when it times out).
 */
public class RedisJobEvents implements JobEvents, MessageListener {

    private static final Logger log = LoggerFactory.getLogger(RedisJobEvents.class);
    /** A watcher count outlives an API instance that died with streams open by at most this long. */
    private static final Duration WATCHERS_TTL = Duration.ofHours(1);

    private final StringRedisTemplate redis;
    private final RedisQueueProperties keys;
    private final JobCodec codec;
    private final LocalJobEvents local = new LocalJobEvents();

    RedisJobEvents(StringRedisTemplate redis, RedisQueueProperties keys, JobCodec codec) {
        this.redis = redis;
        this.keys = keys;
        this.codec = codec;
    }

    @Override
    public AutoCloseable subscribe(String jobId, Consumer<JobEvent> listener) {
        return local.subscribe(jobId, listener);
    }

    /** Every API instance hears every event, so it carries no files: a step's event is its progress (and preview). */
    @Override
    public void publish(JobEvent event) {
        redis.convertAndSend(keys.eventChannel(), codec.write(event.withoutFiles()));
    }

    /** A count per job in Redis, since the worker that makes the previews may run in another process. */
    @Override
    public AutoCloseable watch(String jobId) {
        String key = keys.watchersKey(jobId);
        redis.opsForValue().increment(key);
        redis.expire(key, WATCHERS_TTL);
        return () -> {
            Long left = redis.opsForValue().decrement(key);
            if (left != null && left <= 0) {
                redis.delete(key);
            }
        };
    }

    @Override
    public boolean watched(String jobId) {
        String count = redis.opsForValue().get(keys.watchersKey(jobId));
        return count != null && Long.parseLong(count) > 0;
    }

    @Override
    public void onMessage(Message message, byte[] pattern) {
        try {
            local.publish(codec.readEvent(new String(message.getBody(), StandardCharsets.UTF_8)));
        } catch (RuntimeException e) {
            // one bad message or listener must not stop the subscription
            log.warn("could not deliver a job event: {}", e.toString());
        }
    }
}
