package dev.diffusion.api;

import dev.diffusion.jobs.JobsConfiguration;
import dev.diffusion.jobs.JobsProperties;
import dev.diffusion.jobs.QueueProperties;
import dev.diffusion.security.SecurityConfiguration;
import dev.diffusion.security.SecurityProperties;
import org.springframework.boot.context.properties.EnableConfigurationProperties;
import org.springframework.context.annotation.Import;

/**
 * The beans behind the controllers for {@code @WebMvcTest} slices: the real job machinery (no workers), request
 * checks, error handlers, filters, API keys and quotas. A slice adds its own {@code ModelCatalog} and meter registry.
 */
@Import({JobsConfiguration.class, RequestResolver.class, JobEventStreams.class, ApiExceptionHandler.class,
        OpenAiErrorHandler.class, BodySizeLimitFilter.class, MalformedRequestFilter.class, ApiKeyFilter.class,
        ActiveJobQuota.class, JsonLimitsConfiguration.class, SecurityConfiguration.class})
@EnableConfigurationProperties({LimitsProperties.class, JobsProperties.class, QueueProperties.class,
        SecurityProperties.class})
final class ApiLayer {
}
