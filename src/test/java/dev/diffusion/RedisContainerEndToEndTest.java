package dev.diffusion;

import org.springframework.boot.testcontainers.service.connection.ServiceConnection;
import org.springframework.test.context.TestPropertySource;
import org.testcontainers.containers.GenericContainer;
import org.testcontainers.junit.jupiter.Container;
import org.testcontainers.junit.jupiter.Testcontainers;
import org.testcontainers.utility.DockerImageName;

/**
 * Every end-to-end test of {@link ServiceEndToEndTest} against Redis in a container, where Docker exists (skipped
 * without it; {@link RedisServiceEndToEndTest} runs the same tests on a local {@code redis-server}).
 */
@Testcontainers(disabledWithoutDocker = true)
@TestPropertySource(properties = "diffusion.queue.backend=redis")
class RedisContainerEndToEndTest extends ServiceEndToEndTest {

    @Container
    @ServiceConnection(name = "redis")
    static final GenericContainer<?> REDIS =
            new GenericContainer<>(DockerImageName.parse("redis:7.4-alpine")).withExposedPorts(6379);
}
