package dev.diffusion.api;

import jakarta.validation.constraints.Min;
import org.springframework.boot.context.properties.ConfigurationProperties;
import org.springframework.boot.context.properties.bind.DefaultValue;
import org.springframework.util.unit.DataSize;
import org.springframework.validation.annotation.Validated;

/**
 * {@code diffusion.limits.*}: the bounds every request is checked against.
 *
 * @param maxPixels   largest width × height
 * @param maxSteps    most denoising steps
 * @param maxImages   most images per request
 * @param maxBodySize largest request body (413 beyond), which also bounds an init image
 */
@Validated
@ConfigurationProperties("diffusion.limits")
public record LimitsProperties(
        @Min(64) @DefaultValue("1048576") int maxPixels,
        @Min(1) @DefaultValue("150") int maxSteps,
        @Min(1) @DefaultValue("8") int maxImages,
        @DefaultValue("16MB") DataSize maxBodySize) {
}
