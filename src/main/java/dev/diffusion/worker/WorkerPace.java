package dev.diffusion.worker;

import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.HashMap;
import java.util.Map;
import java.util.function.BiConsumer;

/**
 * How much slower than its measured costs a worker's UNet calls run now, per model: the costs are an idle machine's
 * (CostProbe counts the calling thread's CPU time), while a job's wall time also pays for whatever else the machine
 * runs. Admission multiplies its time estimate by this, so that a job it takes can end within its timeout under the
 * load of the moment. A moving average of the ratio of each call's time to its prediction, in log space (a slowdown of
 * 2 and a speed-up of 2 weigh the same); a change of more than {@link #REPUBLISH_CHANGE} is published, and the pace
 * at least every {@link #REPUBLISH_EVERY} while calls are made, so that the API can tell a pace of now from one of a
 * worker that has since gone idle.
 */
final class WorkerPace {

    /** Weight of the newest call: about the last ten calls count. */
    static final double SMOOTHING = 0.1;
    /** A change smaller than this (15%) is not worth telling the API. */
    static final double REPUBLISH_CHANGE = 0.15;
    /** Calls predicted shorter than this are left out: timer noise and the loop's own work dominate them. */
    static final double MIN_PREDICTED_SECONDS = 0.02;

    /** How often an unchanged pace is published again while calls are made. */
    static final Duration REPUBLISH_EVERY = Duration.ofMinutes(1);

    private final BiConsumer<String, Double> publish;
    private final Clock clock;
    private final Map<String, Double> logRatio = new HashMap<>();
    private final Map<String, Double> published = new HashMap<>();
    private final Map<String, Instant> publishedAt = new HashMap<>();

    /** @param publish told of a model's slowdown when it has changed enough, or has not been told for a while */
    WorkerPace(BiConsumer<String, Double> publish, Clock clock) {
        this.publish = publish;
        this.clock = clock;
    }

    /** A UNet call of {@code model} that was predicted to take {@code predictedSeconds} took {@code nanos}. */
    void observe(String model, double predictedSeconds, long nanos) {
        if (predictedSeconds < MIN_PREDICTED_SECONDS || nanos <= 0) {
            return;
        }
        double ratio = Math.log(nanos / 1e9 / predictedSeconds);
        double average = logRatio.merge(model, ratio, (old, now) -> old + SMOOTHING * (now - old));
        double slowdown = Math.exp(average);
        Double last = published.get(model);
        Instant now = clock.instant();
        if (last == null || Math.abs(slowdown / last - 1) > REPUBLISH_CHANGE
                || !now.isBefore(publishedAt.get(model).plus(REPUBLISH_EVERY))) {
            published.put(model, slowdown);
            publishedAt.put(model, now);
            publish.accept(model, slowdown);
        }
    }

    /** The slowdown last published for {@code model}; 1 before any. */
    double slowdown(String model) {
        return published.getOrDefault(model, 1.0);
    }
}
