package dev.diffusion.catalog;

import dev.diffusion.model.ModelCosts;

/**
 * A model's call costs as a worker measured them, with that worker's budget: what admission estimates jobs by.
 *
 * @param budgetBytes   native memory one call may take there ({@code diffusion.limits.max-native-memory})
 * @param maxJobSeconds the longest estimated job there ({@code diffusion.limits.max-job-time})
 * @param device        where they were measured, such as {@code cpu()}
 * @param slowdown      how much longer than {@code costs} predict the worker's UNet calls have lately taken (other
 *                      load on the machine, or the worker's other groups' threads); 1 until measured, and for costs
 *                      stored before it was
 */
public record MeasuredCosts(ModelCosts costs, long budgetBytes, double maxJobSeconds, String device,
        double slowdown) {

    public MeasuredCosts {
        slowdown = slowdown > 0 ? slowdown : 1;
    }

    /** Costs as just measured: no slowdown seen yet. */
    public MeasuredCosts(ModelCosts costs, long budgetBytes, double maxJobSeconds, String device) {
        this(costs, budgetBytes, maxJobSeconds, device, 1);
    }

    public MeasuredCosts withSlowdown(double value) {
        return new MeasuredCosts(costs, budgetBytes, maxJobSeconds, device, value);
    }
}
