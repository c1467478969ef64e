package dev.diffusion.jobs;

import io.micrometer.core.instrument.MeterRegistry;
import java.time.Clock;
import org.springframework.boot.autoconfigure.condition.ConditionalOnProperty;
import org.springframework.context.annotation.Bean;
import org.springframework.context.annotation.Configuration;
import org.springframework.scheduling.annotation.EnableScheduling;
import org.springframework.scheduling.annotation.Scheduled;

/**
 * The job machinery. Queue, store, events and cancellation come from the backend that
 * {@code diffusion.queue.backend} names: {@code memory} (default, below) or {@code redis} ({@code jobs.redis}).
 */
@Configuration(proxyBeanMethods = false)
@EnableScheduling
public class JobsConfiguration {

    @Bean
    Clock clock() {
        return Clock.systemUTC();
    }

    @Bean
    JobMetrics jobMetrics(MeterRegistry registry, JobQueue queue, Clock clock) {
        return new JobMetrics(registry, queue, clock);
    }

    @Bean
    JobService jobService(JobStore store, JobQueue queue, JobEvents events, CancelRequests cancelRequests,
            JobMetrics metrics, Clock clock) {
        return new JobService(store, queue, events, cancelRequests, metrics, clock);
    }

    /** The default backend: queue, store, events and cancellation in this process. */
    @Configuration(proxyBeanMethods = false)
    @ConditionalOnProperty(name = "diffusion.queue.backend", havingValue = "memory", matchIfMissing = true)
    static class InMemoryBackend {

        @Bean
        JobQueue jobQueue(QueueProperties queue, Clock clock) {
            return new InMemoryJobQueue(queue.capacity(), clock);
        }

        @Bean
        JobStore jobStore() {
            return new InMemoryJobStore();
        }

        @Bean
        JobEvents jobEvents() {
            return new LocalJobEvents();
        }

        @Bean
        CancelRequests cancelRequests() {
            return new InMemoryCancelRequests();
        }
    }

    @Bean
    ExpiredJobs expiredJobs(JobService jobs, JobsProperties settings) {
        return new ExpiredJobs(jobs, settings);
    }

    /** Drops finished jobs and their images once their time-to-live has passed. */
    static final class ExpiredJobs {

        private final JobService jobs;
        private final JobsProperties settings;

        ExpiredJobs(JobService jobs, JobsProperties settings) {
            this.jobs = jobs;
            this.settings = settings;
        }

        @Scheduled(fixedDelayString = "${diffusion.jobs.eviction-interval:30s}")
        void evict() {
            jobs.evictExpired(settings.ttl());
        }
    }
}
