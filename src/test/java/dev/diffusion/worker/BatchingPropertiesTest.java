package dev.diffusion.worker;

import static org.assertj.core.api.Assertions.assertThat;

import java.time.Duration;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.springframework.boot.context.properties.EnableConfigurationProperties;
import org.springframework.boot.test.context.runner.ApplicationContextRunner;

class BatchingPropertiesTest {

    private final ApplicationContextRunner context = new ApplicationContextRunner()
            .withUserConfiguration(WithBatchingProperties.class);

    @EnableConfigurationProperties(BatchingProperties.class)
    static class WithBatchingProperties {
    }

    @Test
    void defaultsToBatchesOfEightJobsInFourGroupsWithoutAGatherWait() {
        context.run(started -> assertThat(started.getBean(BatchingProperties.class))
                .isEqualTo(new BatchingProperties(8, 4, Duration.ZERO, 16)));
    }

    @Test
    void bindsEverySetting() {
        context.withPropertyValues("diffusion.batching.max-batch-size=1", "diffusion.batching.max-groups=2",
                        "diffusion.batching.gather-wait=20ms", "diffusion.batching.parallel-from-rows=0")
                .run(started -> assertThat(started.getBean(BatchingProperties.class))
                        .isEqualTo(new BatchingProperties(1, 2, Duration.ofMillis(20), 0)));
    }

    @Test
    void refusesABatchOrGroupsBelowOneAndANegativeOrLongGatherWait() {
        for (String invalid : List.of("diffusion.batching.max-batch-size=0", "diffusion.batching.max-batch-size=65",
                "diffusion.batching.max-groups=0", "diffusion.batching.max-groups=17",
                "diffusion.batching.gather-wait=-1ms", "diffusion.batching.gather-wait=2s",
                "diffusion.batching.parallel-from-rows=-1")) {
            context.withPropertyValues(invalid).run(started -> assertThat(started).as(invalid).hasFailed());
        }
    }
}
