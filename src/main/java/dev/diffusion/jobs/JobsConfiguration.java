package dev.diffusion.jobs;

import io.micrometer.core.instrument.MeterRegistry;
import java.time.Clock;
import org.springframework.context.annotation.Bean;
import org.springframework.context.annotation.Configuration;
import org.springframework.scheduling.annotation.EnableScheduling;
import org.springframework.scheduling.annotation.Scheduled;

/** The single-process job machinery: in-memory queue, store and events. */
@Configuration(proxyBeanMethods = false)
@EnableScheduling
public class JobsConfiguration {

    @Bean
    Clock clock() {
        return Clock.systemUTC();
    }

    @Bean
    JobQueue jobQueue(QueueProperties queue) {
        return new InMemoryJobQueue(queue.capacity());
    }

    @Bean
    JobStore jobStore() {
        return new InMemoryJobStore();
    }

    @Bean
    JobEvents jobEvents() {
        return new JobEvents();
    }

    @Bean
    JobMetrics jobMetrics(MeterRegistry registry, JobQueue queue) {
        return new JobMetrics(registry, queue);
    }

    @Bean
    JobService jobService(JobStore store, JobQueue queue, JobEvents events, JobMetrics metrics, Clock clock) {
        return new JobService(store, queue, events, metrics, clock);
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
