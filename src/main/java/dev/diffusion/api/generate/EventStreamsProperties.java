package dev.diffusion.api.generate;

import jakarta.validation.constraints.Min;
import jakarta.validation.constraints.NotNull;
import java.time.Duration;
import org.springframework.boot.context.properties.ConfigurationProperties;
import org.springframework.boot.context.properties.bind.DefaultValue;
import org.springframework.validation.annotation.Validated;

/**
 * {@code diffusion.events.*}: the bounds of job event streams.
 *
 * @param maxStreamsPerKey open streams one API key may hold (429 beyond); not applied when API keys are off
 * @param maxStreams       open streams of this instance (503 beyond)
 * @param heartbeat        how often an idle stream gets a comment line, so proxies keep it and dead clients show
 * @param maxPending       events a stream may have waiting for its client; a client this far behind is cut off
 * @param senders          threads that write events to clients
 */
@Validated
@ConfigurationProperties("diffusion.events")
public record EventStreamsProperties(
        @Min(1) @DefaultValue("8") int maxStreamsPerKey,
        @Min(1) @DefaultValue("256") int maxStreams,
        @NotNull @DefaultValue("15s") Duration heartbeat,
        @Min(1) @DefaultValue("64") int maxPending,
        @Min(1) @DefaultValue("16") int senders) {
}
