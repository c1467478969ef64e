package dev.diffusion.worker;

import dev.diffusion.RunsWorkers;
import dev.diffusion.catalog.CostLimitsProperties;
import dev.diffusion.catalog.FolderModelCatalog;
import dev.diffusion.catalog.ModelCostBook;
import dev.diffusion.jobs.JobLeases;
import dev.diffusion.jobs.JobsProperties;
import io.micrometer.core.instrument.MeterRegistry;
import java.time.Clock;
import org.springframework.beans.factory.annotation.Value;
import org.springframework.context.annotation.Bean;
import org.springframework.context.annotation.Configuration;

@Configuration(proxyBeanMethods = false)
public class WorkerConfiguration {

    /** Instances with {@code diffusion.role=api} load no models: they only queue jobs for the workers. */
    @Bean
    @RunsWorkers
    WorkerPool workerPool(FolderModelCatalog catalog, JobLeases jobs, ModelCostBook costBook,
            WorkerProperties settings, BatchingProperties batching, JobsProperties jobSettings,
            CostLimitsProperties costLimits, MeterRegistry registry, Clock clock,
            @Value("${diffusion.limits.max-init-image-pixels:16777216}") long maxInitImagePixels) {
        return new WorkerPool(catalog, jobs, costBook, new EngineRequests(maxInitImagePixels),
                new WorkerPool.Settings(settings, batching, jobSettings, costLimits), registry, clock);
    }
}
