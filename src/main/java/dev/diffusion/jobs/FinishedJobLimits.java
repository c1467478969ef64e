package dev.diffusion.jobs;

/**
 * How many finished jobs a store keeps: at most {@code perOwner} of one API key's (all of them share one allowance when
 * keys are off) and {@code total} in all; the oldest go first. An in-memory store also keeps at most {@code bytes} of
 * finished jobs' images. Unfinished jobs are bounded by the queue.
 */
public record FinishedJobLimits(int perOwner, int total, long bytes) {

    public static final FinishedJobLimits DEFAULTS = new FinishedJobLimits(1000, 10_000, 1L << 30);

    public FinishedJobLimits {
        if (perOwner < 1 || total < 1 || bytes < 1) {
            throw new IllegalArgumentException("finished-job limits must be positive");
        }
    }

    /** The key the jobs of {@code owner} (null when API keys are off) are counted under. */
    public static String ownerKey(String owner) {
        return owner == null ? "-" : owner;
    }
}
