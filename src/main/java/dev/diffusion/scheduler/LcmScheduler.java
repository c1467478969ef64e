package dev.diffusion.scheduler;

/**
 * Luo et al. 2023, "Latent Consistency Models", multistep consistency sampling as diffusers' {@code LCMScheduler}:
 * each step maps the sample to the model's clean estimate through the consistency boundary condition
 * (denoised = c_out·x0 + c_skip·x_t), then, except after the last step, noises that estimate afresh to the next
 * timestep's level with the image's generator.
 */
public final class LcmScheduler extends ConsistencyScheduler {

    /** σ_data of the boundary-condition scalings (Song et al. 2023, "Consistency Models"). */
    private static final double SIGMA_DATA = 0.5;

    private final SampleClipping clipping;
    /** What the timestep is multiplied by in c_skip and c_out; the larger, the closer the estimate is to x0. */
    private final double timestepScaling;

    public LcmScheduler(SchedulerConfig config) {
        super(config, "LCMScheduler");
        this.clipping = SampleClipping.from(config, false);
        this.timestepScaling = config.number("timestep_scaling", 10.0);
    }

    @Override
    public double[] step(double[] modelOutput, double timestep, double[] sample, NoiseSource noise) {
        int t = wholeTimestep(timestep);
        int index = indexOf(t);
        double alphaProd = alphaProduct(t);
        double scaled = t * timestepScaling;
        double cSkip = SIGMA_DATA * SIGMA_DATA / (scaled * scaled + SIGMA_DATA * SIGMA_DATA);
        double cOut = scaled / Math.sqrt(scaled * scaled + SIGMA_DATA * SIGMA_DATA);
        double[] x0 = clipping.apply(prediction.originalSample(modelOutput, sample, alphaProd));
        double[] denoised = Vectors.combine(cOut, x0, cSkip, sample);
        if (index == timesteps.length - 1) {
            return denoised;
        }
        double alphaProdNext = alphaProduct((int) timesteps[index + 1]);
        return Vectors.combine(Math.sqrt(alphaProdNext), denoised, Math.sqrt(1 - alphaProdNext),
                noise.gaussian(sample.length));
    }
}
