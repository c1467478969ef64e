package dev.diffusion.model;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.assertj.core.api.Assertions.within;

import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;

class CallCostTest {

    /** One-row calls at latent sides 8..128 and a few more rows at 16, as the probe measures. */
    private static List<CallCost.Sample> samples(CallCost truth) {
        List<CallCost.Sample> samples = new ArrayList<>();
        for (int side = 8; side <= 128; side += 8) {
            samples.add(sample(truth, 1, side));
        }
        samples.add(sample(truth, 2, 16));
        samples.add(sample(truth, 4, 16));
        return samples;
    }

    private static CallCost.Sample sample(CallCost truth, int rows, int side) {
        double area = (double) side * side;
        return new CallCost.Sample(rows, area, truth.estimate(rows, area));
    }

    /** Each call ({rows, latent side}), none of them a sample of the fit, predicted within 3% of the truth. */
    private static void assertPredictsWithin3Percent(CallCost fitted, CallCost truth, int[][] calls) {
        for (int[] call : calls) {
            double area = (double) call[1] * call[1];
            double measured = truth.estimate(call[0], area);
            assertThat(fitted.estimate(call[0], area)).as("%d rows at %d", call[0], call[1])
                    .isCloseTo(measured, within(0.03 * measured));
        }
    }

    @Test
    void aCurveWithoutParallelCallsIsFoundAgain() {
        CallCost truth = new CallCost(0.01, 2e-5, 1e-10);

        CallCost fitted = CallCost.fit(samples(truth), CallCost.Errors.RELATIVE);

        assertThat(fitted.fixed()).isCloseTo(0.01, within(1e-6));
        assertThat(fitted.perArea()).isCloseTo(2e-5, within(1e-9));
        assertThat(fitted.perAreaSquared()).isCloseTo(1e-10, within(1e-13));
    }

    @Test
    void theStepWhereCallsTakeMoreThreadsIsFittedWithTheCurve() {
        // from 64x64 (4096 rows × area) calls run on two threads at 0.6 of the one-thread curve
        CallCost truth = new CallCost(0.005, 1.5e-5, 2e-10, 4096, 0.6);
        List<CallCost.Sample> samples = samples(truth);

        CallCost fitted = CallCost.fit(samples, CallCost.Errors.RELATIVE, 4096);
        CallCost oneCurve = CallCost.fit(samples, CallCost.Errors.RELATIVE);

        assertThat(fitted.parallelFactor()).isCloseTo(0.6, within(0.011));
        assertPredictsWithin3Percent(fitted, truth,
                new int[][] {{1, 48}, {3, 32}, {2, 64}, {4, 96}, {8, 128}, {1, 160}});
        // one curve through both kinds of call misses a one-thread call just below the step by far more
        double area = 56.0 * 56;
        assertThat(Math.abs(oneCurve.estimate(1, area) / truth.estimate(1, area) - 1)).isGreaterThan(0.1);
    }

    @Test
    void aBatchDiscountIsFittedFromCallsOfSeveralRows() {
        // 8 rows cost 8^0.9 (6.5) times one row's per-row work, as the probe's batched calls show
        CallCost truth = new CallCost(0.004, 1.6e-5, 3e-10, 4096, 0.7, 0.9);
        List<CallCost.Sample> samples = samples(truth);
        for (int side : new int[] {32, 48, 64}) {
            samples.add(sample(truth, 8, side));
        }

        CallCost fitted = CallCost.fit(samples, CallCost.Errors.RELATIVE, 4096);
        CallCost everyRowAlike = CallCost.fit(samples.stream().filter(s -> s.rows() == 1).toList(),
                CallCost.Errors.RELATIVE, 4096);

        assertThat(fitted.rowsExponent()).isCloseTo(0.9, within(0.011));
        assertPredictsWithin3Percent(fitted, truth,
                new int[][] {{8, 40}, {8, 80}, {4, 56}, {16, 16}, {2, 128}, {1, 96}});
        // charged alike, 8 rows at 48 would come out over a fifth too dear
        double area = 48.0 * 48;
        assertThat(everyRowAlike.rowsExponent()).isEqualTo(1);
        assertThat(everyRowAlike.estimate(8, area) / truth.estimate(8, area)).isGreaterThan(1.2);
    }

    @Test
    void aPerRowCostIsToldFromTheFixedOneByCallsOfSeveralRows() {
        // a row's cost whatever its area, discounted in batches as the area's work is; attention's every row alike
        CallCost truth = new CallCost(0.001, 2e-6, 1.5e-10, 4096, 0.9, 0.8, 0.002);
        List<CallCost.Sample> samples = samples(truth);
        samples.add(sample(truth, 16, 16));
        for (int side : new int[] {32, 48, 64}) {
            samples.add(sample(truth, 8, side));
        }

        CallCost fitted = CallCost.fit(samples, CallCost.Errors.RELATIVE, 4096);

        assertThat(fitted.perRow()).isCloseTo(0.002, within(2e-5));
        assertThat(fitted.fixed()).isCloseTo(0.001, within(2e-5));
        assertThat(fitted.rowsExponent()).isCloseTo(0.8, within(0.011));
        assertPredictsWithin3Percent(fitted, truth, new int[][] {{2, 24}, {8, 16}, {4, 40}, {8, 96}, {2, 128}});
    }

    @Test
    void attentionsTermCostsEveryRowAlike() {
        CallCost attentionOnly = new CallCost(0, 0, 1e-9, 0, 1, 0.5, 0);
        CallCost perRowOnly = new CallCost(0, 0, 0, 0, 1, 0.5, 1);

        assertThat(attentionOnly.estimate(4, 100)).isCloseTo(4 * attentionOnly.estimate(1, 100), within(1e-12));
        assertThat(perRowOnly.estimate(4, 100)).isCloseTo(2, within(1e-12));
        assertThatThrownBy(() -> new CallCost(0, 0, 0, 0, 1, 1, -1)).isInstanceOf(IllegalArgumentException.class);
    }

    @Test
    void rowsStayAlikeWhereNoBatchTellsThemApartOrTheFileIsOlder() {
        CallCost truth = new CallCost(0.004, 1.6e-5, 3e-10, 4096, 0.7);
        List<CallCost.Sample> oneRow = new ArrayList<>();
        for (int side = 8; side <= 128; side += 8) {
            oneRow.add(sample(truth, 1, side));
        }

        assertThat(CallCost.fit(oneRow, CallCost.Errors.RELATIVE, 4096).rowsExponent()).isEqualTo(1);
        // a cost stored before the exponent was measured reads 0 there: every row alike
        assertThat(new CallCost(0, 1, 0, 0, 1, 0).estimate(4, 10)).isEqualTo(40);
        assertThatThrownBy(() -> new CallCost(0, 1, 0, 0, 1, 1.2)).isInstanceOf(IllegalArgumentException.class);
    }

    @Test
    void relativeErrorsFitSmallCallsAsWellAsLargeOnes() {
        // a curve the form cannot follow exactly: a cost per call of the square root of the area on top
        List<CallCost.Sample> samples = new ArrayList<>();
        for (int side = 8; side <= 128; side += 8) {
            double area = (double) side * side;
            samples.add(new CallCost.Sample(1, area, 0.002 * side + 1e-5 * area));
        }

        CallCost relative = CallCost.fit(samples, CallCost.Errors.RELATIVE);
        CallCost absolute = CallCost.fit(samples, CallCost.Errors.ABSOLUTE);

        double worstRelative = 0;
        double worstAbsolute = 0;
        for (CallCost.Sample sample : samples) {
            worstRelative = Math.max(worstRelative, Math.abs(relative.estimate(1, sample.area()) / sample.value() - 1));
            worstAbsolute = Math.max(worstAbsolute, Math.abs(absolute.estimate(1, sample.area()) / sample.value() - 1));
        }
        assertThat(worstRelative).isLessThan(worstAbsolute);
    }

    @Test
    void noNegativeCoefficientAndNoFactorWithoutAThreshold() {
        assertThatThrownBy(() -> new CallCost(-1, 0, 0)).isInstanceOf(IllegalArgumentException.class);
        assertThatThrownBy(() -> new CallCost(0, 1, 0, 100, 0)).isInstanceOf(IllegalArgumentException.class);
        assertThat(new CallCost(0, 1, 0, 0, 0).estimate(2, 10)).isEqualTo(20);
        assertThat(new CallCost(0, 1, 0, 20, 0.5).estimate(2, 10)).isEqualTo(10);
        assertThat(new CallCost(0, 1, 0, 21, 0.5).estimate(2, 10)).isEqualTo(20);
    }
}
