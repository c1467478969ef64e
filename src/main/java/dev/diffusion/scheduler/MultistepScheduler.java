package dev.diffusion.scheduler;

import java.util.Set;

/**
 * What diffusers' DPMSolverMultistepScheduler and UniPCMultistepScheduler share: noise levels sigma on the
 * variance-preserving path (alpha_t = 1/sqrt(1 + sigma²), sigma_t = sigma·alpha_t, lambda = log alpha_t - log
 * sigma_t), timesteps spaced the multistep way (n + 1 points, the last dropped), optional Karras sigmas, the final
 * sigma, the model output converted to a data or noise prediction, a history of converted outputs, and a step index
 * found from the first timestep or set by img2img. The model input is never scaled and the initial noise sigma is 1.
 */
abstract class MultistepScheduler implements Scheduler {

    private static final Set<String> SPACINGS = Set.of("linspace", "leading", "trailing");
    private static final Set<String> PREDICTION_TYPES = Set.of("epsilon", "sample", "v_prediction");
    private static final Set<String> FINAL_SIGMA_TYPES = Set.of("zero", "sigma_min");
    /** diffusers floors the last ᾱ of a zero-terminal-SNR schedule at fp16's smallest subnormal so sigma stays finite. */
    private static final double ZERO_SNR_ALPHA_CUMPROD = 0x1p-24;

    private final String className;
    protected final NoiseSchedule schedule;
    protected final int solverOrder;
    protected final boolean lowerOrderFinal;
    protected final String finalSigmasType;
    private final String predictionType;
    private final DynamicThresholding thresholding;
    private final String timestepSpacing;
    private final int stepsOffset;
    protected final boolean useKarrasSigmas;

    private double[] timesteps;
    private double[] sigmas;
    private Integer stepIndex;
    private Integer beginIndex;
    /** Converted model outputs, oldest first; the newest is last. */
    private double[][] outputs;
    private int lowerOrderNums;

    MultistepScheduler(SchedulerConfig config, String className, int solverOrder) {
        this.className = className;
        this.solverOrder = solverOrder;
        if (solverOrder < 1) {
            throw unsupported("solver_order " + solverOrder + " (must be at least 1)");
        }
        for (String key : new String[] {"use_exponential_sigmas", "use_beta_sigmas", "use_flow_sigmas",
                "use_dynamic_shifting"}) {
            if (config.bool(key, false)) {
                throw unsupported(key);
            }
        }
        this.schedule = flooredAtZeroSnr(NoiseSchedule.from(config, true), config);
        this.predictionType = oneOf(config, "prediction_type", "epsilon", PREDICTION_TYPES);
        this.thresholding = DynamicThresholding.from(config);
        this.lowerOrderFinal = config.bool("lower_order_final", true);
        this.timestepSpacing = oneOf(config, "timestep_spacing", "linspace", SPACINGS);
        this.stepsOffset = config.integer("steps_offset", 0);
        this.useKarrasSigmas = config.bool("use_karras_sigmas", false);
        this.finalSigmasType = oneOf(config, "final_sigmas_type", "zero", FINAL_SIGMA_TYPES);
    }

    private static NoiseSchedule flooredAtZeroSnr(NoiseSchedule schedule, SchedulerConfig config) {
        if (!config.bool("rescale_betas_zero_snr", false)) {
            return schedule;
        }
        double[] cumprod = schedule.alphasCumprod().clone();
        cumprod[cumprod.length - 1] = ZERO_SNR_ALPHA_CUMPROD;
        return new NoiseSchedule(schedule.betas(), schedule.alphas(), cumprod);
    }

    // ---- what the two solvers lay out differently ----

    /** The timestep the spacing counts down from; DPM-Solver lowers it to clip lambda. */
    protected int lastTimestep() {
        return schedule.trainTimesteps();
    }

    /** Karras sigmas from the training range (UniPC lets the config override the range). */
    protected double[] karrasSigmas(double trainSigmaMin, double trainSigmaMax, int n) {
        return SigmaMath.karrasSigmas(trainSigmaMin, trainSigmaMax, n);
    }

    /** Whether the timesteps of Karras sigmas are rounded to whole training steps. */
    protected boolean roundsKarrasTimesteps() {
        return true;
    }

    /** The noise level after the last step for {@code final_sigmas_type = sigma_min}. */
    protected double finalSigmaMin(double[] stepSigmas, double trainSigmaMin) {
        return trainSigmaMin;
    }

    // ---- Scheduler ----

    @Override
    public void setTimesteps(int numInferenceSteps) {
        if (numInferenceSteps < 1) {
            throw new IllegalArgumentException("numInferenceSteps must be at least 1, not " + numInferenceSteps);
        }
        double[] trainSigmas = schedule.sigmas();
        double[] stepTimesteps;
        double[] stepSigmas;
        if (useKarrasSigmas) {
            double[] logSigmas = new double[trainSigmas.length];
            for (int i = 0; i < logSigmas.length; i++) {
                logSigmas[i] = (float) Math.log(trainSigmas[i]);
            }
            stepSigmas = karrasSigmas(trainSigmas[0], trainSigmas[trainSigmas.length - 1], numInferenceSteps);
            stepTimesteps = new double[stepSigmas.length];
            for (int i = 0; i < stepSigmas.length; i++) {
                double t = SigmaMath.sigmaToT(stepSigmas[i], logSigmas);
                stepTimesteps[i] = roundsKarrasTimesteps() ? Math.rint(t) : t;
            }
        } else {
            stepTimesteps = spacedTimesteps(numInferenceSteps);
            stepSigmas = SigmaMath.sigmasAt(stepTimesteps, trainSigmas);
        }
        double last = finalSigmasType.equals("zero") ? 0.0 : finalSigmaMin(stepSigmas, trainSigmas[0]);
        sigmas = new double[stepSigmas.length + 1];
        for (int i = 0; i < stepSigmas.length; i++) {
            sigmas[i] = (float) stepSigmas[i];
        }
        sigmas[stepSigmas.length] = (float) last;
        timesteps = new double[stepTimesteps.length];
        for (int i = 0; i < timesteps.length; i++) {
            timesteps[i] = (long) stepTimesteps[i]; // diffusers stores them as int64
        }
        outputs = new double[solverOrder][];
        lowerOrderNums = 0;
        stepIndex = null;
        beginIndex = null;
        afterSetTimesteps();
    }

    /** Resets a solver's own state when a new run is laid out. */
    protected void afterSetTimesteps() {
    }

    /** n + 1 evenly spaced points with the last dropped, counting down, as the multistep schedulers space them. */
    private double[] spacedTimesteps(int n) {
        int last = lastTimestep();
        double[] out;
        switch (timestepSpacing) {
            case "linspace" -> {
                double[] points = SigmaMath.linspace(0, last - 1, n + 1);
                out = new double[n];
                for (int i = 0; i < n; i++) {
                    out[i] = Math.rint(points[n - i]);
                }
            }
            case "leading" -> {
                int ratio = last / (n + 1);
                out = new double[n];
                for (int i = 0; i < n; i++) {
                    out[i] = (double) (n - i) * ratio + stepsOffset;
                }
            }
            default -> { // trailing: np.arange(last, 0, -ratio).round() - 1
                double step = -(double) schedule.trainTimesteps() / n;
                int count = (int) Math.ceil((0 - last) / step);
                out = new double[count];
                for (int i = 0; i < count; i++) {
                    out[i] = Math.rint(last + i * step) - 1;
                }
            }
        }
        return out;
    }

    @Override
    public double[] timesteps() {
        requireTimesteps();
        return timesteps.clone();
    }

    @Override
    public double[] sigmas() {
        requireTimesteps();
        return sigmas.clone();
    }

    @Override
    public double initNoiseSigma() {
        return 1.0;
    }

    @Override
    public void setBeginIndex(int beginIndex) {
        this.beginIndex = beginIndex;
    }

    @Override
    public double[] addNoise(double[] original, double[] noise, double timestep) {
        requireTimesteps();
        int index;
        if (beginIndex == null) {
            index = indexForTimestep(timestep);
        } else {
            index = stepIndex != null ? stepIndex : beginIndex; // after the first step: inpainting re-noises
        }
        Level level = level(sigmas[index]);
        return Vectors.combine(level.alpha(), original, level.sigma(), noise);
    }

    // ---- for the solvers' steps ----

    /** The index of this step: from img2img's begin index or the timestep on the first step, then counted. */
    protected final int beginStep(double timestep) {
        requireTimesteps();
        if (stepIndex == null) {
            stepIndex = beginIndex != null ? beginIndex : indexForTimestep(timestep);
        }
        return stepIndex;
    }

    /** Closes a step: one more output counts towards the solver order, and the index moves on. */
    protected final void endStep() {
        if (lowerOrderNums < solverOrder) {
            lowerOrderNums++;
        }
        stepIndex++;
    }

    /** How many outputs the history held before this step, capped at the solver order (diffusers' warm-up). */
    protected final int lowerOrderNums() {
        return lowerOrderNums;
    }

    protected final int stepCount() {
        return timesteps.length;
    }

    protected final double sigma(int index) {
        return sigmas[index];
    }

    protected final void remember(double[] convertedOutput) {
        System.arraycopy(outputs, 1, outputs, 0, outputs.length - 1);
        outputs[outputs.length - 1] = convertedOutput;
    }

    /** A remembered converted output: 0 is the newest, 1 the one before, ... */
    protected final double[] output(int back) {
        return outputs[outputs.length - 1 - back];
    }

    /** A noise level on the variance-preserving path: x = alpha·x0 + sigma·noise, lambda = log(alpha / sigma). */
    protected record Level(double alpha, double sigma, double lambda) {
    }

    /** The level of noise-to-signal ratio {@code sigma}; at sigma 0, alpha is 1 and lambda +infinity. */
    protected static Level level(double sigma) {
        double alpha = 1 / Math.sqrt(sigma * sigma + 1);
        double sigmaT = sigma * alpha;
        return new Level(alpha, sigmaT, Math.log(alpha) - Math.log(sigmaT));
    }

    /** The model's estimate of the clean sample x0 at this step's noise level, thresholded if configured. */
    protected final double[] dataPrediction(double[] modelOutput, double[] sample) {
        Level now = level(sigmas[stepIndex]);
        double alphaT = now.alpha();
        double sigmaT = now.sigma();
        double[] x0 = switch (predictionType) {
            case "epsilon" -> Vectors.combine(1 / alphaT, sample, -sigmaT / alphaT, modelOutput);
            case "v_prediction" -> Vectors.combine(alphaT, sample, -sigmaT, modelOutput);
            default -> modelOutput.clone(); // "sample"
        };
        return thresholding == null ? x0 : thresholding.apply(x0);
    }

    /** The model's estimate of the noise at this step's noise level; thresholding, if asked, acts through x0. */
    protected final double[] noisePrediction(double[] modelOutput, double[] sample, boolean applyThresholding) {
        Level now = level(sigmas[stepIndex]);
        double alphaT = now.alpha();
        double sigmaT = now.sigma();
        double[] epsilon = switch (predictionType) {
            case "epsilon" -> modelOutput.clone();
            case "v_prediction" -> Vectors.combine(alphaT, modelOutput, sigmaT, sample);
            default -> Vectors.combine(1 / sigmaT, sample, -alphaT / sigmaT, modelOutput); // "sample"
        };
        if (!applyThresholding || thresholding == null) {
            return epsilon;
        }
        double[] x0 = thresholding.apply(Vectors.combine(1 / alphaT, sample, -sigmaT / alphaT, epsilon));
        return Vectors.combine(1 / sigmaT, sample, -alphaT / sigmaT, x0);
    }

    /** Σ coefficients[k]·vectors[k], for updates with more terms than {@link Vectors#combine} takes. */
    protected static double[] linearCombination(double[] coefficients, double[]... vectors) {
        double[] out = new double[vectors[0].length];
        for (int k = 0; k < vectors.length; k++) {
            double c = coefficients[k];
            double[] v = vectors[k];
            for (int i = 0; i < out.length; i++) {
                out[i] += c * v[i];
            }
        }
        return out;
    }

    protected final IllegalArgumentException unsupported(String what) {
        return new IllegalArgumentException(className + ": unsupported " + what);
    }

    protected final String oneOf(SchedulerConfig config, String key, String defaultValue, Set<String> allowed) {
        return requireOneOf(key, config.string(key, defaultValue), allowed);
    }

    protected final String requireOneOf(String key, String value, Set<String> allowed) {
        if (!allowed.contains(value)) {
            throw unsupported(key + " '" + value + "' (one of " + String.join(", ", allowed.stream().sorted().toList())
                    + ")");
        }
        return value;
    }

    /**
     * The position of {@code timestep} in the schedule; when it appears twice, the second, so that a run started
     * part-way does not skip a sigma; when absent, the last.
     */
    private int indexForTimestep(double timestep) {
        int first = -1;
        for (int i = 0; i < timesteps.length; i++) {
            if (timesteps[i] == timestep) {
                if (first >= 0) {
                    return i;
                }
                first = i;
            }
        }
        return first >= 0 ? first : timesteps.length - 1;
    }

    private void requireTimesteps() {
        if (timesteps == null) {
            throw new IllegalStateException(className + ": call setTimesteps before sampling");
        }
    }
}
