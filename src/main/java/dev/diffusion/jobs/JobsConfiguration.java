package dev.diffusion.jobs;

import io.micrometer.core.instrument.MeterRegistry;
import java.time.Clock;
import org.springframework.beans.factory.ObjectProvider;
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
    JobLedger jobLedger(JobStore store, JobQueue queue, JobEvents events, CancelRequests cancelRequests,
            JobMetrics metrics, Clock clock, JobsProperties settings, ObjectProvider<JobChangeListener> listeners) {
        return new JobLedger(store, queue, events, cancelRequests, metrics, clock, settings.maxWorkerLosses(),
                listeners.orderedStream().toList());
    }

    @Bean
    JobService jobService(JobLedger ledger) {
        return new JobService(ledger);
    }

    @Bean
    JobLeases jobLeases(JobLedger ledger) {
        return new JobLeases(ledger);
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
        JobStore jobStore(JobsProperties jobs) {
            return new InMemoryJobStore(jobs.finishedLimits());
        }

        @Bean
        JobEvents jobEvents() {
            return new LocalJobEvents();
        }

        @Bean
        IdempotencyRecords idempotencyRecords(JobsProperties jobs, Clock clock) {
            return new InMemoryIdempotencyRecords(jobs.idempotencyTtl(), JobsProperties.IDEMPOTENCY_CLAIM_TTL, clock);
        }

        @Bean
        CancelRequests cancelRequests() {
            return new InMemoryCancelRequests();
        }
    }

    @Bean
    ExpiredJobs expiredJobs(JobStore store, JobsProperties settings, Clock clock) {
        return new ExpiredJobs(store, settings, clock);
    }

    /** Drops finished jobs and their images once their time-to-live has passed. */
    static final class ExpiredJobs {

        private final JobStore store;
        private final JobsProperties settings;
        private final Clock clock;

        ExpiredJobs(JobStore store, JobsProperties settings, Clock clock) {
            this.store = store;
            this.settings = settings;
            this.clock = clock;
        }

        @Scheduled(fixedDelayString = "${diffusion.jobs.eviction-interval:30s}")
        void evict() {
            store.evictFinishedBefore(clock.instant().minus(settings.ttl()));
        }
    }
}
