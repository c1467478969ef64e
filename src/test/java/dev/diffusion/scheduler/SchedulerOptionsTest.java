package dev.diffusion.scheduler;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.assertj.core.api.Assertions.within;

import java.util.Map;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

/** Set-up details of single options, and the config values that are rejected rather than half-supported. */
class SchedulerOptionsTest {

    private static final SchedulerConfig SD = new SchedulerConfig(Map.of(
            "beta_start", 0.00085, "beta_end", 0.012, "beta_schedule", "scaled_linear"));

    @Test
    void pndmWithItsRungeKuttaWarmUpVisitsEachOfTheFirstThreeIntervalsFourTimes() {
        PndmScheduler pndm = new PndmScheduler(SchedulerConfig.empty());
        pndm.setTimesteps(10);
        assertThat(pndm.timesteps()).containsExactly(900, 850, 850, 800, 800, 750, 750, 700, 700, 650, 650, 600,
                600, 500, 400, 300, 200, 100, 0);

        PndmScheduler linspace = new PndmScheduler(SchedulerConfig.empty().with("timestep_spacing", "linspace"));
        linspace.setTimesteps(7);
        assertThat(linspace.timesteps()).containsExactly(999, 903, 903, 832, 832, 737, 737, 666, 666, 571, 571, 500,
                500, 333, 166, 0);
    }

    @Test
    void heunTakesEveryTimestepButTheFirstTwice() {
        HeunScheduler heun = new HeunScheduler(SD.with("use_karras_sigmas", true));
        heun.setTimesteps(4);
        double[] t = heun.timesteps();
        double[] sigmas = heun.sigmas();
        assertThat(t).hasSize(7);
        assertThat(sigmas).hasSize(8);
        assertThat(new double[] {t[1], t[3], t[5]}).containsExactly(t[2], t[4], t[6]);
        assertThat(new double[] {sigmas[1], sigmas[3], sigmas[5]}).containsExactly(sigmas[2], sigmas[4], sigmas[6]);
        assertThat(sigmas[7]).isZero();
        assertThat(heun.order()).isEqualTo(2);
    }

    @Test
    void lmsFirstStepIsAnEulerStep() {
        LmsScheduler lms = new LmsScheduler(SD);
        EulerScheduler euler = new EulerScheduler(SD);
        lms.setTimesteps(12);
        euler.setTimesteps(12);
        double[] x = {1.5, -0.25, 3.0};
        double[] output = {0.2, 0.4, -1.0};
        double t = lms.timesteps()[0];
        assertThat(lms.step(output, t, x, NoiseSource.NONE))
                .containsExactly(euler.step(output, t, x, NoiseSource.NONE), within(1e-12));
    }

    @Test
    void eulerHonoursItsSigmaBoundsAndFinalSigma() {
        EulerScheduler euler = new EulerScheduler(SD.with("use_karras_sigmas", true).with("sigma_min", 0.1)
                .with("sigma_max", 8.0).with("final_sigmas_type", "sigma_min"));
        euler.setTimesteps(10);
        double[] sigmas = euler.sigmas();
        assertThat(sigmas[0]).isEqualTo(8.0);
        assertThat(sigmas[9]).isCloseTo(0.1, within(1e-7));
        // sigma_min as the final type is the training schedule's lowest sigma, not the config's
        double lowestTrainingSigma = NoiseSchedule.from(SD, false).sigmas()[0];
        assertThat(sigmas[10]).isCloseTo(lowestTrainingSigma, within(1e-9));
    }

    @Test
    void leadingSpacingStartsTheSigmaSamplersAtUnitVarianceAboveTheTopSigma() {
        EulerScheduler euler = new EulerScheduler(SD.with("timestep_spacing", "leading").with("steps_offset", 1));
        euler.setTimesteps(20);
        assertThat(euler.timesteps()[0]).isEqualTo(951);
        double top = euler.sigmas()[0];
        assertThat(euler.initNoiseSigma()).isCloseTo(Math.sqrt(top * top + 1), within(1e-9));
    }

    @Test
    void trailingSpacingEndsAtTheLastTrainingTimestep() {
        DdimScheduler ddim = new DdimScheduler(SD.with("timestep_spacing", "trailing"));
        ddim.setTimesteps(3);
        assertThat(ddim.timesteps()).containsExactly(999, 666, 332);
    }

    static Stream<Arguments> unsupported() {
        return Stream.of(
                Arguments.of("DDPMScheduler", Map.of("variance_type", "learned_range"), "variance"),
                Arguments.of("DDPMScheduler", Map.of("variance_type", "fixed_large_log"), "variance_type"),
                Arguments.of("DDIMScheduler", Map.of("timestep_spacing", "quadratic"), "timestep_spacing"),
                Arguments.of("DDIMScheduler", Map.of("beta_schedule", "sigmoid"), "beta_schedule"),
                Arguments.of("PNDMScheduler", Map.of("prediction_type", "sample"), "prediction_type"),
                Arguments.of("EulerAncestralDiscreteScheduler", Map.of("prediction_type", "sample"), "prediction_type"),
                Arguments.of("EulerDiscreteScheduler", Map.of("interpolation_type", "log_linear"), "interpolation"),
                Arguments.of("EulerDiscreteScheduler", Map.of("final_sigmas_type", "one"), "final_sigmas_type"),
                Arguments.of("LMSDiscreteScheduler", Map.of("use_beta_sigmas", true), "use_beta_sigmas"),
                Arguments.of("HeunDiscreteScheduler",
                        Map.of("use_karras_sigmas", true, "use_exponential_sigmas", true), "only one"));
    }

    @ParameterizedTest(name = "{0} {1}")
    @MethodSource("unsupported")
    void anUnsupportedConfigValueIsRejectedByName(String className, Map<String, Object> values, String named) {
        assertThatThrownBy(() -> Schedulers.forDiffusersClass(className, new SchedulerConfig(values), 0))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining(named);
    }

    @Test
    void theConsistencySamplersTakeAtMostTheirOriginalInferenceSteps() {
        Scheduler lcm = new LcmScheduler(SD.with("original_inference_steps", 8));
        lcm.setTimesteps(8);
        assertThat(lcm.timesteps()).containsExactly(999, 874, 749, 624, 499, 374, 249, 124);
        assertThatThrownBy(() -> lcm.setTimesteps(9)).isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("original_inference_steps");
        assertThatThrownBy(() -> new TcdScheduler(SD, 0).setTimesteps(51))
                .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("original_inference_steps");
    }

    @Test
    void tcdGammaIsAFractionLikeEta() {
        assertThatThrownBy(() -> new TcdScheduler(SD, 1.5)).isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("gamma");
    }

    @Test
    void pndmWarmUpNeedsFourSteps() {
        PndmScheduler pndm = new PndmScheduler(SchedulerConfig.empty());
        assertThatThrownBy(() -> pndm.setTimesteps(3)).isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("skip_prk_steps");
    }
}
