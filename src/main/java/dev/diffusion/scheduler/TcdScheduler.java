package dev.diffusion.scheduler;

/**
 * Zheng et al. 2024, "Trajectory Consistency Distillation", strategic stochastic sampling as diffusers'
 * {@code TCDScheduler}: each step jumps along the probability-flow trajectory from t to s = ⌊(1 − γ)·t_next⌋ with
 * the predicted x0 and ε, then, for γ &gt; 0 and except after the last step, adds fresh noise from s up to t_next.
 * γ = 0 is deterministic; γ = 1 is LCM's multistep sampling. γ is a per-request value, as diffusers' pipelines pass
 * their {@code eta} to {@code step}, so it is given here.
 */
public final class TcdScheduler extends ConsistencyScheduler {

    private final double gamma;

    public TcdScheduler(SchedulerConfig config, double gamma) {
        super(config, "TCDScheduler");
        if (!(gamma >= 0 && gamma <= 1)) {
            throw new IllegalArgumentException("TCD's gamma (eta) must be within 0..1, not " + gamma);
        }
        this.gamma = gamma;
    }

    @Override
    public double[] step(double[] modelOutput, double timestep, double[] sample, NoiseSource noise) {
        int t = wholeTimestep(timestep);
        int index = indexOf(t);
        boolean last = index == timesteps.length - 1;
        int next = last ? 0 : (int) timesteps[index + 1];
        // diffusers computes (1 - gamma) * t_next on a float32 tensor before the floor
        int s = (int) Math.floor((float) ((float) (1 - gamma) * (float) next));
        double alphaProd = alphaProduct(t);
        double alphaProdS = alphaProduct(s);
        double[] x0 = prediction.originalSample(modelOutput, sample, alphaProd);
        double[] epsilon = prediction.noise(modelOutput, sample, alphaProd);
        double[] atS = Vectors.combine(Math.sqrt(alphaProdS), x0, Math.sqrt(1 - alphaProdS), epsilon);
        if (gamma == 0 || last) {
            return atS;
        }
        double ratio = alphaProduct(next) / alphaProdS;
        return Vectors.combine(Math.sqrt(ratio), atS, Math.sqrt(1 - ratio), noise.gaussian(sample.length));
    }
}
