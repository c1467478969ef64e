package dev.diffusion.model;

import java.util.List;

/**
 * What one network call costs (bytes of native memory at its peak, or seconds), as a function of its rows and the
 * latent area it works on: {@code fixed + rows × (perArea × area + perAreaSquared × area²)}. The square term is
 * attention's: its score matrices grow with the square of the number of latent positions. A call of at least
 * {@code parallelFrom} work (rows × area) runs on more threads ({@link IntraOpThreads}), and its time is that times
 * {@code parallelFactor}: one curve cannot follow the step down where the second core joins (a 64x64 decoder call of
 * the bundled model took 0.059 s on two threads, a 56x56 one 0.085 s on one). Fitted to measured calls by least
 * squares, every coefficient at least zero.
 *
 * @param parallelFrom   work from which calls run on more threads; 0: every call runs alike (memory; costs stored
 *                       before this was measured)
 * @param parallelFactor what those calls cost against the curve (below 1: faster); ignored where parallelFrom is 0
 */
public record CallCost(double fixed, double perArea, double perAreaSquared, double parallelFrom,
        double parallelFactor) {

    /** One measured call: its rows, its latent area (height × width) and what it cost. */
    public record Sample(int rows, double area, double value) {
    }

    /** Factors of parallel calls tried by the fit: two threads on two cores at best halve a call's time. */
    private static final double LEAST_FACTOR = 0.3;
    private static final double MOST_FACTOR = 1.5;
    private static final double FACTOR_STEP = 0.01;

    public CallCost {
        if (!(fixed >= 0 && perArea >= 0 && perAreaSquared >= 0 && parallelFrom >= 0 && Double.isFinite(parallelFrom)
                && (parallelFrom == 0 || parallelFactor > 0 && Double.isFinite(parallelFactor)))) {
            throw new IllegalArgumentException("call cost coefficients must be finite and at least zero");
        }
    }

    /** A cost that does not change where calls take more threads. */
    public CallCost(double fixed, double perArea, double perAreaSquared) {
        this(fixed, perArea, perAreaSquared, 0, 1);
    }

    public double estimate(int rows, double area) {
        double cost = fixed + rows * (perArea * area + perAreaSquared * area * area);
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
     * curve and the factor of those calls together, the factor the one of least error (searched in steps of 0.01).
     */
    public static CallCost fit(List<Sample> samples, Errors errors, double parallelFrom) {
        boolean anyParallel = samples.stream().anyMatch(s -> parallel(s, parallelFrom));
        boolean anySerial = samples.stream().anyMatch(s -> !parallel(s, parallelFrom));
        if (parallelFrom <= 0 || !anyParallel || !anySerial) {
            return fit(samples, errors);  // nothing to tell the two kinds of call apart by
        }
        CallCost best = null;
        double bestError = Double.MAX_VALUE;
        for (double factor = LEAST_FACTOR; factor <= MOST_FACTOR + 1e-9; factor += FACTOR_STEP) {
            double f = factor;
            List<Sample> serial = samples.stream()
                    .map(s -> parallel(s, parallelFrom) ? new Sample(s.rows(), s.area(), s.value() / f) : s)
                    .toList();
            CallCost curve = fit(serial, errors);
            CallCost candidate = new CallCost(curve.fixed, curve.perArea, curve.perAreaSquared, parallelFrom, f);
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
     * The least-squares fit to {@code samples}, keeping every coefficient at least zero: a coefficient that would come
     * out negative is left out and the others fitted again.
     */
    public static CallCost fit(List<Sample> samples, Errors errors) {
        if (samples.isEmpty()) {
            throw new IllegalArgumentException("no samples to fit a call cost to");
        }
        boolean[] used = {true, true, true};
        while (true) {
            double[] coefficients = solve(samples, used, errors);
            int negative = -1;
            for (int k = 0; k < 3; k++) {
                if (used[k] && coefficients[k] < 0 && (negative < 0 || coefficients[k] < coefficients[negative])) {
                    negative = k;
                }
            }
            if (negative < 0) {
                return new CallCost(coefficients[0], coefficients[1], coefficients[2]);
            }
            used[negative] = false;
        }
    }

    /** Least squares over the used terms (normal equations, scaled for conditioning; three unknowns at most). */
    private static double[] solve(List<Sample> samples, boolean[] used, Errors errors) {
        double largest = samples.stream().mapToDouble(s -> s.rows() * s.area()).max().orElse(1);
        double[][] normal = new double[3][3];
        double[] right = new double[3];
        for (Sample sample : samples) {
            double x = sample.rows() * sample.area() / largest;
            double[] terms = {1, x, x * sample.area() / largest};
            double weight = weight(sample, errors);
            for (int i = 0; i < 3; i++) {
                for (int j = 0; j < 3; j++) {
                    normal[i][j] += weight * terms[i] * terms[j];
                }
                right[i] += weight * terms[i] * sample.value();
            }
        }
        for (int k = 0; k < 3; k++) {
            if (!used[k]) {
                for (int j = 0; j < 3; j++) {
                    normal[k][j] = 0;
                    normal[j][k] = 0;
                }
                normal[k][k] = 1;
                right[k] = 0;
            }
        }
        double[] scaled = gauss(normal, right);
        return new double[] {scaled[0], scaled[1] / largest, scaled[2] / (largest * largest)};
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
