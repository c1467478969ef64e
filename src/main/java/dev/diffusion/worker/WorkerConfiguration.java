package dev.diffusion.worker;

import dev.diffusion.RunsWorkers;
import dev.diffusion.jobs.JobService;
import dev.diffusion.jobs.JobsProperties;
import io.micrometer.core.instrument.MeterRegistry;
import java.time.Clock;
import org.springframework.context.annotation.Bean;
import org.springframework.context.annotation.Configuration;

@Configuration(proxyBeanMethods = false)
public class WorkerConfiguration {

    @Bean
    FolderModelCatalog modelCatalog(ModelsProperties models) {
        return new FolderModelCatalog(models);
    }

    /** Instances with {@code diffusion.role=api} load no models: they only queue jobs for the workers. */
    @Bean
    @RunsWorkers
    WorkerPool workerPool(FolderModelCatalog catalog, JobService jobs, WorkerProperties settings,
            BatchingProperties batching, JobsProperties jobSettings, MeterRegistry registry, Clock clock) {
        return new WorkerPool(catalog, jobs, settings, batching, jobSettings, registry, clock);
    }
}
