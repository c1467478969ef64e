package dev.diffusion.scheduler;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.assertj.core.api.Assertions.within;

import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

/** What the conformance vectors (second-order DPM-Solver++, epsilon, linspace) do not reach. */
class DpmSolverMultistepSchedulerTest {

    private static final Map<String, Object> SD = Map.of("beta_start", 0.00085, "beta_end", 0.012,
            "beta_schedule", "scaled_linear", "steps_offset", 1);

    private static SchedulerConfig sd(Object... keyValues) {
        Map<String, Object> values = new HashMap<>(SD);
        for (int i = 0; i < keyValues.length; i += 2) {
            values.put((String) keyValues[i], keyValues[i + 1]);
        }
        return new SchedulerConfig(values);
    }

    private static double[] run(Scheduler scheduler, int steps) {
        double[][] latents = StandInRun.latentsAfterEachStep(scheduler, steps, PointMass.random(16, 7).epsilon());
        return latents[latents.length - 1];
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
        defaults.put("algorithm_type", "dpmsolver++");
        defaults.put("solver_type", "midpoint");
        defaults.put("lower_order_final", true);
        defaults.put("euler_at_final", false);
        defaults.put("use_karras_sigmas", false);
        defaults.put("final_sigmas_type", "zero");
        defaults.put("lambda_min_clipped", Double.NEGATIVE_INFINITY);
        defaults.put("timestep_spacing", "linspace");
        defaults.put("steps_offset", 0);
        defaults.put("rescale_betas_zero_snr", false);
        Scheduler explicit = new DpmSolverMultistepScheduler(new SchedulerConfig(defaults));
        Scheduler implicit = new DpmSolverMultistepScheduler(SchedulerConfig.empty());

        assertThat(run(implicit, 7)).containsExactly(run(explicit, 7));
        assertThat(implicit.timesteps()).containsExactly(explicit.timesteps());
        assertThat(implicit.sigmas()).containsExactly(explicit.sigmas());
        assertThat(run(new DpmSolverMultistepScheduler(SchedulerConfig.empty().with("solver_order", 1)), 7))
                .as("the default order is not 1").isNotEqualTo(run(implicit, 7));
    }

    static Stream<Arguments> deterministicConfigs() {
        return Stream.of(
                Arguments.of(sd("solver_order", 1), 12, "epsilon"),
                Arguments.of(sd(), 20, "epsilon"),
                Arguments.of(sd("solver_type", "heun"), 10, "epsilon"),
                Arguments.of(sd("solver_order", 3), 10, "epsilon"),
                Arguments.of(sd("solver_order", 3), 25, "epsilon"),
                Arguments.of(sd("solver_order", 3, "lower_order_final", false, "final_sigmas_type", "sigma_min"),
                        8, "epsilon"),
                Arguments.of(sd("use_karras_sigmas", true, "solver_order", 3), 20, "epsilon"),
                Arguments.of(sd("use_exponential_sigmas", true, "algorithm_type", "dpmsolver",
                        "final_sigmas_type", "sigma_min"), 20, "epsilon"),
                Arguments.of(sd("timestep_spacing", "trailing", "prediction_type", "v_prediction",
                        "rescale_betas_zero_snr", true), 20, "v_prediction"),
                Arguments.of(sd("timestep_spacing", "leading", "prediction_type", "sample"), 15, "sample"),
                Arguments.of(sd("euler_at_final", true, "final_sigmas_type", "sigma_min"), 20, "epsilon"),
                Arguments.of(sd("algorithm_type", "dpmsolver", "final_sigmas_type", "sigma_min"), 20, "epsilon"),
                Arguments.of(sd("algorithm_type", "dpmsolver", "solver_order", 3, "solver_type", "heun",
                        "prediction_type", "v_prediction", "final_sigmas_type", "sigma_min"), 12, "v_prediction"),
                Arguments.of(new SchedulerConfig(Map.of("beta_schedule", "squaredcos_cap_v2",
                        "lambda_min_clipped", -5.1)), 15, "epsilon"));
    }

    @ParameterizedTest
    @MethodSource("deterministicConfigs")
    void everyOrderAndVariantFollowsThePathOfAPointMassExactly(SchedulerConfig config, int steps, String prediction) {
        Scheduler scheduler = new DpmSolverMultistepScheduler(config);
        scheduler.setTimesteps(steps);

        PointMass.random(32, steps).assertFollowedBy(scheduler, prediction, 0);
    }

    @ParameterizedTest
    @MethodSource("deterministicConfigs")
    void img2imgStartsAtTheBeginIndexAndStaysOnThePath(SchedulerConfig config, int steps, String prediction) {
        Scheduler scheduler = new DpmSolverMultistepScheduler(config);
        scheduler.setTimesteps(steps);
        int begin = steps / 3;
        scheduler.setBeginIndex(begin);
        PointMass point = PointMass.random(32, steps);

        double[] noised = scheduler.addNoise(point.x0(), point.epsilon(), scheduler.timesteps()[begin]);

        PointMass.assertClose(noised, point.latentsAt(scheduler.sigmas()[begin]), "add_noise");
        point.assertFollowedBy(scheduler, prediction, begin);
    }

    /**
     * With a data prediction linear in lambda, the divided differences are exact derivatives, so the Heun second-order
     * and the third-order updates integrate it exactly: each step (after the warm-up, before the first-order last
     * step) must match x_t = (sigma_t/sigma_s)·x_s + sigma_t·∫ e^u·x0(u) du.
     */
    @ParameterizedTest
    @MethodSource("higherOrders")
    void higherOrderUpdatesIntegrateALinearDataPredictionExactly(int order) {
        Scheduler scheduler = new DpmSolverMultistepScheduler(
                sd("solver_order", order, "solver_type", "heun", "prediction_type", "sample"));
        scheduler.setTimesteps(20);
        double[] sigmas = scheduler.sigmas();
        double a = 0.3;
        double b = -0.2;
        double[] latents = {1.5, -0.5};
        for (int i = 0; i < 19; i++) {
            double lambdaS = -Math.log(sigmas[i]);
            double x0 = a + b * lambdaS;
            double[] next = scheduler.step(new double[] {x0, x0}, scheduler.timesteps()[i], latents, NoiseSource.NONE);
            if (i >= order - 1) {
                double lambdaT = -Math.log(sigmas[i + 1]);
                double sigmaT = sigmas[i + 1] * PointMass.alpha(sigmas[i + 1]);
                double sigmaS = sigmas[i] * PointMass.alpha(sigmas[i]);
                // ∫ e^u (a + b·u) du = e^u (a + b·(u - 1))
                double integral = Math.exp(lambdaT) * (a + b * (lambdaT - 1)) - Math.exp(lambdaS) * (a + b * (lambdaS - 1));
                for (int k = 0; k < 2; k++) {
                    assertThat(next[k]).as("step " + i)
                            .isCloseTo(sigmaT / sigmaS * latents[k] + sigmaT * integral, within(1e-9));
                }
            }
            latents = next;
        }
    }

    static Stream<Integer> higherOrders() {
        return Stream.of(2, 3);
    }

    @ParameterizedTest
    @MethodSource("sdeConfigs")
    void sdeVariantsDrawFreshNoiseEveryStepAndStillEndOnThePoint(SchedulerConfig config) {
        Scheduler scheduler = new DpmSolverMultistepScheduler(config);
        scheduler.setTimesteps(12);
        PointMass point = PointMass.random(8, 3);
        List<Integer> requested = new ArrayList<>();
        NoiseSource noise = count -> {
            requested.add(count);
            return PointMass.random(count, 100 + requested.size()).epsilon();
        };
        Scheduler ode = new DpmSolverMultistepScheduler(config.with("algorithm_type", "dpmsolver++"));
        ode.setTimesteps(12);
        double[] sigmas = scheduler.sigmas();
        double[] latents = point.latentsAt(sigmas[0]);
        for (int i = 0; i < 12; i++) {
            double t = scheduler.timesteps()[i];
            double[] output = point.output("epsilon", latents, sigmas[i]);
            double[] next = scheduler.step(output, t, latents, noise);
            double[] withoutNoise = ode.step(output, t, latents, NoiseSource.NONE);
            if (i < 11) { // the last step, to sigma 0, scales its noise by 0
                assertThat(next).as("the noise changes step " + i).isNotEqualTo(withoutNoise);
            }
            latents = next;
        }

        assertThat(requested).hasSize(12).containsOnly(8);
        PointMass.assertClose(latents, point.x0(), "final");
    }

    static Stream<SchedulerConfig> sdeConfigs() {
        return Stream.of(sd("algorithm_type", "sde-dpmsolver++"),
                sd("algorithm_type", "sde-dpmsolver++", "solver_type", "heun", "use_karras_sigmas", true),
                sd("algorithm_type", "sde-dpmsolver++", "solver_order", 3));
    }

    @Test
    void lambdaClippingEndsTheSpacingBelowTheClippedTimesteps() {
        SchedulerConfig cosine = new SchedulerConfig(Map.of("beta_schedule", "squaredcos_cap_v2"));
        Scheduler clipped = new DpmSolverMultistepScheduler(cosine.with("lambda_min_clipped", -5.1));
        Scheduler unclipped = new DpmSolverMultistepScheduler(cosine);
        clipped.setTimesteps(15);
        unclipped.setTimesteps(15);

        // as diffusers: the 4 training timesteps with lambda < -5.1 are cut, so linspace runs over 0..995
        assertThat(unclipped.timesteps()[0]).isEqualTo(999);
        assertThat(clipped.timesteps()).startsWith(995, 929, 862).endsWith(66);
    }

    @Test
    void spacingsLayOutTimestepsAsDiffusers() {
        Scheduler trailing = new DpmSolverMultistepScheduler(sd("timestep_spacing", "trailing"));
        Scheduler leading = new DpmSolverMultistepScheduler(sd("timestep_spacing", "leading"));
        trailing.setTimesteps(3);
        leading.setTimesteps(4);

        assertThat(trailing.timesteps()).containsExactly(999, 666, 332);
        assertThat(leading.timesteps()).containsExactly(801, 601, 401, 201); // ratio 1000 // 5, plus steps_offset
    }

    @Test
    void trailingSpacingNeverVisitsTimestepMinusOne() {
        Scheduler scheduler = new DpmSolverMultistepScheduler(sd("timestep_spacing", "trailing"));
        scheduler.setTimesteps(61); // numpy's arange yields a 62nd element here, which becomes timestep -1

        assertThat(scheduler.timesteps()).hasSize(61).startsWith(999).endsWith(15).doesNotContain(-1);
        assertThat(scheduler.sigmas()).hasSize(62);
    }

    @Test
    void withoutABeginIndexAddNoiseFindsTheTimestepTakingTheSecondOfTwins() {
        Scheduler scheduler = new DpmSolverMultistepScheduler(sd("use_exponential_sigmas", true));
        scheduler.setTimesteps(20);
        double[] timesteps = scheduler.timesteps();
        double[] sigmas = scheduler.sigmas();
        PointMass point = PointMass.random(4, 9);
        assertThat(timesteps).endsWith(0, 0); // fractional timesteps below 1 both truncate to 0

        PointMass.assertClose(scheduler.addNoise(point.x0(), point.epsilon(), 0), point.latentsAt(sigmas[19]), "twin");
        PointMass.assertClose(scheduler.addNoise(point.x0(), point.epsilon(), timesteps[3]),
                point.latentsAt(sigmas[3]), "single");
        PointMass.assertClose(scheduler.addNoise(point.x0(), point.epsilon(), 1000), point.latentsAt(sigmas[19]),
                "absent: the last");
    }

    static Stream<Arguments> unsupported() {
        return Stream.of(
                Arguments.of(sd("solver_order", 4), "DPMSolverMultistepScheduler: unsupported solver_order 4"),
                Arguments.of(sd("algorithm_type", "dpmsolver"), "final_sigmas_type 'zero' with algorithm_type"),
                Arguments.of(sd("algorithm_type", "sde-dpmsolver", "solver_order", 3,
                        "final_sigmas_type", "sigma_min"), "solver_order 3 with algorithm_type 'sde-dpmsolver'"),
                Arguments.of(sd("algorithm_type", "edm"), "algorithm_type 'edm'"),
                Arguments.of(sd("solver_type", "rk4"), "solver_type 'rk4'"),
                Arguments.of(sd("prediction_type", "flow_prediction"), "prediction_type 'flow_prediction'"),
                Arguments.of(sd("timestep_spacing", "karras"), "timestep_spacing 'karras'"),
                Arguments.of(sd("final_sigmas_type", "one"), "final_sigmas_type 'one'"),
                Arguments.of(sd("variance_type", "learned_range"), "variance_type 'learned_range'"),
                Arguments.of(sd("use_lu_lambdas", true), "use_lu_lambdas"),
                Arguments.of(sd("use_beta_sigmas", true), "use_beta_sigmas"),
                Arguments.of(sd("use_karras_sigmas", true, "use_exponential_sigmas", true), "only one of"),
                Arguments.of(sd("use_flow_sigmas", true), "use_flow_sigmas"));
    }

    @ParameterizedTest
    @MethodSource("unsupported")
    void unsupportedOptionsAreRejectedByName(SchedulerConfig config, String message) {
        assertThatThrownBy(() -> new DpmSolverMultistepScheduler(config))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining(message);
    }

    @Test
    void configsOfSiblingSolversRunAsDpmSolverPlusPlusMidpoint() {
        double[] reference = run(new DpmSolverMultistepScheduler(sd()), 9);

        assertThat(run(new DpmSolverMultistepScheduler(sd("algorithm_type", "deis", "solver_type", "logrho")), 9))
                .containsExactly(reference);
        assertThat(run(new DpmSolverMultistepScheduler(sd("solver_type", "bh2")), 9)).containsExactly(reference);
    }

    /**
     * Golden values from a transcription of diffusers' DPMSolverMultistepScheduler (torch, float32 as diffusers) that
     * reproduces the conformance vectors exactly: third order, its SDE and its noise-prediction variants.
     */
    @ParameterizedTest
    @MethodSource("goldenRuns")
    void thirdOrderRunsMatchDiffusers(SchedulerConfig config, int steps, double[] middle, double[] last) {
        double[][] latents = StandInRun.latentsAfterEachStep(new DpmSolverMultistepScheduler(config), steps,
                new double[] {0.8, -1.3, 0.25, 2.1});

        assertThat(latents[steps / 2]).containsExactly(middle, within(1e-5));
        assertThat(latents[steps - 1]).containsExactly(last, within(1e-5));
    }

    static Stream<Arguments> goldenRuns() {
        return Stream.of(
                Arguments.of(sd("solver_order", 3, "timestep_spacing", "trailing"), 16,
                        new double[] {0.894138827354684, -1.6523910853435748, 0.19591468863497247, 2.8296430323533173},
                        new double[] {0.8497711086077115, -1.6822544140840971, 0.14965999130357122, 2.940424127708738}),
                Arguments.of(sd("solver_order", 3, "algorithm_type", "sde-dpmsolver++",
                        "prediction_type", "v_prediction", "use_karras_sigmas", true), 8,
                        new double[] {-0.4686393914231331, -0.5341673387656946, 0.1691983381059132, 0.7899350902437834},
                        new double[] {-0.6540272250706503, -0.5948182425500725, 0.33121300731969633, 1.0986725991593265}),
                Arguments.of(sd("solver_order", 3, "algorithm_type", "dpmsolver", "solver_type", "heun",
                        "prediction_type", "sample", "timestep_spacing", "leading", "final_sigmas_type", "sigma_min"), 10,
                        new double[] {1.0320291738232263, -1.6401736900283246, 0.3524511362204539, 2.592012310179701},
                        new double[] {0.3611273327082274, -0.45900014489358865, 0.18179273062426168, 0.706639641812506}));
    }

    @Test
    void steppingBeforeSetTimestepsFailsClearly() {
        Scheduler scheduler = new DpmSolverMultistepScheduler(sd());

        assertThatThrownBy(() -> scheduler.step(new double[4], 999, new double[4], NoiseSource.NONE))
                .isInstanceOf(IllegalStateException.class).hasMessageContaining("setTimesteps");
    }
}
