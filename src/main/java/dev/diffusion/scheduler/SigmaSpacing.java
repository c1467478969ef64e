package dev.diffusion.scheduler;

/**
 * How a sigma sampler spaces its noise levels: the training sigmas at the spaced timesteps, or Karras et al.'s
 * (2022) or exponential spacing between the end points of those ({@code use_karras_sigmas},
 * {@code use_exponential_sigmas}).
 */
enum SigmaSpacing {
    TIMESTEPS, KARRAS, EXPONENTIAL;

    static SigmaSpacing from(SchedulerConfig config) {
        boolean karras = config.bool("use_karras_sigmas", false);
        boolean exponential = config.bool("use_exponential_sigmas", false);
        boolean beta = config.bool("use_beta_sigmas", false);
        if ((karras ? 1 : 0) + (exponential ? 1 : 0) + (beta ? 1 : 0) > 1) {
            throw new IllegalArgumentException(
                    "only one of use_karras_sigmas, use_exponential_sigmas and use_beta_sigmas can be set");
        }
        if (beta) {
            throw new IllegalArgumentException("use_beta_sigmas is not supported (use_karras_sigmas or"
                    + " use_exponential_sigmas are)");
        }
        return karras ? KARRAS : exponential ? EXPONENTIAL : TIMESTEPS;
    }

    /** {@code n} noise levels from {@code sigmaMax} down to {@code sigmaMin}; not for {@link #TIMESTEPS}. */
    double[] between(double sigmaMin, double sigmaMax, int n) {
        return switch (this) {
            case KARRAS -> SigmaMath.karrasSigmas(sigmaMin, sigmaMax, n);
            case EXPONENTIAL -> SigmaMath.exponentialSigmas(sigmaMin, sigmaMax, n);
            case TIMESTEPS -> throw new IllegalStateException("timestep-spaced sigmas are interpolated, not spaced");
        };
    }
}
