package dev.diffusion.api;

import dev.diffusion.api.generate.EventStreamsProperties;
import dev.diffusion.api.generate.JobEventStreams;
import dev.diffusion.api.openai.OpenAiErrorHandler;
import dev.diffusion.api.openai.OpenAiErrorShape;
import dev.diffusion.api.openai.OpenAiFormUploads;
import dev.diffusion.api.openai.OpenAiImageJobs;
import dev.diffusion.catalog.InMemoryModelCostBook;
import dev.diffusion.jobs.JobsConfiguration;
import dev.diffusion.jobs.JobsProperties;
import dev.diffusion.jobs.QueueProperties;
import dev.diffusion.security.ActiveJobQuota;
import dev.diffusion.security.ApiKeyFilter;
import dev.diffusion.security.SecurityConfiguration;
import dev.diffusion.security.SecurityProperties;
import dev.diffusion.web.ApiExceptionHandler;
import dev.diffusion.web.BodySizeLimitFilter;
import dev.diffusion.web.ErrorResponses;
import dev.diffusion.web.JsonLimitsConfiguration;
import dev.diffusion.web.LimitsProperties;
import dev.diffusion.web.MalformedRequestFilter;
import dev.diffusion.webhooks.WebhookProperties;
import dev.diffusion.webhooks.WebhooksConfiguration;
import org.springframework.boot.context.properties.EnableConfigurationProperties;
import org.springframework.context.annotation.Import;

/**
 * The beans behind the controllers for {@code @WebMvcTest} slices: the real job machinery (no workers), request
 * checks, error handlers, filters, API keys and quotas. A slice adds its own {@code ModelCatalog} and meter registry.
 */
@Import({JobsConfiguration.class, RequestResolver.class, IdempotentSubmissions.class, JobEventStreams.class,
        ApiExceptionHandler.class, OpenAiErrorHandler.class, OpenAiErrorShape.class, OpenAiImageJobs.class,
        OpenAiFormUploads.class, ErrorResponses.class, BodySizeLimitFilter.class, MalformedRequestFilter.class,
        ApiKeyFilter.class, ActiveJobQuota.class, JsonLimitsConfiguration.class, SecurityConfiguration.class,
        InMemoryModelCostBook.class, WebhooksConfiguration.class})
@EnableConfigurationProperties({LimitsProperties.class, JobsProperties.class, QueueProperties.class,
        EventStreamsProperties.class, SecurityProperties.class, WebhookProperties.class})
final class ApiLayer {
}
