package dev.diffusion.scheduler;

/**
 * Sampling runs with the conformance README's stand-in denoiser, from given latents, with deterministic noise
 * (element j of step k's sample is cos(1 + 7k + j) in float32), so that golden values can be computed elsewhere.
 */
final class StandInRun {

    private StandInRun() {
    }

    static double[] model(double[] x, double t) {
        double[] out = new double[x.length];
        for (int i = 0; i < out.length; i++) {
            out[i] = 0.9 * Math.sqrt(Math.max(t, 0) / 1000) * x[i] + 0.1 * Math.tanh(3 * x[i]) + 0.02 * Math.sin(t / 100);
        }
        return out;
    }

    /** Sets {@code steps} timesteps and returns the latents after each step. */
    static double[][] latentsAfterEachStep(Scheduler scheduler, int steps, double[] start) {
        scheduler.setTimesteps(steps);
        double[] timesteps = scheduler.timesteps();
        int[] drawn = {0};
        NoiseSource noise = count -> {
            double[] sample = new double[count];
            for (int j = 0; j < count; j++) {
                sample[j] = (float) Math.cos(1 + 7 * drawn[0] + j);
            }
            drawn[0]++;
            return sample;
        };
        double[] latents = start.clone();
        double[][] out = new double[timesteps.length][];
        for (int k = 0; k < timesteps.length; k++) {
            double t = timesteps[k];
            latents = scheduler.step(model(scheduler.scaleModelInput(latents, t), t), t, latents, noise);
            out[k] = latents;
        }
        return out;
    }
}
