package dev.diffusion.jobs.redis;

import java.time.Duration;
import org.springframework.boot.context.properties.ConfigurationProperties;
import org.springframework.boot.context.properties.bind.DefaultValue;

/**
 * {@code diffusion.queue.redis.*}: where the Redis backend keeps its data and when a worker's job is taken over.
 *
 * @param keyPrefix     prefix of every key: the stream {@code <prefix>jobs}, job snapshots {@code <prefix>job:<id>},
 *                      cancellations {@code <prefix>cancel:<id>}, the event channel {@code <prefix>events}, the
 *                      count of a job's watchers {@code <prefix>watchers:<id>}, finished jobs by their ending
 *                      {@code <prefix>finished[:<owner>]}, jobs by their creation {@code <prefix>created:<owner>},
 *                      Idempotency-Key records {@code <prefix>idempotency:<owner>:<key digest>}
 * @param consumerGroup the stream's consumer group that all workers share
 * @param consumerName  this worker's name in the group; blank means host name and process id
 * @param claimIdle     a job whose worker has not shown life for this long is taken over by another worker; workers
 *                      renew their jobs three times within it
 * @param unfinishedTtl how long an unfinished job may be kept (a safety net: finished jobs keep diffusion.jobs.ttl)
 */
@ConfigurationProperties("diffusion.queue.redis")
public record RedisQueueProperties(
        @DefaultValue("diffusion:") String keyPrefix,
        @DefaultValue("diffusion-workers") String consumerGroup,
        @DefaultValue("") String consumerName,
        @DefaultValue("30s") Duration claimIdle,
        @DefaultValue("24h") Duration unfinishedTtl) {

    String streamKey() {
        return keyPrefix + "jobs";
    }

    String jobKey(String id) {
        return keyPrefix + "job:" + id;
    }

    String cancelKey(String id) {
        return keyPrefix + "cancel:" + id;
    }

    String watchersKey(String id) {
        return keyPrefix + "watchers:" + id;
    }

    /** Finished jobs by the time they ended, in all ({@code owner} null) or of one owner key. */
    String finishedKey(String ownerKey) {
        return keyPrefix + (ownerKey == null ? "finished" : "finished:" + ownerKey);
    }

    /** An owner key's jobs by the time they were created, for listing. */
    String createdKey(String ownerKey) {
        return keyPrefix + "created:" + ownerKey;
    }

    /** What an owner's Idempotency-Key (by its digest) was used for. */
    String idempotencyKey(String ownerKey, String keyDigest) {
        return keyPrefix + "idempotency:" + ownerKey + ":" + keyDigest;
    }

    String costsKey(String model) {
        return keyPrefix + "costs:" + model;
    }

    String eventChannel() {
        return keyPrefix + "events";
    }
}
