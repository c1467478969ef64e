package dev.diffusion.scheduler;

import java.util.Arrays;
import java.util.Set;

/**
 * What diffusers' DPMSolverMultistepScheduler and UniPCMultistepScheduler share: noise levels sigma on the
 * variance-preserving path (alpha_t = 1/sqrt(1 + sigma²), sigma_t = sigma·alpha_t, lambda = log alpha_t - log
 * sigma_t), timesteps spaced the multistep way (n + 1 points, the last dropped) or from Karras or exponential sigmas,
 * the final sigma, the model output converted to a data or noise prediction, a history of converted outputs, and a
 * step index found from the first timestep or set by img2img. The model input is never scaled and the initial noise
 * sigma is 1.
 */
abstract class MultistepScheduler implements Scheduler {

    private static final Set<String> FINAL_SIGMA_TYPES = Set.of("zero", "sigma_min");

    private final String className;
    protected final NoiseSchedule schedule;
    protected final int solverOrder;
    protected final boolean lowerOrderFinal;
    protected final String finalSigmasType;
    protected final SigmaSpacing sigmaSpacing;
    private final PredictionType prediction;
    private final DynamicThresholding thresholding;
    private final TimestepSpacing timestepSpacing;
    private final int stepsOffset;

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
        for (String key : new String[] {"use_flow_sigmas", "use_dynamic_shifting"}) {
            if (config.bool(key, false)) {
                throw unsupported(key);
            }
        }
        NoiseSchedule trained = NoiseSchedule.from(config, true);
        this.schedule = config.bool("rescale_betas_zero_snr", false) ? trained.withFiniteTerminalSigma() : trained;
        this.prediction = PredictionType.from(config, className, PredictionType.EPSILON, PredictionType.SAMPLE,
                PredictionType.V_PREDICTION);
        this.thresholding = DynamicThresholding.from(config);
        this.lowerOrderFinal = config.bool("lower_order_final", true);
        this.timestepSpacing = TimestepSpacing.from(config, "linspace");
        this.stepsOffset = config.integer("steps_offset", 0);
        this.sigmaSpacing = SigmaSpacing.from(config);
        this.finalSigmasType = requireOneOf("final_sigmas_type", config.string("final_sigmas_type", "zero"),
                FINAL_SIGMA_TYPES);
    }

    // ---- what the two solvers lay out differently ----

    /** The timestep the spacing counts down from; DPM-Solver lowers it to clip lambda. */
    protected int lastTimestep() {
        return schedule.trainTimesteps();
    }

    /** Karras or exponential sigmas over the training range (UniPC lets the config override the range). */
    protected double[] spacedSigmas(double trainSigmaMin, double trainSigmaMax, int n) {
        return sigmaSpacing.between(trainSigmaMin, trainSigmaMax, n);
    }

    /** Whether the timesteps of Karras sigmas are rounded to whole training steps (exponential ones never are). */
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
        if (sigmaSpacing == SigmaSpacing.TIMESTEPS) {
            stepTimesteps = spacedTimesteps(numInferenceSteps);
            stepSigmas = SigmaMath.sigmasAt(stepTimesteps, trainSigmas);
        } else {
            double[] logSigmas = new double[trainSigmas.length];
            for (int i = 0; i < logSigmas.length; i++) {
                logSigmas[i] = (float) Math.log(trainSigmas[i]);
            }
            stepSigmas = spacedSigmas(trainSigmas[0], trainSigmas[trainSigmas.length - 1], numInferenceSteps);
            boolean round = sigmaSpacing == SigmaSpacing.KARRAS && roundsKarrasTimesteps();
            stepTimesteps = new double[stepSigmas.length];
            for (int i = 0; i < stepSigmas.length; i++) {
                double t = SigmaMath.sigmaToT(stepSigmas[i], logSigmas);
                stepTimesteps[i] = round ? Math.rint(t) : t;
            }
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
        return switch (timestepSpacing) {
            case LINSPACE -> {
                double[] points = SigmaMath.linspace(0, last - 1, n + 1);
                double[] out = new double[n];
                for (int i = 0; i < n; i++) {
                    out[i] = Math.rint(points[n - i]);
                }
                yield out;
            }
            case LEADING -> {
                int ratio = last / (n + 1);
                double[] out = new double[n];
                for (int i = 0; i < n; i++) {
                    out[i] = (double) (n - i) * ratio + stepsOffset;
                }
                yield out;
            }
            case TRAILING -> trailing(last, n);
        };
    }

    /**
     * np.arange(last, 0, -T/n).round() - 1, with numpy's element count and its step (last - T/n) - last. Where that
     * count overshoots by one (n = 61, 103, ...) the extra element is timestep -1, which is dropped, as the other
     * samplers do; when lambda clipping lowers {@code last}, there are fewer than n steps, as in diffusers.
     */
    private double[] trailing(int last, int n) {
        double step = (last - (double) schedule.trainTimesteps() / n) - last;
        int count = (int) Math.ceil(-last / step);
        double[] out = new double[count];
        int kept = 0;
        for (int i = 0; i < count; i++) {
            double t = Math.rint(last + i * step) - 1;
            if (t >= 0) {
                out[kept++] = t;
            }
        }
        return Arrays.copyOf(out, kept);
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
        double[] x0 = prediction.originalSample(modelOutput, sample, alphaProduct());
        if (thresholding != null) {
            return thresholding.apply(x0);
        }
        return x0 == modelOutput ? x0.clone() : x0; // the history outlives the caller's array
    }

    /** The model's estimate of the noise at this step's noise level; thresholding, if asked, acts through x0. */
    protected final double[] noisePrediction(double[] modelOutput, double[] sample, boolean applyThresholding) {
        double alphaProd = alphaProduct();
        double[] epsilon = prediction.noise(modelOutput, sample, alphaProd);
        if (!applyThresholding || thresholding == null) {
            return epsilon;
        }
        double[] x0 = thresholding.apply(PredictionType.EPSILON.originalSample(epsilon, sample, alphaProd));
        return PredictionType.SAMPLE.noise(x0, sample, alphaProd);
    }

    /** ᾱ = alpha_t² = 1/(σ² + 1) at this step's noise level. */
    private double alphaProduct() {
        double sigma = sigmas[stepIndex];
        return 1 / (sigma * sigma + 1);
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

    protected final String requireOneOf(String key, String value, Set<String> allowed) {
        if (!allowed.contains(value)) {
            throw unsupported(key + " '" + value + "' (one of " + String.join(", ", allowed.stream().sorted().toList())
                    + ")");
        }
        return value;
    }

    /** The position of {@code timestep} in the schedule; when absent, the last (as diffusers). */
    private int indexForTimestep(double timestep) {
        int index = SigmaMath.indexOfTimestep(timesteps, timestep);
        return index >= 0 ? index : timesteps.length - 1;
    }

    private void requireTimesteps() {
        if (timesteps == null) {
            throw new IllegalStateException(className + ": call setTimesteps before sampling");
        }
    }
}
