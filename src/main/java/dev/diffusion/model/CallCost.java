package dev.diffusion.model;

import java.util.List;

/**
 * What one network call costs (bytes of native memory at its peak, or seconds), as a function of its rows and the
 * latent area it works on: {@code fixed + rows^rowsExponent × (perRow + perArea × area) + rows × perAreaSquared ×
 * area²}. The square term is attention's: its score matrices grow with the square of the number of latent positions,
 * row by row, so every row pays it alike. The exponent is a batch's discount on the rest: rows share each layer's
 * weights and fill the matrix kernels better than one row does, so that 8 rows of a mid-size latent cost less than 8
 * times one row (the bundled model's 48x48, 8 rows, was over-estimated by 26-36% with every row charged alike:
 * BENCHMARKS.md, "What does admission by cost predict"). {@code perRow} is what a row costs whatever its area (the
 * layers' work on the text conditioning, the time embedding, kernels too small to fill the cores): without it a
 * curve through the probe's one-row calls missed its own batches of 2-16 rows at the model's own size by up to 28%
 * and 8 rows at 4 times that side by up to +24% (the tiny SD 1.x fixture; BENCHMARKS.md, same section). A call of
 * at least {@code parallelFrom} work (rows × area) runs on more threads ({@link IntraOpThreads}), and its time is
 * that times {@code parallelFactor}: one curve cannot follow the step down where the second core joins (a 64x64
 * decoder call of the bundled model took 0.059 s on two threads, a 56x56 one 0.085 s on one). Fitted to measured
 * calls by least squares, every coefficient at least zero.
 *
 * @param parallelFrom   work from which calls run on more threads; 0: every call runs alike (memory; costs stored
 *                       before this was measured)
 * @param parallelFactor what those calls cost against the curve (below 1: faster); ignored where parallelFrom is 0
 * @param rowsExponent   how the per-row cost grows with the rows of a call, at most 1 (1: every row alike; memory,
 *                       and costs stored before this was measured, where it reads 0)
 * @param perRow         a row's cost whatever its area (0 in costs stored before it was measured)
 */
public record CallCost(double fixed, double perArea, double perAreaSquared, double parallelFrom,
        double parallelFactor, double rowsExponent, double perRow) {

    /** One measured call: its rows, its latent area (height × width) and what it cost. */
    public record Sample(int rows, double area, double value) {
    }

    /** Factors of parallel calls tried by the fit: two threads on two cores at best halve a call's time. */
    private static final double LEAST_FACTOR = 0.3;
    private static final double MOST_FACTOR = 1.5;
    private static final double FACTOR_STEP = 0.01;
    /**
     * The least rows exponent a fit tries (in steps of 0.01 down from 1): 16 rows then cost 8 times one row. A lower
     * one, fitted to a few batched calls, would under-estimate large batches, which lets a job run out its timeout.
     */
    private static final double LEAST_ROWS_EXPONENT = 0.75;

    public CallCost {
        if (rowsExponent == 0) {
            rowsExponent = 1;  // stored before batches were measured
        }
        if (!(fixed >= 0 && perRow >= 0 && perArea >= 0 && perAreaSquared >= 0 && parallelFrom >= 0
                && Double.isFinite(parallelFrom)
                && (parallelFrom == 0 || parallelFactor > 0 && Double.isFinite(parallelFactor))
                && rowsExponent > 0 && rowsExponent <= 1)) {
            throw new IllegalArgumentException("call cost coefficients must be finite and at least zero, and the rows "
                    + "exponent in (0, 1]");
        }
    }

    /** A cost without a per-row term. */
    public CallCost(double fixed, double perArea, double perAreaSquared, double parallelFrom, double parallelFactor,
            double rowsExponent) {
        this(fixed, perArea, perAreaSquared, parallelFrom, parallelFactor, rowsExponent, 0);
    }

    /** A cost that does not change where calls take more threads, every row alike. */
    public CallCost(double fixed, double perArea, double perAreaSquared) {
        this(fixed, perArea, perAreaSquared, 0, 1, 1, 0);
    }

    /** A cost that charges every row alike. */
    public CallCost(double fixed, double perArea, double perAreaSquared, double parallelFrom, double parallelFactor) {
        this(fixed, perArea, perAreaSquared, parallelFrom, parallelFactor, 1, 0);
    }

    public double estimate(int rows, double area) {
        double cost = fixed + Math.pow(rows, rowsExponent) * (perRow + perArea * area)
                + rows * perAreaSquared * area * area;
        return parallel(rows, area) ? cost * parallelFactor : cost;
    }

    private boolean parallel(int rows, double area) {
        return parallelFrom > 0 && rows * area >= parallelFrom;
    }

    private static boolean parallel(Sample sample, double parallelFrom) {
        return sample.rows() * sample.area() >= parallelFrom;
    }

    /** How a fit weighs its errors. */
    public enum Errors {
        /** In absolute terms: the largest calls measured, nearest the sizes predicted for, weigh most (memory, whose
         * small calls are mostly the allocator's noise). */
        ABSOLUTE,
        /** Relative to the measured value: every call counts alike, small or large (time, which is measured well at
         * every size and asked of calls of every size). */
        RELATIVE
    }

    /**
     * The fit to {@code samples} of calls that run on more threads from {@code parallelFrom} work (0: none do): the
     * curve, the factor of those calls and the rows exponent together, the factor and the exponent the ones of least
     * error (searched in steps of 0.01; the exponent stays 1 unless calls of several rows tell it apart).
     */
    public static CallCost fit(List<Sample> samples, Errors errors, double parallelFrom) {
        boolean severalRows = samples.stream().anyMatch(s -> s.rows() > 1);
        CallCost best = null;
        double bestError = Double.MAX_VALUE;
        for (int hundredths = 100; hundredths >= (severalRows ? Math.round(LEAST_ROWS_EXPONENT * 100) : 100);
                hundredths--) {
            CallCost candidate = fitFactor(samples, errors, parallelFrom, hundredths / 100.0);
            double error = candidate.error(samples, errors);
            if (error < bestError * (1 - 1e-9)) {  // a tie keeps the exponent nearer 1
                bestError = error;
                best = candidate;
            }
        }
        return best;
    }

    /** The fit at one rows exponent: the curve, and where calls take more threads their factor. */
    private static CallCost fitFactor(List<Sample> samples, Errors errors, double parallelFrom, double rowsExponent) {
        boolean anyParallel = samples.stream().anyMatch(s -> parallel(s, parallelFrom));
        boolean anySerial = samples.stream().anyMatch(s -> !parallel(s, parallelFrom));
        if (parallelFrom <= 0 || !anyParallel || !anySerial) {
            return fitCurve(samples, errors, rowsExponent);  // nothing to tell the two kinds of call apart by
        }
        CallCost best = null;
        double bestError = Double.MAX_VALUE;
        for (double factor = LEAST_FACTOR; factor <= MOST_FACTOR + 1e-9; factor += FACTOR_STEP) {
            double f = factor;
            List<Sample> serial = samples.stream()
                    .map(s -> parallel(s, parallelFrom) ? new Sample(s.rows(), s.area(), s.value() / f) : s)
                    .toList();
            CallCost curve = fitCurve(serial, errors, rowsExponent);
            CallCost candidate = new CallCost(curve.fixed, curve.perArea, curve.perAreaSquared, parallelFrom, f,
                    rowsExponent, curve.perRow);
            double error = candidate.error(samples, errors);
            if (error < bestError) {
                bestError = error;
                best = candidate;
            }
        }
        return best;
    }

    /** The sum of squared errors over the samples, as the fit weighs them. */
    private double error(List<Sample> samples, Errors errors) {
        double sum = 0;
        for (Sample sample : samples) {
            double difference = estimate(sample.rows(), sample.area()) - sample.value();
            sum += weight(sample, errors) * difference * difference;
        }
        return sum;
    }

    /** A sample's weight in a fit's squared errors: 1, or for relative errors 1 / value². */
    private static double weight(Sample sample, Errors errors) {
        return errors == Errors.RELATIVE && sample.value() > 0 ? 1 / (sample.value() * sample.value()) : 1;
    }

    /**
     * The least-squares fit to {@code samples}, every row alike, keeping every coefficient at least zero: a coefficient
     * that would come out negative is left out and the others fitted again.
     */
    public static CallCost fit(List<Sample> samples, Errors errors) {
        return fitCurve(samples, errors, 1);
    }

    private static CallCost fitCurve(List<Sample> samples, Errors errors, double rowsExponent) {
        if (samples.isEmpty()) {
            throw new IllegalArgumentException("no samples to fit a call cost to");
        }
        // terms: fixed, perRow, perArea, perAreaSquared; a per-row cost is told from the fixed one by calls of
        // different rows only
        boolean[] used = {true, samples.stream().mapToInt(Sample::rows).distinct().count() > 1, true, true};
        while (true) {
            double[] coefficients = solve(samples, used, errors, rowsExponent);
            int negative = -1;
            for (int k = 0; k < coefficients.length; k++) {
                if (used[k] && coefficients[k] < 0 && (negative < 0 || coefficients[k] < coefficients[negative])) {
                    negative = k;
                }
            }
            if (negative < 0) {
                return new CallCost(coefficients[0], coefficients[2], coefficients[3], 0, 1, rowsExponent,
                        coefficients[1]);
            }
            used[negative] = false;
        }
    }

    /** A sample's value for each term of the curve, as {@link #estimate} multiplies them by the coefficients. */
    private static double[] terms(Sample sample, double rowsExponent) {
        double batch = Math.pow(sample.rows(), rowsExponent);
        return new double[] {1, batch, batch * sample.area(), sample.rows() * sample.area() * sample.area()};
    }

    /**
     * Least squares over the used terms (normal equations, each term scaled to its largest value for conditioning;
     * four unknowns at most); coefficients of unused terms are 0.
     */
    private static double[] solve(List<Sample> samples, boolean[] used, Errors errors, double rowsExponent) {
        int n = used.length;
        double[] largest = new double[n];
        for (Sample sample : samples) {
            double[] terms = terms(sample, rowsExponent);
            for (int k = 0; k < n; k++) {
                largest[k] = Math.max(largest[k], Math.abs(terms[k]));
            }
        }
        double[][] normal = new double[n][n];
        double[] right = new double[n];
        for (Sample sample : samples) {
            double[] terms = terms(sample, rowsExponent);
            for (int k = 0; k < n; k++) {
                terms[k] = largest[k] > 0 ? terms[k] / largest[k] : 0;
            }
            double weight = weight(sample, errors);
            for (int i = 0; i < n; i++) {
                for (int j = 0; j < n; j++) {
                    normal[i][j] += weight * terms[i] * terms[j];
                }
                right[i] += weight * terms[i] * sample.value();
            }
        }
        for (int k = 0; k < n; k++) {
            if (!used[k] || largest[k] == 0) {
                for (int j = 0; j < n; j++) {
                    normal[k][j] = 0;
                    normal[j][k] = 0;
                }
                normal[k][k] = 1;
                right[k] = 0;
            }
        }
        double[] scaled = gauss(normal, right);
        double[] coefficients = new double[n];
        for (int k = 0; k < n; k++) {
            coefficients[k] = largest[k] > 0 ? scaled[k] / largest[k] : 0;
        }
        return coefficients;
    }

    private static double[] gauss(double[][] a, double[] b) {
        int n = b.length;
        for (int col = 0; col < n; col++) {
            int pivot = col;
            for (int row = col + 1; row < n; row++) {
                if (Math.abs(a[row][col]) > Math.abs(a[pivot][col])) {
                    pivot = row;
                }
            }
            double[] rowSwap = a[col];
            a[col] = a[pivot];
            a[pivot] = rowSwap;
            double valueSwap = b[col];
            b[col] = b[pivot];
            b[pivot] = valueSwap;
            if (Math.abs(a[col][col]) < 1e-300) {
                throw new IllegalArgumentException("the samples do not determine a call cost");
            }
            for (int row = col + 1; row < n; row++) {
                double factor = a[row][col] / a[col][col];
                for (int k = col; k < n; k++) {
                    a[row][k] -= factor * a[col][k];
                }
                b[row] -= factor * b[col];
            }
        }
        double[] x = new double[n];
        for (int row = n - 1; row >= 0; row--) {
            double sum = b[row];
            for (int k = row + 1; k < n; k++) {
                sum -= a[row][k] * x[k];
            }
            x[row] = sum / a[row][row];
        }
        return x;
    }
}
