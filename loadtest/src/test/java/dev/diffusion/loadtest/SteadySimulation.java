package dev.diffusion.loadtest;

import static io.gatling.javaapi.core.CoreDsl.constantUsersPerSec;
import static io.gatling.javaapi.core.CoreDsl.global;
import static io.gatling.javaapi.core.CoreDsl.scenario;

import io.gatling.javaapi.core.Simulation;
import java.time.Duration;

/**
 * Steady load below capacity: {@code rate} [RATE] new jobs per second (default 2), arriving at random (Poisson),
 * for {@code duration} [DURATION] seconds (default 60). Every submission must be accepted and every job must
 * succeed; the report shows the job latency at that rate.
 */
public class SteadySimulation extends Simulation {

    private final double rate = Jobs.number("rate", "RATE", 2);
    private final Duration duration = Duration.ofSeconds((long) Jobs.number("duration", "DURATION", 60));

    {
        setUp(scenario("steady").exec(Jobs.job(false))
                .injectOpen(constantUsersPerSec(rate).during(duration).randomized()))
                .protocols(Jobs.protocol())
                .assertions(global().failedRequests().count().is(0L));
    }

    @Override
    public void after() {
        Jobs.printSubmissions();
    }
}
