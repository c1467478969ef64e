package dev.diffusion.worker;

import java.util.HashMap;
import java.util.Map;
import java.util.function.BiConsumer;

/**
 * How much slower than its measured costs a worker's UNet calls run now, per model: the costs are an idle machine's
 * (CostProbe counts the calling thread's CPU time), while a job's wall time also pays for whatever else the machine
 * runs. Admission multiplies its time estimate by this, so that a job it takes can end within its timeout under the
 * load of the moment. A moving average of the ratio of each call's time to its prediction, in log space (a slowdown of
 * 2 and a speed-up of 2 weigh the same); a change of more than {@link #REPUBLISH_CHANGE} is published.
 */
final class WorkerPace {

    /** Weight of the newest call: about the last ten calls count. */
    static final double SMOOTHING = 0.1;
    /** A change smaller than this (15%) is not worth telling the API. */
    static final double REPUBLISH_CHANGE = 0.15;
    /** Calls predicted shorter than this are left out: timer noise and the loop's own work dominate them. */
    static final double MIN_PREDICTED_SECONDS = 0.02;

    private final BiConsumer<String, Double> publish;
    private final Map<String, Double> logRatio = new HashMap<>();
    private final Map<String, Double> published = new HashMap<>();

    /** @param publish told of a model's new slowdown when it has changed enough */
    WorkerPace(BiConsumer<String, Double> publish) {
        this.publish = publish;
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
        if (last == null || Math.abs(slowdown / last - 1) > REPUBLISH_CHANGE) {
            published.put(model, slowdown);
            publish.accept(model, slowdown);
        }
    }

    /** The slowdown last published for {@code model}; 1 before any. */
    double slowdown(String model) {
        return published.getOrDefault(model, 1.0);
    }
}
