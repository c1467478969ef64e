package dev.diffusion.model;

import java.util.List;

/**
 * What one network call costs (bytes of native memory at its peak, or seconds), as a function of its rows and the
 * latent area it works on: {@code fixed + rows × (perArea × area + perAreaSquared × area²)}. The square term is
 * attention's: its score matrices grow with the square of the number of latent positions. Fitted to measured calls by
 * least squares, every coefficient at least zero.
 */
public record CallCost(double fixed, double perArea, double perAreaSquared) {

    /** One measured call: its rows, its latent area (height × width) and what it cost. */
    public record Sample(int rows, double area, double value) {
    }

    public CallCost {
        if (!(fixed >= 0 && perArea >= 0 && perAreaSquared >= 0)) {
            throw new IllegalArgumentException("call cost coefficients must be finite and at least zero");
        }
    }

    public double estimate(int rows, double area) {
        return fixed + rows * (perArea * area + perAreaSquared * area * area);
    }

    /**
     * The least-squares fit to {@code samples}, keeping every coefficient at least zero: a coefficient that would come
     * out negative is left out and the others fitted again. Errors count in absolute terms, so the largest calls
     * measured, nearest the sizes predicted for, weigh most.
     */
    public static CallCost fit(List<Sample> samples) {
        if (samples.isEmpty()) {
            throw new IllegalArgumentException("no samples to fit a call cost to");
        }
        boolean[] used = {true, true, true};
        while (true) {
            double[] coefficients = solve(samples, used);
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
    private static double[] solve(List<Sample> samples, boolean[] used) {
        double largest = samples.stream().mapToDouble(s -> s.rows() * s.area()).max().orElse(1);
        double[][] normal = new double[3][3];
        double[] right = new double[3];
        for (Sample sample : samples) {
            double x = sample.rows() * sample.area() / largest;
            double[] terms = {1, x, x * sample.area() / largest};
            for (int i = 0; i < 3; i++) {
                for (int j = 0; j < 3; j++) {
                    normal[i][j] += terms[i] * terms[j];
                }
                right[i] += terms[i] * sample.value();
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
