package dev.diffusion.scheduler;

/**
 * diffusers' {@code timestep_spacing}: which training timesteps a run of n steps visits (Lin et al. 2023, "Common
 * Diffusion Noise Schedules and Sample Steps are Flawed", Table 2).
 */
enum TimestepSpacing {
    LINSPACE, LEADING, TRAILING;

    static TimestepSpacing from(SchedulerConfig config, String defaultValue) {
        String name = config.string("timestep_spacing", defaultValue);
        return switch (name) {
            case "linspace" -> LINSPACE;
            case "leading" -> LEADING;
            case "trailing" -> TRAILING;
            default -> throw new IllegalArgumentException(
                    "unsupported timestep_spacing '" + name + "' (linspace, leading or trailing)");
        };
    }

    /**
     * The timesteps of a run of {@code steps} steps, in descending order. Only {@code leading} adds
     * {@code stepsOffset}. The discrete samplers (DDPM, DDIM, PNDM) round {@code linspace} to whole timesteps; the
     * sigma samplers keep its fractions, as float32.
     */
    double[] timesteps(int trainSteps, int steps, int stepsOffset, boolean roundLinspace) {
        double[] out = new double[steps];
        switch (this) {
            case LINSPACE -> {
                double[] ascending = SigmaMath.linspace(0, trainSteps - 1, steps);
                for (int i = 0; i < steps; i++) {
                    double t = ascending[steps - 1 - i];
                    out[i] = roundLinspace ? Math.rint(t) : (float) t;
                }
            }
            case LEADING -> {
                int ratio = trainSteps / steps;
                for (int i = 0; i < steps; i++) {
                    out[i] = (double) (steps - 1 - i) * ratio + stepsOffset;
                }
            }
            case TRAILING -> {
                // np.round(np.arange(T, 0, -T / steps)) - 1; numpy's arange steps by (start + step) - start.
                // For a few step counts (61, 103, ...) numpy's arange yields one extra element, ending at -1, which
                // diffusers then uses as a timestep; we keep the requested number of steps instead.
                double step = (trainSteps - (double) trainSteps / steps) - trainSteps;
                for (int i = 0; i < steps; i++) {
                    out[i] = Math.rint(trainSteps + i * step) - 1;
                }
            }
        }
        return out;
    }
}
