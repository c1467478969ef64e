package dev.diffusion.scheduler;

import java.util.Arrays;
import java.util.stream.Collectors;

/**
 * What the model predicts (diffusers' {@code prediction_type}): the noise, the clean sample, or the velocity
 * v = √ᾱ·ε − √(1−ᾱ)·x0 (Salimans &amp; Ho 2022). Converts a model output into the predicted clean sample x0 (and noise ε)
 * for both parameterisations of the noisy sample: variance-preserving x = √ᾱ·x0 + √(1−ᾱ)·ε (DDPM, DDIM, PNDM) and
 * variance-exploding x = x0 + σ·ε (the sigma samplers, whose model input is x / √(σ²+1)).
 */
enum PredictionType {
    EPSILON("epsilon"), SAMPLE("sample"), V_PREDICTION("v_prediction");

    private final String configName;

    PredictionType(String configName) {
        this.configName = configName;
    }

    /** Reads {@code prediction_type} (default epsilon), accepting only what {@code scheduler} implements. */
    static PredictionType from(SchedulerConfig config, String scheduler, PredictionType... supported) {
        String name = config.string("prediction_type", EPSILON.configName);
        for (PredictionType type : supported) {
            if (type.configName.equals(name)) {
                return type;
            }
        }
        throw new IllegalArgumentException("unsupported prediction_type '" + name + "' for " + scheduler + " ("
                + Arrays.stream(supported).map(t -> t.configName).collect(Collectors.joining(", ")) + ")");
    }

    /** x0 from a variance-preserving sample at cumulative alpha {@code alphaProd}. */
    double[] originalSample(double[] output, double[] sample, double alphaProd) {
        double signal = Math.sqrt(alphaProd);
        double noise = Math.sqrt(1 - alphaProd);
        return switch (this) {
            case EPSILON -> Vectors.combine(1 / signal, sample, -noise / signal, output);
            case SAMPLE -> output;
            case V_PREDICTION -> Vectors.combine(signal, sample, -noise, output);
        };
    }

    /** ε from a variance-preserving sample at cumulative alpha {@code alphaProd}. */
    double[] noise(double[] output, double[] sample, double alphaProd) {
        double signal = Math.sqrt(alphaProd);
        double noise = Math.sqrt(1 - alphaProd);
        return switch (this) {
            case EPSILON -> output;
            case SAMPLE -> Vectors.combine(1 / noise, sample, -signal / noise, output);
            case V_PREDICTION -> Vectors.combine(signal, output, noise, sample);
        };
    }

    /** x0 from a variance-exploding sample at noise level {@code sigma}. */
    double[] originalSampleAtSigma(double[] output, double[] sample, double sigma) {
        double variance = sigma * sigma + 1;
        return switch (this) {
            case EPSILON -> Vectors.combine(1, sample, -sigma, output);
            case SAMPLE -> output;
            case V_PREDICTION -> Vectors.combine(-sigma / Math.sqrt(variance), output, 1 / variance, sample);
        };
    }
}
