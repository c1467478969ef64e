package dev.diffusion.jobs;

import jakarta.validation.constraints.Min;
import jakarta.validation.constraints.NotNull;
import java.time.Duration;
import org.springframework.boot.context.properties.ConfigurationProperties;
import org.springframework.boot.context.properties.bind.DefaultValue;
import org.springframework.util.unit.DataSize;
import org.springframework.validation.annotation.Validated;

/**
 * {@code diffusion.jobs.*} and {@code diffusion.queue.*}.
 *
 * @param ttl         how long a finished job and its images are kept
 * @param waitTimeout the longest {@code ?wait=true} blocks before answering with the job as it stands
 * @param timeout     the longest a job may run before it fails as timed out
 * @param maxFinishedPerKey finished jobs kept per API key (all jobs count as one key's when keys are off); the
 *                    oldest go first
 * @param maxWorkerLosses a job whose worker was lost (killed, cut off) this many times while running it fails
 * @param maxFinished finished jobs kept in all
 * @param maxFinishedBytes images of finished jobs kept in memory, in all (the in-memory backend; give Redis a
 *                    {@code maxmemory})
 * @param idempotencyTtl how long an {@code Idempotency-Key} stands for the job it made
 */
@Validated
@ConfigurationProperties("diffusion.jobs")
public record JobsProperties(
        @NotNull @DefaultValue("1h") Duration ttl,
        @NotNull @DefaultValue("5m") Duration waitTimeout,
        @NotNull @DefaultValue("10m") Duration timeout,
        @Min(1) @DefaultValue("1000") int maxFinishedPerKey,
        @Min(1) @DefaultValue("10000") int maxFinished,
        @Min(1) @DefaultValue("3") int maxWorkerLosses,
        @NotNull @DefaultValue("1GB") DataSize maxFinishedBytes,
        @NotNull @DefaultValue("24h") Duration idempotencyTtl) {

    /**
     * How long an {@code Idempotency-Key} is held for a request still being handled: submitting takes well under it,
     * and a request that died halfway frees its key by then.
     */
    public static final Duration IDEMPOTENCY_CLAIM_TTL = Duration.ofMinutes(1);

    public FinishedJobLimits finishedLimits() {
        return new FinishedJobLimits(maxFinishedPerKey, maxFinished, maxFinishedBytes.toBytes());
    }
}
