package dev.diffusion.worker;

import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.HashMap;
import java.util.Map;
import java.util.Optional;
import java.util.function.BiConsumer;

/**
 * How much slower than its measured costs a worker's UNet calls run now, per model: the costs are an idle machine's
 * (CostProbe counts the calling thread's CPU time), while a job's wall time also pays for whatever else the machine
 * runs. Admission multiplies its time estimate by this, so that a job it takes can end within its timeout under the
 * load of the moment. A moving average of the ratio of each call's time to its prediction, in log space (a slowdown of
 * 2 and a speed-up of 2 weigh the same); a change of more than {@link #REPUBLISH_CHANGE} is published, and the pace
 * at least every {@link #REPUBLISH_EVERY} while calls are made, so that the API can tell a pace of now from one of a
 * worker that has since gone idle.
 * <p>
 * The other way round, calls that keep running well under their predictions say the costs are too high: the probe
 * ran in one of a shared machine's slow spells, or the costs were kept from such a start. Load can slow a machine down
 * but not speed it up, so after {@link #REMEASURE_AFTER_CALLS} calls in a row at a pace under
 * {@link #REMEASURE_BELOW} the model is due to be measured again ({@link #dueForMeasuring}).
 */
final class WorkerPace {

    /** Weight of the newest call: about the last ten calls count. */
    static final double SMOOTHING = 0.1;
    /** A change smaller than this (15%) is not worth telling the API. */
    static final double REPUBLISH_CHANGE = 0.15;
    /**
     * Calls predicted shorter than this are left out of the slowdown: timer noise and the loop's own work dominate
     * them. They count towards measuring again, which only a pace faster than predicted starts.
     */
    static final double MIN_PREDICTED_SECONDS = 0.02;

    /** How often an unchanged pace is published again while calls are made. */
    static final Duration REPUBLISH_EVERY = Duration.ofMinutes(1);

    /** A pace under this (calls taking under 80% of their predictions: costs over by more than 25%) counts as fast. */
    static final double REMEASURE_BELOW = 0.8;
    /** Fast calls in a row that make a model due to be measured again: a lasting state, not a lucky stretch. */
    static final int REMEASURE_AFTER_CALLS = 50;
    /**
     * The wait after measuring a model again before it may be due once more; it doubles each time a measurement
     * found the calls no cheaper (costs that over-estimate some calls for another reason must not cost a probe often).
     */
    static final Duration REMEASURE_WAIT = Duration.ofMinutes(10);

    private final BiConsumer<String, Double> publish;
    private final Clock clock;
    private final Map<String, Double> logRatio = new HashMap<>();
    private final Map<String, Double> published = new HashMap<>();
    private final Map<String, Instant> publishedAt = new HashMap<>();
    private final Map<String, Double> allCallsLogRatio = new HashMap<>();
    private final Map<String, Integer> fastCalls = new HashMap<>();
    private final Map<String, Instant> measurableFrom = new HashMap<>();
    private final Map<String, Duration> measureWait = new HashMap<>();

    /** @param publish told of a model's slowdown when it has changed enough, or has not been told for a while */
    WorkerPace(BiConsumer<String, Double> publish, Clock clock) {
        this.publish = publish;
        this.clock = clock;
    }

    /** A UNet call of {@code model} that was predicted to take {@code predictedSeconds} took {@code nanos}. */
    void observe(String model, double predictedSeconds, long nanos) {
        if (predictedSeconds <= 0 || nanos <= 0) {
            return;
        }
        double ratio = Math.log(nanos / 1e9 / predictedSeconds);
        // every call counts towards measuring again: the work around a short call only makes it look slower
        double pace = Math.exp(allCallsLogRatio.merge(model, ratio, WorkerPace::smoothed));
        fastCalls.put(model, pace < REMEASURE_BELOW ? fastCalls.getOrDefault(model, 0) + 1 : 0);
        if (predictedSeconds < MIN_PREDICTED_SECONDS) {
            return;
        }
        double slowdown = Math.exp(logRatio.merge(model, ratio, WorkerPace::smoothed));
        Double last = published.get(model);
        Instant now = clock.instant();
        if (last == null || Math.abs(slowdown / last - 1) > REPUBLISH_CHANGE
                || !now.isBefore(publishedAt.get(model).plus(REPUBLISH_EVERY))) {
            published.put(model, slowdown);
            publishedAt.put(model, now);
            publish.accept(model, slowdown);
        }
    }

    private static double smoothed(double average, double newest) {
        return average + SMOOTHING * (newest - average);
    }

    /**
     * A model whose calls have run fast for {@link #REMEASURE_AFTER_CALLS} calls in a row, unless it was measured again
     * too recently; empty if none.
     */
    Optional<String> dueForMeasuring() {
        Instant now = clock.instant();
        return fastCalls.entrySet().stream()
                .filter(calls -> calls.getValue() >= REMEASURE_AFTER_CALLS
                        && !now.isBefore(measurableFrom.getOrDefault(calls.getKey(), Instant.MIN)))
                .map(Map.Entry::getKey).findFirst();
    }

    /**
     * {@code model} was measured again: its pace starts afresh against the costs it has now. {@code cheaper}: the
     * new costs were lower and replaced the old; if not, the wait before the next measurement doubles (the costs
     * over-estimate the calls served for another reason than a slow probe, which measuring again does not mend).
     */
    void measuredAgain(String model, boolean cheaper) {
        logRatio.remove(model);
        allCallsLogRatio.remove(model);
        published.remove(model);
        publishedAt.remove(model);
        fastCalls.remove(model);
        Duration wait = cheaper ? REMEASURE_WAIT : measureWait.getOrDefault(model, REMEASURE_WAIT).multipliedBy(2);
        measureWait.put(model, wait);
        measurableFrom.put(model, clock.instant().plus(wait));
    }

    /** The slowdown last published for {@code model}; 1 before any. */
    double slowdown(String model) {
        return published.getOrDefault(model, 1.0);
    }
}
