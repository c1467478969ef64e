package dev.diffusion.jobs;

import jakarta.validation.constraints.Min;
import org.springframework.boot.context.properties.ConfigurationProperties;
import org.springframework.boot.context.properties.bind.DefaultValue;
import org.springframework.validation.annotation.Validated;

/** {@code diffusion.queue.*}: how many jobs may wait before new ones are refused with 503. */
@Validated
@ConfigurationProperties("diffusion.queue")
public record QueueProperties(@Min(1) @DefaultValue("64") int capacity) {
}
