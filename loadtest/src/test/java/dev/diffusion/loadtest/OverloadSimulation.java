package dev.diffusion.loadtest;

import static io.gatling.javaapi.core.CoreDsl.constantUsersPerSec;
import static io.gatling.javaapi.core.CoreDsl.global;
import static io.gatling.javaapi.core.CoreDsl.scenario;

import io.gatling.javaapi.core.Simulation;
import java.time.Duration;

/**
 * Far more than the service can take: {@code rate} [RATE] new jobs per second (default 20) for {@code duration}
 * [DURATION] seconds (default 30), well past what the workers finish and the queue holds
 * ({@code diffusion.queue.capacity}, 64 by default). The service must shed the excess with 503 and
 * {@code Retry-After}, never another 5xx or an error, keep answering, and finish every job it accepted. After the run
 * it prints how many submissions were accepted and refused.
 */
public class OverloadSimulation extends Simulation {

    private final double rate = Jobs.number("rate", "RATE", 20);
    private final Duration duration = Duration.ofSeconds((long) Jobs.number("duration", "DURATION", 30));

    {
        setUp(scenario("overload").exec(Jobs.job(true))
                .injectOpen(constantUsersPerSec(rate).during(duration)))
                .protocols(Jobs.protocol())
                .assertions(global().failedRequests().count().is(0L));
    }

    @Override
    public void after() {
        Jobs.printSubmissions();
    }
}
