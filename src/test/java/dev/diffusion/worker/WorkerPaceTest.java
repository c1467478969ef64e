package dev.diffusion.worker;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.within;

import dev.diffusion.testing.SettableClock;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;

class WorkerPaceTest {

    private final List<String> published = new ArrayList<>();
    private final SettableClock clock = new SettableClock();
    private final WorkerPace pace = new WorkerPace((model, slowdown) -> published.add(model + " " + slowdown),
            clock);

    private static long nanos(double seconds) {
        return Math.round(seconds * 1e9);
    }

    @Test
    void theFirstCallSetsThePaceAndIsPublished() {
        pace.observe("shapes", 0.5, nanos(1.5));

        assertThat(pace.slowdown("shapes")).isCloseTo(3, within(1e-9));
        assertThat(published).hasSize(1).first().asString().startsWith("shapes 3.0");
        assertThat(pace.slowdown("other")).as("a model not seen yet runs at its measured pace").isEqualTo(1);
    }

    /** One slow call among many moves the pace a tenth of the way (in log space), and is not published. */
    @Test
    void thePaceIsAMovingAverageAndSmallChangesAreNotPublished() {
        pace.observe("shapes", 1, nanos(1));
        pace.observe("shapes", 1, nanos(2));

        assertThat(published).as("2^0.1 = 1.07: under the 15% worth telling").hasSize(1);
        for (int call = 0; call < 40; call++) {
            pace.observe("shapes", 1, nanos(2));
        }
        assertThat(published).as("a lasting slowdown is told as it grows").hasSizeBetween(3, 6);
        assertThat(pace.slowdown("shapes")).isCloseTo(2, within(0.15));
    }

    /** An unchanged pace is told again while calls go on, so the API can tell it from an idle worker's old one. */
    @Test
    void anUnchangedPaceIsPublishedAgainEveryMinute() {
        pace.observe("shapes", 1, nanos(2));
        clock.advance(WorkerPace.REPUBLISH_EVERY.minusSeconds(1));
        pace.observe("shapes", 1, nanos(2));
        assertThat(published).hasSize(1);

        clock.advance(Duration.ofSeconds(1));
        pace.observe("shapes", 1, nanos(2));
        assertThat(published).hasSize(2);
    }

    @Test
    void modelsHaveTheirOwnPace() {
        pace.observe("shapes", 1, nanos(4));
        pace.observe("tiny", 1, nanos(1));

        assertThat(pace.slowdown("shapes")).isCloseTo(4, within(1e-9));
        assertThat(pace.slowdown("tiny")).isCloseTo(1, within(1e-9));
    }

    @Test
    void callsTooShortToTimeAreLeftOut() {
        pace.observe("shapes", WorkerPace.MIN_PREDICTED_SECONDS / 2, nanos(1));

        assertThat(published).isEmpty();
        assertThat(pace.slowdown("shapes")).isEqualTo(1);
    }

    /** Calls at under 80% of their predictions, 50 in a row: the costs came from a slow spell. */
    @Test
    void callsThatKeepBeatingTheirPredictionsMakeTheModelDueToBeMeasuredAgain() {
        fastCalls("shapes", WorkerPace.REMEASURE_AFTER_CALLS - 1);
        assertThat(pace.dueForMeasuring()).isEmpty();

        fastCalls("shapes", 1);
        assertThat(pace.dueForMeasuring()).contains("shapes");
    }

    @Test
    void callsNearTheirPredictionsNeverMakeItDue() {
        calls("shapes", 4 * WorkerPace.REMEASURE_AFTER_CALLS, 1, 0.85);

        assertThat(pace.dueForMeasuring()).isEmpty();
    }

    @Test
    void aSlowerStretchStartsTheCountAgain() {
        fastCalls("shapes", WorkerPace.REMEASURE_AFTER_CALLS - 10);
        calls("shapes", 10, 1, 2);
        assertThat(pace.slowdown("shapes")).as("the slow calls brought the pace over 0.8").isGreaterThan(0.8);
        fastCalls("shapes", WorkerPace.REMEASURE_AFTER_CALLS - 10);
        assertThat(pace.dueForMeasuring()).isEmpty();

        fastCalls("shapes", 20);
        assertThat(pace.dueForMeasuring()).contains("shapes");
    }

    /** A measurement that lowered the costs: the pace starts afresh, and the model may be due again after a wait. */
    @Test
    void aModelMeasuredAgainStartsAfreshAndWaitsBeforeItIsDueAgain() {
        fastCalls("shapes", WorkerPace.REMEASURE_AFTER_CALLS);
        pace.measuredAgain("shapes", true);

        assertThat(pace.dueForMeasuring()).isEmpty();
        assertThat(pace.slowdown("shapes")).isEqualTo(1);
        fastCalls("shapes", WorkerPace.REMEASURE_AFTER_CALLS);
        assertThat(pace.dueForMeasuring()).as("within the wait").isEmpty();
        clock.advance(WorkerPace.REMEASURE_WAIT);
        assertThat(pace.dueForMeasuring()).contains("shapes");
    }

    /** Costs that over-estimate for another reason than a slow probe must not cost a probe every ten minutes. */
    @Test
    void theWaitDoublesEachTimeAMeasurementFoundNothingCheaper() {
        fastCalls("shapes", WorkerPace.REMEASURE_AFTER_CALLS);
        pace.measuredAgain("shapes", false);
        fastCalls("shapes", WorkerPace.REMEASURE_AFTER_CALLS);

        clock.advance(WorkerPace.REMEASURE_WAIT);
        assertThat(pace.dueForMeasuring()).isEmpty();
        clock.advance(WorkerPace.REMEASURE_WAIT);
        assertThat(pace.dueForMeasuring()).contains("shapes");

        pace.measuredAgain("shapes", false);
        fastCalls("shapes", WorkerPace.REMEASURE_AFTER_CALLS);
        clock.advance(WorkerPace.REMEASURE_WAIT.multipliedBy(4).minusSeconds(1));
        assertThat(pace.dueForMeasuring()).isEmpty();
        clock.advance(Duration.ofSeconds(1));
        assertThat(pace.dueForMeasuring()).contains("shapes");
    }

    @Test
    void onlyTheModelWhoseCallsRunFastIsDue() {
        fastCalls("shapes", WorkerPace.REMEASURE_AFTER_CALLS);
        calls("tiny", WorkerPace.REMEASURE_AFTER_CALLS, 1, 1);

        assertThat(pace.dueForMeasuring()).contains("shapes");
        pace.measuredAgain("shapes", true);
        assertThat(pace.dueForMeasuring()).isEmpty();
    }

    /** The work around a short call can only make it look slower, never faster: such calls count here. */
    @Test
    void callsTooShortForTheSlowdownCountTowardsMeasuringAgain() {
        double predicted = WorkerPace.MIN_PREDICTED_SECONDS / 4;
        calls("shapes", WorkerPace.REMEASURE_AFTER_CALLS, predicted, predicted / 2);

        assertThat(pace.dueForMeasuring()).contains("shapes");
        assertThat(published).as("and stay out of the slowdown").isEmpty();
    }

    /** Calls at half their predicted time. */
    private void fastCalls(String model, int count) {
        calls(model, count, 1, 0.5);
    }

    /** {@code count} calls predicted at {@code predicted} seconds that took {@code took}. */
    private void calls(String model, int count, double predicted, double took) {
        for (int call = 0; call < count; call++) {
            pace.observe(model, predicted, nanos(took));
        }
    }
}
