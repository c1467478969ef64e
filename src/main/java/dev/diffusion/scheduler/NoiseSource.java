package dev.diffusion.scheduler;

/** Where a stochastic step takes its standard-normal samples from: the image's seeded generator, in order of use. */
@FunctionalInterface
public interface NoiseSource {

    double[] gaussian(int count);

    /** For deterministic samplers, which never ask. */
    NoiseSource NONE = count -> {
        throw new IllegalStateException("this step needs noise but no noise source was given");
    };
}
