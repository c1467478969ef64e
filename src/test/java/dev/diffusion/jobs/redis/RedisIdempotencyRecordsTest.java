package dev.diffusion.jobs.redis;

import static org.assertj.core.api.Assertions.assertThat;

import dev.diffusion.jobs.IdempotencyRecordsContract;
import dev.diffusion.testing.RequiresRedis;
import java.time.Duration;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/** Idempotency-Key records in a real Redis, where every API replica sees them. */
@RequiresRedis
class RedisIdempotencyRecordsTest {

    private TestRedis redis;

    @BeforeEach
    void connect() {
        redis = new TestRedis(Duration.ofSeconds(30));
    }

    @AfterEach
    void disconnect() {
        redis.close();
    }

    @Test
    void keepsTheContractOfIdempotencyRecords() throws Exception {
        IdempotencyRecordsContract.check((ttl, claimTtl) -> new RedisIdempotencyRecords(redis.template,
                redis.settings, ttl, claimTtl));
    }

    @Test
    void aCompletedKeyExpiresWithRedisAfterItsTime() {
        RedisIdempotencyRecords records = new RedisIdempotencyRecords(redis.template, redis.settings,
                Duration.ofHours(24), Duration.ofMinutes(1));
        records.claim("owner", "key", "hash");
        records.complete("owner", "key", "hash", "job");

        Long ttl = redis.template.getExpire(redis.template.keys(redis.settings.keyPrefix() + "idempotency:*")
                .iterator().next());
        assertThat(ttl).isBetween(Duration.ofHours(24).toSeconds() - 60, Duration.ofHours(24).toSeconds());
    }
}
