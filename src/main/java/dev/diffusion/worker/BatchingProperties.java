package dev.diffusion.worker;

import jakarta.validation.constraints.Max;
import jakarta.validation.constraints.Min;
import jakarta.validation.constraints.NotNull;
import java.time.Duration;
import org.hibernate.validator.constraints.time.DurationMax;
import org.hibernate.validator.constraints.time.DurationMin;
import org.springframework.boot.context.properties.ConfigurationProperties;
import org.springframework.boot.context.properties.bind.DefaultValue;
import org.springframework.validation.annotation.Validated;

/**
 * {@code diffusion.batching.*}: step-level batching in each worker (see {@link StepBatcher}).
 *
 * @param maxBatchSize jobs that share one UNet call; 1 turns batching off
 * @param maxGroups    groups (a model and image size each) a worker runs at once, sharing its time fairly (the group
 *                     that has had the least time steps next): a job of another size starts at the next step instead
 *                     of waiting for the running ones to end, and each group runs that much slower meanwhile (keep it times {@code diffusion.limits.max-job-time} under
 *                     {@code diffusion.jobs.timeout}); 1: one group, other sizes wait until it drains
 * @param gatherWait   how long a worker that starts a fresh group waits for more jobs to start with it; later jobs
 *                     still join at any step boundary, so this only helps jobs that arrive together
 * @param parallelFromRows on machines of at most 2 cores, where libtorch runs small calls on one thread, a network
 *                     call of at least this many rows (two per guided image) runs on every core; rows at latents
 *                     larger than 16x16 count by their size ({@code IntraOpThreads}); 0: never
 */
@Validated
@ConfigurationProperties("diffusion.batching")
public record BatchingProperties(
        @Min(1) @Max(64) @DefaultValue("8") int maxBatchSize,
        @Min(1) @Max(16) @DefaultValue("4") int maxGroups,
        @NotNull @DurationMin(millis = 0) @DurationMax(seconds = 1) @DefaultValue("0ms") Duration gatherWait,
        @Min(0) @DefaultValue("16") int parallelFromRows) {
}
