package dev.diffusion.scheduler;

import java.util.Set;

/**
 * DPM-Solver and DPM-Solver++ (Lu et al. 2022), multistep, as diffusers' {@code DPMSolverMultistepScheduler}:
 * orders 1 to 3, the ODE ({@code dpmsolver++}, {@code dpmsolver}) and SDE ({@code sde-dpmsolver++},
 * {@code sde-dpmsolver}) variants, midpoint or Heun second-order updates, and lower orders at the end of short runs.
 * The SDE variants take one standard-normal sample per latent element at every step.
 */
public final class DpmSolverMultistepScheduler extends MultistepScheduler {

    private static final Set<String> ALGORITHMS = Set.of("dpmsolver++", "sde-dpmsolver++", "dpmsolver", "sde-dpmsolver");
    private static final Set<String> SOLVER_TYPES = Set.of("midpoint", "heun");

    private final String algorithmType;
    private final boolean midpoint;
    /** DPM-Solver++ solves for the data prediction x0; DPM-Solver for the noise prediction. */
    private final boolean predictsData;
    private final boolean stochastic;
    private final boolean eulerAtFinal;
    private final double lambdaMinClipped;
    private final boolean roundsKarrasTimesteps;

    public DpmSolverMultistepScheduler(SchedulerConfig config) {
        super(config, "DPMSolverMultistepScheduler", config.integer("solver_order", 2));
        if (solverOrder > 3) {
            throw unsupported("solver_order " + solverOrder + " (1, 2 or 3)");
        }
        if (config.bool("use_lu_lambdas", false)) {
            throw unsupported("use_lu_lambdas");
        }
        String variance = config.string("variance_type", null);
        if ("learned".equals(variance) || "learned_range".equals(variance)) {
            throw unsupported("variance_type '" + variance + "' (a model output with predicted variance)");
        }
        String algorithm = config.string("algorithm_type", "dpmsolver++");
        // diffusers runs DEIS and UniPC configs loaded into this class as DPM-Solver++ with the midpoint solver
        this.algorithmType = requireOneOf("algorithm_type", algorithm.equals("deis") ? "dpmsolver++" : algorithm,
                ALGORITHMS);
        String solverType = config.string("solver_type", "midpoint");
        this.midpoint = requireOneOf("solver_type",
                Set.of("logrho", "bh1", "bh2").contains(solverType) ? "midpoint" : solverType, SOLVER_TYPES)
                .equals("midpoint");
        this.predictsData = algorithmType.endsWith("dpmsolver++");
        this.stochastic = algorithmType.startsWith("sde-");
        if (!predictsData && finalSigmasType.equals("zero")) {
            throw unsupported("final_sigmas_type 'zero' with algorithm_type '" + algorithmType
                    + "' (use final_sigmas_type 'sigma_min')");
        }
        if (algorithmType.equals("sde-dpmsolver") && solverOrder == 3) {
            throw unsupported("solver_order 3 with algorithm_type 'sde-dpmsolver' (diffusers has no such update)");
        }
        this.eulerAtFinal = config.bool("euler_at_final", false);
        this.lambdaMinClipped = config.number("lambda_min_clipped", Double.NEGATIVE_INFINITY);
        this.roundsKarrasTimesteps = !config.string("beta_schedule", NoiseSchedule.DEFAULT_BETA_SCHEDULE)
                .equals("squaredcos_cap_v2");
    }

    /**
     * The spacing ends below the training timesteps whose lambda is under {@code lambda_min_clipped}, which keeps
     * the cosine schedule stable; lambda is computed in float32 as diffusers does, so the cut falls where it does.
     */
    @Override
    protected int lastTimestep() {
        int clipped = 0;
        for (double alphaCumprod : schedule.alphasCumprod()) {
            float alpha = (float) Math.sqrt(alphaCumprod);
            float sigma = (float) Math.sqrt((float) (1 - alphaCumprod));
            float lambda = (float) Math.log(alpha) - (float) Math.log(sigma);
            if (lambda < lambdaMinClipped) {
                clipped++;
            }
        }
        return schedule.trainTimesteps() - clipped;
    }

    @Override
    protected boolean roundsKarrasTimesteps() {
        return roundsKarrasTimesteps;
    }

    @Override
    public double[] step(double[] modelOutput, double timestep, double[] sample, NoiseSource noise) {
        int index = beginStep(timestep);
        int steps = stepCount();
        boolean shortRun = lowerOrderFinal && steps < 15;
        // lower orders at the end stabilise short runs; a zero final sigma always ends with a first-order step
        boolean firstOrderLast = index == steps - 1 && (eulerAtFinal || shortRun || finalSigmasType.equals("zero"));
        boolean secondOrderSecondLast = index == steps - 2 && shortRun;

        remember(predictsData ? dataPrediction(modelOutput, sample) : noisePrediction(modelOutput, sample, true));
        double[] z = stochastic ? noise.gaussian(sample.length) : null;

        double[] previous;
        if (solverOrder == 1 || lowerOrderNums() < 1 || firstOrderLast) {
            previous = firstOrderUpdate(index, sample, z);
        } else if (solverOrder == 2 || lowerOrderNums() < 2 || secondOrderSecondLast) {
            previous = secondOrderUpdate(index, sample, z);
        } else {
            previous = thirdOrderUpdate(index, sample, z);
        }
        endStep();
        return previous;
    }

    /** First order: DPM-Solver-1, which is DDIM. */
    private double[] firstOrderUpdate(int index, double[] x, double[] z) {
        Level t = level(sigma(index + 1));
        Level s = level(sigma(index));
        double h = t.lambda() - s.lambda();
        double[] d = output(0);
        double[] xT = switch (algorithmType) {
            case "dpmsolver++" -> Vectors.combine(t.sigma() / s.sigma(), x, -t.alpha() * Math.expm1(-h), d);
            case "dpmsolver" -> Vectors.combine(t.alpha() / s.alpha(), x, -t.sigma() * Math.expm1(h), d);
            case "sde-dpmsolver++" -> Vectors.combine(t.sigma() / s.sigma() * Math.exp(-h), x,
                    t.alpha() * -Math.expm1(-2 * h), d);
            default -> Vectors.combine(t.alpha() / s.alpha(), x, -2 * t.sigma() * Math.expm1(h), d);
        };
        return withNoise(xT, t, h, z);
    }

    /** Second order from the last two outputs: D0 = m0, D1 = (m0 - m1) / r0 with r0 = h_prev / h. */
    private double[] secondOrderUpdate(int index, double[] x, double[] z) {
        Level t = level(sigma(index + 1));
        Level s0 = level(sigma(index));
        Level s1 = level(sigma(index - 1));
        double h = t.lambda() - s0.lambda();
        double r0 = (s0.lambda() - s1.lambda()) / h;
        double[] d0 = output(0);
        double[] d1 = Vectors.combine(1 / r0, output(0), -1 / r0, output(1));
        double[] c; // coefficients of x, D0, D1
        switch (algorithmType) {
            case "dpmsolver++" -> {
                double phi = Math.expm1(-h);
                c = new double[] {t.sigma() / s0.sigma(), -t.alpha() * phi,
                        midpoint ? -0.5 * t.alpha() * phi : t.alpha() * (phi / h + 1)};
            }
            case "dpmsolver" -> {
                double phi = Math.expm1(h);
                c = new double[] {t.alpha() / s0.alpha(), -t.sigma() * phi,
                        midpoint ? -0.5 * t.sigma() * phi : -t.sigma() * (phi / h - 1)};
            }
            case "sde-dpmsolver++" -> {
                double decay = -Math.expm1(-2 * h);
                c = new double[] {t.sigma() / s0.sigma() * Math.exp(-h), t.alpha() * decay,
                        midpoint ? 0.5 * t.alpha() * decay : t.alpha() * (decay / (-2 * h) + 1)};
            }
            default -> { // sde-dpmsolver
                double phi = Math.expm1(h);
                c = new double[] {t.alpha() / s0.alpha(), -2 * t.sigma() * phi,
                        midpoint ? -t.sigma() * phi : -2 * t.sigma() * (phi / h - 1)};
            }
        }
        return withNoise(Vectors.combine(c[0], x, c[1], d0, c[2], d1), t, h, z);
    }

    /** Third order from the last three outputs, with first and second divided differences D1 and D2. */
    private double[] thirdOrderUpdate(int index, double[] x, double[] z) {
        Level t = level(sigma(index + 1));
        Level s0 = level(sigma(index));
        Level s1 = level(sigma(index - 1));
        Level s2 = level(sigma(index - 2));
        double h = t.lambda() - s0.lambda();
        double r0 = (s0.lambda() - s1.lambda()) / h;
        double r1 = (s1.lambda() - s2.lambda()) / h;
        double[] d0 = output(0);
        double[] d10 = Vectors.combine(1 / r0, output(0), -1 / r0, output(1));
        double[] d11 = Vectors.combine(1 / r1, output(1), -1 / r1, output(2));
        double[] d1 = Vectors.combine(1 + r0 / (r0 + r1), d10, -r0 / (r0 + r1), d11);
        double[] d2 = Vectors.combine(1 / (r0 + r1), d10, -1 / (r0 + r1), d11);
        double[] c; // coefficients of x, D0, D1, D2
        switch (algorithmType) {
            case "dpmsolver++" -> {
                double phi = Math.expm1(-h);
                c = new double[] {t.sigma() / s0.sigma(), -t.alpha() * phi, t.alpha() * (phi / h + 1),
                        -t.alpha() * ((phi + h) / (h * h) - 0.5)};
            }
            case "dpmsolver" -> {
                double phi = Math.expm1(h);
                c = new double[] {t.alpha() / s0.alpha(), -t.sigma() * phi, -t.sigma() * (phi / h - 1),
                        -t.sigma() * ((phi - h) / (h * h) - 0.5)};
            }
            default -> { // sde-dpmsolver++ (the constructor rejects third-order sde-dpmsolver)
                double decay = -Math.expm1(-2 * h);
                c = new double[] {t.sigma() / s0.sigma() * Math.exp(-h), t.alpha() * decay,
                        t.alpha() * (decay / (-2 * h) + 1),
                        t.alpha() * ((decay - 2 * h) / (4 * h * h) - 0.5)};
            }
        }
        return withNoise(linearCombination(c, x, d0, d1, d2), t, h, z);
    }

    /** The SDE variants' fresh noise, scaled to the variance the step leaves to fill. */
    private double[] withNoise(double[] xT, Level t, double h, double[] z) {
        if (z == null) {
            return xT;
        }
        double scale = algorithmType.equals("sde-dpmsolver++")
                ? t.sigma() * Math.sqrt(-Math.expm1(-2 * h))
                : t.sigma() * Math.sqrt(Math.expm1(2 * h));
        return Vectors.combine(1, xT, scale, z);
    }
}
