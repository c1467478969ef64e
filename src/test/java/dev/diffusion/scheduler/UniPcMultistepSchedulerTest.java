package dev.diffusion.scheduler;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.assertj.core.api.Assertions.within;

import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

/** What the conformance vectors (second-order bh2 UniPC, epsilon, linspace) do not reach. */
class UniPcMultistepSchedulerTest {

    private static SchedulerConfig sd(Object... keyValues) {
        Map<String, Object> values = new HashMap<>(Map.of("beta_start", 0.00085, "beta_end", 0.012,
                "beta_schedule", "scaled_linear", "steps_offset", 1));
        for (int i = 0; i < keyValues.length; i += 2) {
            values.put((String) keyValues[i], keyValues[i + 1]);
        }
        return new SchedulerConfig(values);
    }

    private static double[][] trajectory(Scheduler scheduler, int steps, long seed) {
        return StandInRun.latentsAfterEachStep(scheduler, steps, PointMass.random(16, seed).epsilon());
    }

    @Test
    void aConfigThatLeavesKeysOutGetsDiffusersClassDefaults() {
        Map<String, Object> defaults = new HashMap<>();
        defaults.put("num_train_timesteps", 1000);
        defaults.put("beta_start", 0.0001);
        defaults.put("beta_end", 0.02);
        defaults.put("beta_schedule", "linear");
        defaults.put("solver_order", 2);
        defaults.put("prediction_type", "epsilon");
        defaults.put("predict_x0", true);
        defaults.put("solver_type", "bh2");
        defaults.put("lower_order_final", true);
        defaults.put("disable_corrector", List.of());
        defaults.put("use_karras_sigmas", false);
        defaults.put("timestep_spacing", "linspace");
        defaults.put("steps_offset", 0);
        defaults.put("final_sigmas_type", "zero");
        defaults.put("rescale_betas_zero_snr", false);
        Scheduler explicit = new UniPcMultistepScheduler(new SchedulerConfig(defaults));
        Scheduler implicit = new UniPcMultistepScheduler(SchedulerConfig.empty());

        assertThat(trajectory(implicit, 8, 1)).isDeepEqualTo(trajectory(explicit, 8, 1));
        assertThat(implicit.sigmas()).containsExactly(explicit.sigmas());
        assertThat(trajectory(new UniPcMultistepScheduler(SchedulerConfig.empty().with("solver_type", "bh1")), 8, 1))
                .as("the default solver type is not bh1").isNotEqualTo(trajectory(implicit, 8, 1));
    }

    static Stream<Arguments> configs() {
        return Stream.of(
                Arguments.of(sd("solver_order", 1), 10, "epsilon"),
                Arguments.of(sd(), 15, "epsilon"),
                Arguments.of(sd("solver_order", 3), 12, "epsilon"),
                Arguments.of(sd("solver_order", 3, "solver_type", "bh1"), 20, "epsilon"),
                Arguments.of(sd("solver_order", 4), 20, "epsilon"),
                Arguments.of(sd("solver_order", 3, "lower_order_final", false, "final_sigmas_type", "sigma_min"),
                        10, "epsilon"),
                Arguments.of(sd("predict_x0", false, "final_sigmas_type", "sigma_min"), 15, "epsilon"),
                Arguments.of(sd("predict_x0", false, "solver_order", 3, "solver_type", "bh1",
                        "prediction_type", "sample", "final_sigmas_type", "sigma_min"), 15, "sample"),
                Arguments.of(sd("use_karras_sigmas", true, "solver_order", 3), 20, "epsilon"),
                Arguments.of(sd("use_exponential_sigmas", true, "sigma_min", 0.1, "sigma_max", 8.0), 14, "epsilon"),
                Arguments.of(sd("disable_corrector", List.of(0, 1, 2)), 15, "epsilon"),
                Arguments.of(sd("timestep_spacing", "trailing", "prediction_type", "v_prediction",
                        "rescale_betas_zero_snr", true), 20, "v_prediction"),
                Arguments.of(sd("timestep_spacing", "leading"), 12, "epsilon"));
    }

    @ParameterizedTest
    @MethodSource("configs")
    void predictorAndCorrectorOfEveryOrderFollowThePathOfAPointMassExactly(SchedulerConfig config, int steps,
            String prediction) {
        Scheduler scheduler = new UniPcMultistepScheduler(config);
        scheduler.setTimesteps(steps);

        PointMass.random(32, steps).assertFollowedBy(scheduler, prediction, 0);
    }

    @ParameterizedTest
    @MethodSource("configs")
    void img2imgStartsAtTheBeginIndexAndStaysOnThePath(SchedulerConfig config, int steps, String prediction) {
        Scheduler scheduler = new UniPcMultistepScheduler(config);
        scheduler.setTimesteps(steps);
        int begin = steps / 2;
        scheduler.setBeginIndex(begin);
        PointMass point = PointMass.random(32, steps);

        double[] noised = scheduler.addNoise(point.x0(), point.epsilon(), scheduler.timesteps()[begin]);

        PointMass.assertClose(noised, point.latentsAt(scheduler.sigmas()[begin]), "add_noise");
        point.assertFollowedBy(scheduler, prediction, begin);
    }

    @Test
    void theCorrectorRefinesTheNextStepUnlessDisabledForIt() {
        double[][] corrected = trajectory(new UniPcMultistepScheduler(sd()), 10, 5);
        // disabling index 3 skips the corrector run at step 4, which would refine the latents step 3 made
        double[][] skipped = trajectory(new UniPcMultistepScheduler(sd("disable_corrector", List.of(3))), 10, 5);

        for (int s = 0; s < 4; s++) {
            assertThat(skipped[s]).as("step " + s).containsExactly(corrected[s]);
        }
        assertThat(skipped[4]).isNotEqualTo(corrected[4]);
    }

    @Test
    void bh1EndsAtTheDataPredictionWhereDiffusersReturnsNaN() {
        Scheduler scheduler = new UniPcMultistepScheduler(sd("solver_type", "bh1"));
        scheduler.setTimesteps(10);

        PointMass.random(8, 2).assertFollowedBy(scheduler, "epsilon", 0); // its last step lands on x0
    }

    @Test
    void karrasSigmasSpanTheConfiguredRangeAndSigmaMinEndsOnTheLastOfThem() {
        Scheduler scheduler = new UniPcMultistepScheduler(sd("use_karras_sigmas", true, "sigma_min", 0.05,
                "sigma_max", 10.0, "final_sigmas_type", "sigma_min"));
        scheduler.setTimesteps(6);

        // as diffusers lays them out
        assertThat(scheduler.timesteps()).containsExactly(934, 774, 544, 245, 44, 2);
        assertThat(scheduler.sigmas()).containsExactly(new double[] {10.0, 4.557873249053955, 1.8807064294815063,
                0.6825411319732666, 0.20855854451656342, 0.05000000074505806, 0.05000000074505806},
                within(1e-12));
    }

    @Test
    void twoRunsInterleavedStepByStepKeepTheirOwnState() {
        double[][] alone1 = trajectory(new UniPcMultistepScheduler(sd("solver_order", 3)), 12, 1);
        double[][] alone2 = trajectory(new UniPcMultistepScheduler(sd("solver_order", 3)), 12, 2);

        Scheduler first = new UniPcMultistepScheduler(sd("solver_order", 3));
        Scheduler second = new UniPcMultistepScheduler(sd("solver_order", 3));
        first.setTimesteps(12);
        second.setTimesteps(12);
        double[] x1 = PointMass.random(16, 1).epsilon();
        double[] x2 = PointMass.random(16, 2).epsilon();
        for (int s = 0; s < 12; s++) {
            double t = first.timesteps()[s];
            x1 = first.step(StandInRun.model(x1, t), t, x1, NoiseSource.NONE);
            x2 = second.step(StandInRun.model(x2, t), t, x2, NoiseSource.NONE);
            assertThat(x1).containsExactly(alone1[s]);
            assertThat(x2).containsExactly(alone2[s]);
        }
    }

    @Test
    void setTimestepsStartsAFreshRun() {
        Scheduler scheduler = new UniPcMultistepScheduler(sd("solver_order", 3));
        double[][] firstRun = trajectory(scheduler, 12, 4);

        assertThat(trajectory(scheduler, 12, 4)).isDeepEqualTo(firstRun);
    }

    /**
     * Golden values from a transcription of diffusers' UniPCMultistepScheduler (torch, float32 as diffusers) that
     * reproduces the conformance vectors: third-order predictor and corrector, bh1 and the noise form.
     */
    @ParameterizedTest
    @MethodSource("goldenRuns")
    void thirdOrderRunsMatchDiffusers(SchedulerConfig config, int steps, double[] middle, double[] last) {
        double[][] latents = StandInRun.latentsAfterEachStep(new UniPcMultistepScheduler(config), steps,
                new double[] {0.8, -1.3, 0.25, 2.1});

        assertThat(latents[steps / 2]).containsExactly(middle, within(1e-5));
        assertThat(latents[steps - 1]).containsExactly(last, within(1e-5));
    }

    static Stream<Arguments> goldenRuns() {
        return Stream.of(
                Arguments.of(sd("solver_order", 3, "solver_type", "bh1", "prediction_type", "v_prediction",
                        "timestep_spacing", "trailing", "final_sigmas_type", "sigma_min"), 10,
                        new double[] {0.4609919180114547, -0.7694742160904506, 0.13597970714714935, 1.2818443165559523},
                        new double[] {0.25923848670443167, -0.4907988373053264, 0.06400539893294505, 0.8267110954228393}),
                Arguments.of(sd("solver_order", 3, "predict_x0", false, "use_karras_sigmas", true,
                        "final_sigmas_type", "sigma_min", "disable_corrector", List.of(1)), 12,
                        new double[] {0.9187094923150645, -1.7726124712651241, 0.1747010372117404, 3.031374917056621},
                        new double[] {0.8870314498035115, -1.7616220064243477, 0.15903700023286096, 3.033547502032984}));
    }

    static Stream<Arguments> unsupported() {
        return Stream.of(
                Arguments.of(sd("solver_order", 0), "UniPCMultistepScheduler: unsupported solver_order 0"),
                Arguments.of(sd("solver_type", "rk4"), "solver_type 'rk4'"),
                Arguments.of(sd("predict_x0", false), "final_sigmas_type 'zero' with predict_x0 false"),
                Arguments.of(sd("solver_p", "DDIMScheduler"), "solver_p"),
                Arguments.of(sd("prediction_type", "flow_prediction"), "prediction_type 'flow_prediction'"),
                Arguments.of(sd("use_flow_sigmas", true), "use_flow_sigmas"),
                Arguments.of(sd("use_beta_sigmas", true), "use_beta_sigmas"),
                Arguments.of(sd("use_dynamic_shifting", true), "use_dynamic_shifting"),
                Arguments.of(sd("shift_terminal", 0.1), "shift_terminal"));
    }

    @ParameterizedTest
    @MethodSource("unsupported")
    void unsupportedOptionsAreRejectedByName(SchedulerConfig config, String message) {
        assertThatThrownBy(() -> new UniPcMultistepScheduler(config))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining(message);
    }
}
