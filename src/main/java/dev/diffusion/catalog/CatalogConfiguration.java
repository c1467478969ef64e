package dev.diffusion.catalog;

import org.springframework.boot.autoconfigure.condition.ConditionalOnProperty;
import org.springframework.context.annotation.Bean;
import org.springframework.context.annotation.Configuration;

/** The served models, read from their folders once at start, on every instance (API and worker alike). */
@Configuration(proxyBeanMethods = false)
public class CatalogConfiguration {

    @Bean
    FolderModelCatalog modelCatalog(ModelsProperties models) {
        return new FolderModelCatalog(models);
    }

    /** With the in-memory backend, API and workers are one process: the costs stay in it. */
    @Bean
    @ConditionalOnProperty(name = "diffusion.queue.backend", havingValue = "memory", matchIfMissing = true)
    ModelCostBook modelCostBook() {
        return new InMemoryModelCostBook();
    }
}
