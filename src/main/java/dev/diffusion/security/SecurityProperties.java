package dev.diffusion.security;

import jakarta.validation.Valid;
import jakarta.validation.constraints.Min;
import java.util.List;
import org.springframework.boot.context.properties.ConfigurationProperties;
import org.springframework.boot.context.properties.bind.DefaultValue;
import org.springframework.validation.annotation.Validated;

/**
 * {@code diffusion.security.*}.
 *
 * @param apiKeys the keys that may use the API, each {@code key} or {@code name:key}; none (the default) leaves the
 *                API open to everyone
 * @param quotas  what each key may use; only with API keys
 */
@Validated
@ConfigurationProperties("diffusion.security")
public record SecurityProperties(@DefaultValue List<String> apiKeys, @Valid @DefaultValue Quotas quotas) {

    /**
     * Per API key; 0 means no limit.
     *
     * @param maxActiveJobs     jobs of one key that may be queued or running at once
     * @param requestsPerMinute API requests of one key per minute (a token bucket: a full minute's worth may come at
     *                          once, then they refill evenly)
     */
    public record Quotas(@Min(0) @DefaultValue("0") int maxActiveJobs,
            @Min(0) @DefaultValue("0") int requestsPerMinute) {
    }
}
