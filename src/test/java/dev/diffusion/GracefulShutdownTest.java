package dev.diffusion;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.diffusion.jobs.GenerationSpec;
import dev.diffusion.jobs.Job;
import dev.diffusion.jobs.JobRefusedException;
import dev.diffusion.jobs.JobService;
import dev.diffusion.jobs.JobStatus;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.springframework.context.ConfigurableApplicationContext;

/**
 * SIGTERM's path with the in-memory queue: the JVM's shutdown hook closes the application context, which stops the
 * worker pool gracefully. The running job finishes within the grace period, the waiting ones end as failed with a
 * "shutting down" reason, no job vanishes, and no new job is taken.
 */
class GracefulShutdownTest {

    @Test
    void runningJobsFinishWaitingOnesFailAsShuttingDownAndNoneVanish() throws Exception {
        // one job at a time, so the others wait in the queue rather than join the running one's batch
        ConfigurableApplicationContext service = TinyModelApplication.start("diffusion.batching.max-batch-size=1",
                "diffusion.workers.shutdown-grace=60s", "spring.lifecycle.timeout-per-shutdown-phase=90s");
        JobService jobs = service.getBean(JobService.class);
        Job running;
        List<String> waiting = new ArrayList<>();
        Instant shutdownBegan;
        try {
            running = jobs.submit(job("a long one", 100, 4), null);
            for (int i = 0; i < 3; i++) {
                waiting.add(jobs.submit(job("waits " + i, 4, 1), null).id());
            }
            awaitRunning(jobs, running.id());
        } finally {
            shutdownBegan = Instant.now();
            service.close();
        }

        Job ran = jobs.find(running.id()).orElseThrow();
        assertThat(ran.status()).isEqualTo(JobStatus.SUCCEEDED);
        assertThat(ran.images()).hasSize(4);
        assertThat(ran.finishedAt()).as("it was still running when the shutdown began").isAfter(shutdownBegan);
        for (String id : waiting) {
            Job ended = jobs.find(id).orElseThrow(() -> new AssertionError("job " + id + " vanished"));
            assertThat(ended.status()).isEqualTo(JobStatus.FAILED);
            assertThat(ended.startedAt()).isNull();
            assertThat(ended.error().title()).isEqualTo("Service shutting down");
            assertThat(ended.error().detail()).contains("submit it again");
        }
        assertThatThrownBy(() -> jobs.submit(job("too late", 4, 1), null)).isInstanceOf(JobRefusedException.class)
                .hasMessageContaining("shutting down");
    }

    private static GenerationSpec job(String prompt, int steps, int images) {
        return GenerationSpec.builder().model("tiny").prompt(prompt).width(64).height(64).steps(steps)
                .guidanceScale(5.0).scheduler("ddim").seed(1).numImages(images).build();
    }

    /** Until the job has made its first step, and is far from its last. */
    private static void awaitRunning(JobService jobs, String id) throws InterruptedException {
        long deadline = System.nanoTime() + TimeUnit.MINUTES.toNanos(1);
        while (true) {
            Job job = jobs.find(id).orElseThrow();
            if (job.status() == JobStatus.RUNNING && job.step() > 0) {
                assertThat(job.step()).as("the job is too quick to be running at shutdown").isLessThan(75);
                return;
            }
            assertThat(System.nanoTime()).as("job %s starts", id).isLessThan(deadline);
            Thread.sleep(5);
        }
    }
}
