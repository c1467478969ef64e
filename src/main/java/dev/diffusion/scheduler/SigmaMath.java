package dev.diffusion.scheduler;

/** Numeric helpers shared by the samplers, written once after numpy/diffusers' definitions. */
public final class SigmaMath {

    private SigmaMath() {
    }

    /** numpy's {@code linspace(start, end, n)} (endpoint included). */
    public static double[] linspace(double start, double end, int n) {
        double[] out = new double[n];
        if (n == 1) {
            out[0] = start;
            return out;
        }
        double step = (end - start) / (n - 1);
        for (int i = 0; i < n; i++) {
            out[i] = start + i * step;
        }
        out[n - 1] = end;
        return out;
    }

    /** numpy's {@code interp(x, xp, fp)} for increasing {@code xp}, clamping outside the range. */
    public static double interp(double x, double[] xp, double[] fp) {
        int n = xp.length;
        if (x <= xp[0]) {
            return fp[0];
        }
        if (x >= xp[n - 1]) {
            return fp[n - 1];
        }
        int lo = 0;
        int hi = n - 1;
        while (hi - lo > 1) {
            int mid = (lo + hi) >>> 1;
            if (xp[mid] <= x) {
                lo = mid;
            } else {
                hi = mid;
            }
        }
        double slope = (fp[hi] - fp[lo]) / (xp[hi] - xp[lo]);
        return fp[lo] + slope * (x - xp[lo]);
    }

    /** The training sigmas at fractional timesteps, as diffusers' {@code np.interp(timesteps, arange, sigmas)}. */
    public static double[] sigmasAt(double[] timesteps, double[] trainSigmas) {
        double[] index = new double[trainSigmas.length];
        for (int i = 0; i < index.length; i++) {
            index[i] = i;
        }
        double[] out = new double[timesteps.length];
        for (int i = 0; i < out.length; i++) {
            out[i] = interp(timesteps[i], index, trainSigmas);
        }
        return out;
    }

    /** Karras et al. 2022 noise levels (rho = 7) from {@code sigmaMax} down to {@code sigmaMin}. */
    public static double[] karrasSigmas(double sigmaMin, double sigmaMax, int n) {
        double rho = 7.0;
        double minInvRho = Math.pow(sigmaMin, 1 / rho);
        double maxInvRho = Math.pow(sigmaMax, 1 / rho);
        double[] ramp = linspace(0, 1, n);
        double[] out = new double[n];
        for (int i = 0; i < n; i++) {
            out[i] = Math.pow(maxInvRho + ramp[i] * (minInvRho - maxInvRho), rho);
        }
        return out;
    }

    /** Noise levels evenly spaced in log-sigma from {@code sigmaMax} down to {@code sigmaMin}. */
    public static double[] exponentialSigmas(double sigmaMin, double sigmaMax, int n) {
        double[] logs = linspace(Math.log(sigmaMax), Math.log(sigmaMin), n);
        double[] out = new double[n];
        for (int i = 0; i < n; i++) {
            out[i] = Math.exp(logs[i]);
        }
        return out;
    }

    /**
     * The fractional training timestep of a noise level: linear interpolation in log-sigma between neighbouring
     * training timesteps, as diffusers' {@code _sigma_to_t}. {@code logSigmas} are the training sigmas' logs.
     */
    public static double sigmaToT(double sigma, double[] logSigmas) {
        double logSigma = Math.log(Math.max(sigma, 1e-10));
        int n = logSigmas.length;
        // the last index whose log-sigma is <= logSigma (cumsum(dists >= 0).argmax), clipped to n - 2
        int low = 0;
        int count = 0;
        int best = 0;
        for (int i = 0; i < n; i++) {
            if (logSigma - logSigmas[i] >= 0) {
                count++;
                if (count > best) {
                    best = count;
                    low = i;
                }
            }
        }
        low = Math.min(low, n - 2);
        int high = low + 1;
        double w = (logSigmas[low] - logSigma) / (logSigmas[low] - logSigmas[high]);
        w = Math.max(0, Math.min(1, w));
        return (1 - w) * low + w * high;
    }

    /**
     * Where {@code timestep} is in a run's timesteps, as diffusers' {@code index_for_timestep}: its second place when
     * it has two (Heun, or img2img starting part-way), so that no sigma is skipped; -1 when absent.
     */
    public static int indexOfTimestep(double[] timesteps, double timestep) {
        int first = -1;
        for (int i = 0; i < timesteps.length; i++) {
            if (timesteps[i] == timestep) {
                if (first >= 0) {
                    return i;
                }
                first = i;
            }
        }
        return first;
    }
}
