package dev.diffusion.catalog;

import dev.diffusion.model.ModelCosts;

/**
 * A model's call costs as a worker measured them, with that worker's budget: what admission estimates jobs by.
 *
 * @param budgetBytes   native memory one call may take there ({@code diffusion.limits.max-native-memory})
 * @param maxJobSeconds the longest estimated job there ({@code diffusion.limits.max-job-time})
 * @param device        where they were measured, such as {@code cpu()}
 */
public record MeasuredCosts(ModelCosts costs, long budgetBytes, double maxJobSeconds, String device) {
}
