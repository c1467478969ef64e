package dev.diffusion.jobs;

import jakarta.validation.constraints.NotNull;
import java.time.Duration;
import org.springframework.boot.context.properties.ConfigurationProperties;
import org.springframework.boot.context.properties.bind.DefaultValue;
import org.springframework.validation.annotation.Validated;

/**
 * {@code diffusion.jobs.*} and {@code diffusion.queue.*}.
 *
 * @param ttl         how long a finished job and its images are kept
 * @param waitTimeout the longest {@code ?wait=true} blocks before answering with the job as it stands
 * @param timeout     the longest a job may run before it fails as timed out
 */
@Validated
@ConfigurationProperties("diffusion.jobs")
public record JobsProperties(
        @NotNull @DefaultValue("1h") Duration ttl,
        @NotNull @DefaultValue("5m") Duration waitTimeout,
        @NotNull @DefaultValue("10m") Duration timeout) {
}
