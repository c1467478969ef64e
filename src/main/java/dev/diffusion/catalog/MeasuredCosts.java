package dev.diffusion.catalog;

import dev.diffusion.model.ModelCosts;
import java.time.Duration;
import java.time.Instant;

/**
 * A model's call costs as a worker measured them, with that worker's budget: what admission estimates jobs by.
 *
 * @param budgetBytes   native memory one call may take there ({@code diffusion.limits.max-native-memory})
 * @param maxJobSeconds the longest estimated job there ({@code diffusion.limits.max-job-time})
 * @param device        where they were measured, such as {@code cpu()}
 * @param slowdown      how much longer than {@code costs} predict the worker's UNet calls have lately taken (other
 *                      load on the machine); 1 until measured, and for costs stored before it was
 * @param slowdownSeen  when the worker last told it (it does at least every minute while it makes calls); null: never
 */
public record MeasuredCosts(ModelCosts costs, long budgetBytes, double maxJobSeconds, String device,
        double slowdown, Instant slowdownSeen) {

    /** A pace older than this is a worker's that has gone idle since: its load may be gone, so it no longer counts. */
    public static final Duration SLOWDOWN_LIFETIME = Duration.ofMinutes(3);

    public MeasuredCosts {
        slowdown = slowdown > 0 ? slowdown : 1;
    }

    /** Costs as just measured: no slowdown seen yet. */
    public MeasuredCosts(ModelCosts costs, long budgetBytes, double maxJobSeconds, String device) {
        this(costs, budgetBytes, maxJobSeconds, device, 1, null);
    }

    public MeasuredCosts withSlowdown(double value, Instant seen) {
        return new MeasuredCosts(costs, budgetBytes, maxJobSeconds, device, value, seen);
    }

    /** The slowdown to estimate by at {@code now}: the last one told, unless it is too old to say much. */
    public double slowdownAt(Instant now) {
        return slowdownSeen != null && now.isBefore(slowdownSeen.plus(SLOWDOWN_LIFETIME)) ? slowdown : 1;
    }
}
