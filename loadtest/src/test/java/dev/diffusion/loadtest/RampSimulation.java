package dev.diffusion.loadtest;

import static io.gatling.javaapi.core.CoreDsl.global;
import static io.gatling.javaapi.core.CoreDsl.rampUsersPerSec;
import static io.gatling.javaapi.core.CoreDsl.scenario;

import io.gatling.javaapi.core.Simulation;
import java.time.Duration;

/**
 * Arrivals ramping from {@code fromRate} [FROM_RATE] (default 0.5) to {@code toRate} [TO_RATE] (default 6) jobs per
 * second over {@code duration} [DURATION] seconds (default 120): through the service's capacity, so the report shows
 * where latency starts to climb (the queue fills) and what the service finishes per second at its limit. Once the
 * queue is full a 503 with {@code Retry-After} is a correct answer; nothing else may fail and every accepted job must
 * succeed.
 */
public class RampSimulation extends Simulation {

    private final double fromRate = Jobs.number("fromRate", "FROM_RATE", 0.5);
    private final double toRate = Jobs.number("toRate", "TO_RATE", 6);
    private final Duration duration = Duration.ofSeconds((long) Jobs.number("duration", "DURATION", 120));

    {
        setUp(scenario("ramp").exec(Jobs.job(true))
                .injectOpen(rampUsersPerSec(fromRate).to(toRate).during(duration).randomized()))
                .protocols(Jobs.protocol())
                .assertions(global().failedRequests().count().is(0L));
    }

    @Override
    public void after() {
        Jobs.printSubmissions();
    }
}
