package dev.diffusion.jobs.redis;

import dev.diffusion.jobs.JobEvent;
import dev.diffusion.jobs.JobEvents;
import dev.diffusion.jobs.LocalJobEvents;
import java.nio.charset.StandardCharsets;
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

    private final StringRedisTemplate redis;
    private final String channel;
    private final JobCodec codec;
    private final LocalJobEvents local = new LocalJobEvents();

    RedisJobEvents(StringRedisTemplate redis, String channel, JobCodec codec) {
        this.redis = redis;
        this.channel = channel;
        this.codec = codec;
    }

    @Override
    public AutoCloseable subscribe(String jobId, Consumer<JobEvent> listener) {
        return local.subscribe(jobId, listener);
    }

    @Override
    public void publish(JobEvent event) {
        redis.convertAndSend(channel, codec.write(event));
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
