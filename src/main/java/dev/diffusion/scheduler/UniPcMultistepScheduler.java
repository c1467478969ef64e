package dev.diffusion.scheduler;

import java.util.Arrays;
import java.util.HashSet;
import java.util.Set;

/**
 * UniPC (Zhao et al. 2023), as diffusers' {@code UniPCMultistepScheduler}: a multistep predictor (UniP) of any
 * order, and a corrector (UniC) that, at the next step, refines the latents the predictor produced using the model
 * output there, before predicting again. B(h) is {@code bh1} (h) or {@code bh2} (e^h - 1).
 * <p>
 * One deliberate difference: a first-order step to a zero final sigma with {@code bh1} returns the data prediction,
 * its exact value, where diffusers multiplies B(h) = -infinity by an empty residual and returns NaN.
 */
public final class UniPcMultistepScheduler extends MultistepScheduler {

    private static final Set<String> SOLVER_TYPES = Set.of("bh1", "bh2");

    private final boolean predictX0;
    private final boolean bh1;
    /** Steps whose corrector is skipped, by the index of the step that made the latents it would correct. */
    private final Set<Integer> disableCorrector;
    private final Double sigmaMinOverride;
    private final Double sigmaMaxOverride;

    /** The latents before the last prediction, and that prediction's order: what the corrector refines. */
    private double[] lastSample;
    private int lastOrder;

    public UniPcMultistepScheduler(SchedulerConfig config) {
        super(config, "UniPCMultistepScheduler", config.integer("solver_order", 2));
        if (config.has("solver_p")) {
            throw unsupported("solver_p (another scheduler as the predictor)");
        }
        if (config.has("shift_terminal")) {
            throw unsupported("shift_terminal (flow sigmas only)");
        }
        String solverType = config.string("solver_type", "bh2");
        // diffusers runs DPM-Solver and DEIS configs loaded into this class with bh2
        this.bh1 = requireOneOf("solver_type",
                Set.of("midpoint", "heun", "logrho").contains(solverType) ? "bh2" : solverType, SOLVER_TYPES)
                .equals("bh1");
        this.predictX0 = config.bool("predict_x0", true);
        if (!predictX0 && finalSigmasType.equals("zero")) {
            // diffusers' noise-form step to sigma 0 multiplies 0 by e^inf and returns NaN
            throw unsupported("final_sigmas_type 'zero' with predict_x0 false (use final_sigmas_type 'sigma_min')");
        }
        this.disableCorrector = new HashSet<>();
        double[] disabled = config.numbers("disable_corrector");
        if (disabled != null) {
            for (double step : disabled) {
                disableCorrector.add((int) step);
            }
        }
        this.sigmaMinOverride = config.optionalNumber("sigma_min");
        this.sigmaMaxOverride = config.optionalNumber("sigma_max");
    }

    @Override
    protected double[] spacedSigmas(double trainSigmaMin, double trainSigmaMax, int n) {
        return sigmaSpacing.between(sigmaMinOverride != null ? sigmaMinOverride : trainSigmaMin,
                sigmaMaxOverride != null ? sigmaMaxOverride : trainSigmaMax, n);
    }

    /** UniPC ends Karras and exponential schedules at their last sigma (which {@code sigma_min} may have moved). */
    @Override
    protected double finalSigmaMin(double[] stepSigmas, double trainSigmaMin) {
        return sigmaSpacing == SigmaSpacing.TIMESTEPS ? trainSigmaMin : stepSigmas[stepSigmas.length - 1];
    }

    @Override
    protected void afterSetTimesteps() {
        lastSample = null;
        lastOrder = 0;
    }

    @Override
    public double[] step(double[] modelOutput, double timestep, double[] sample, NoiseSource noise) {
        int index = beginStep(timestep);
        boolean useCorrector = index > 0 && !disableCorrector.contains(index - 1) && lastSample != null;

        double[] converted = predictX0 ? dataPrediction(modelOutput, sample)
                : noisePrediction(modelOutput, sample, false);
        double[] corrected = useCorrector ? correct(index, converted, lastSample, sample, lastOrder) : sample;
        remember(converted);

        int order = lowerOrderFinal ? Math.min(solverOrder, stepCount() - index) : solverOrder;
        order = Math.min(order, lowerOrderNums() + 1); // warm-up: no more history than there is
        lastOrder = order;
        lastSample = corrected;
        double[] previous = predict(index, corrected, order);
        endStep();
        return previous;
    }

    /** UniP-p: from the noise level of step {@code index} to the next one, using the last p outputs. */
    private double[] predict(int index, double[] x, int order) {
        Level t = level(sigma(index + 1));
        Level s0 = level(sigma(index));
        double h = t.lambda() - s0.lambda();
        double[] m0 = output(0);
        double[] rks = new double[order];
        double[][] d1s = new double[order - 1][];
        for (int i = 1; i < order; i++) {
            rks[i - 1] = (level(sigma(index - i)).lambda() - s0.lambda()) / h;
            d1s[i - 1] = Vectors.combine(1 / rks[i - 1], output(i), -1 / rks[i - 1], m0);
        }
        rks[order - 1] = 1;
        Phi phi = phi(h, rks);
        double[] rhos;
        if (order == 1) {
            rhos = new double[0];
        } else if (order == 2) {
            rhos = new double[] {0.5}; // diffusers' simplified second order
        } else {
            rhos = solve(leading(phi.r(), order - 1), Arrays.copyOf(phi.b(), order - 1));
        }
        return update(t, s0, phi, x, m0, rhos, d1s);
    }

    /**
     * UniC-p: refines {@code thisSample}, which the last prediction made from {@code last}, with the model output at
     * it; the history still ends with the output the prediction used.
     */
    private double[] correct(int index, double[] modelAtThis, double[] last, double[] thisSample, int order) {
        Level t = level(sigma(index));
        Level s0 = level(sigma(index - 1));
        double h = t.lambda() - s0.lambda();
        double[] m0 = output(0);
        double[] rks = new double[order];
        double[][] d1s = new double[order][];
        for (int i = 1; i < order; i++) {
            rks[i - 1] = (level(sigma(index - (i + 1))).lambda() - s0.lambda()) / h;
            d1s[i - 1] = Vectors.combine(1 / rks[i - 1], output(i), -1 / rks[i - 1], m0);
        }
        rks[order - 1] = 1;
        d1s[order - 1] = Vectors.combine(1, modelAtThis, -1, m0);
        Phi phi = phi(h, rks);
        double[] rhos = order == 1 ? new double[] {0.5} : solve(phi.r(), phi.b());
        return update(t, s0, phi, last, m0, rhos, d1s);
    }

    /** x_t = (exponential-integrator step of order 1) - B(h)·Σ rho_k·D1_k, in the data or the noise form. */
    private double[] update(Level t, Level s0, Phi phi, double[] x, double[] m0, double[] rhos, double[][] d1s) {
        double[] firstOrder = predictX0
                ? Vectors.combine(t.sigma() / s0.sigma(), x, -t.alpha() * phi.hPhi1(), m0)
                : Vectors.combine(t.alpha() / s0.alpha(), x, -t.sigma() * phi.hPhi1(), m0);
        if (rhos.length == 0) {
            return firstOrder; // no residual, so an infinite B(h) (bh1 at sigma 0) cannot turn it into NaN
        }
        double[] coefficients = new double[rhos.length + 1];
        double[][] terms = new double[rhos.length + 1][];
        double scale = (predictX0 ? t.alpha() : t.sigma()) * phi.bH();
        coefficients[0] = 1;
        terms[0] = firstOrder;
        for (int k = 0; k < rhos.length; k++) {
            coefficients[k + 1] = -scale * rhos[k];
            terms[k + 1] = d1s[k];
        }
        return linearCombination(coefficients, terms);
    }

    /** h·phi_1(h), B(h), and the order conditions R·rho = b: R[i][k] = r_k^i, b[i] = h·phi_(i+2)(h)·(i+1)!/B(h). */
    private record Phi(double hPhi1, double bH, double[][] r, double[] b) {
    }

    private Phi phi(double h, double[] rks) {
        int order = rks.length;
        double hh = predictX0 ? -h : h;
        double hPhi1 = Math.expm1(hh);
        double hPhiK = hPhi1 / hh - 1;
        double bH = bh1 ? hh : Math.expm1(hh);
        double factorial = 1;
        double[][] r = new double[order][order];
        double[] b = new double[order];
        for (int i = 1; i <= order; i++) {
            for (int k = 0; k < order; k++) {
                r[i - 1][k] = Math.pow(rks[k], i - 1);
            }
            b[i - 1] = hPhiK * factorial / bH;
            factorial *= i + 1;
            hPhiK = hPhiK / hh - 1 / factorial;
        }
        return new Phi(hPhi1, bH, r, b);
    }

    private static double[][] leading(double[][] matrix, int size) {
        double[][] out = new double[size][];
        for (int i = 0; i < size; i++) {
            out[i] = Arrays.copyOf(matrix[i], size);
        }
        return out;
    }

    /** Solves a·x = b by Gaussian elimination with partial pivoting (a is at most solver_order square). */
    static double[] solve(double[][] a, double[] b) {
        int n = b.length;
        double[][] m = new double[n][];
        for (int i = 0; i < n; i++) {
            m[i] = Arrays.copyOf(a[i], n + 1);
            m[i][n] = b[i];
        }
        for (int col = 0; col < n; col++) {
            int pivot = col;
            for (int row = col + 1; row < n; row++) {
                if (Math.abs(m[row][col]) > Math.abs(m[pivot][col])) {
                    pivot = row;
                }
            }
            double[] swap = m[col];
            m[col] = m[pivot];
            m[pivot] = swap;
            for (int row = col + 1; row < n; row++) {
                double factor = m[row][col] / m[col][col];
                for (int k = col; k <= n; k++) {
                    m[row][k] -= factor * m[col][k];
                }
            }
        }
        double[] x = new double[n];
        for (int row = n - 1; row >= 0; row--) {
            double sum = m[row][n];
            for (int k = row + 1; k < n; k++) {
                sum -= m[row][k] * x[k];
            }
            x[row] = sum / m[row][row];
        }
        return x;
    }
}
