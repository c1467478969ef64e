package dev.diffusion.scheduler;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.util.Arrays;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Random;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;

class SchedulersTest {

    /** Stable Diffusion 1.5's scheduler_config.json, as a model folder carries it. */
    static SchedulerConfig sd15Config() {
        Map<String, Object> values = new HashMap<>();
        values.put("_class_name", "PNDMScheduler");
        values.put("beta_start", 0.00085);
        values.put("beta_end", 0.012);
        values.put("beta_schedule", "scaled_linear");
        values.put("num_train_timesteps", 1000);
        values.put("set_alpha_to_one", false);
        values.put("skip_prk_steps", true);
        values.put("steps_offset", 1);
        values.put("clip_sample", false);
        values.put("trained_betas", null);
        return new SchedulerConfig(values);
    }

    @Test
    void namesAreTheDesignsNamesSorted() {
        assertThat(Schedulers.names()).containsExactly("ddim", "ddpm", "dpmpp_2m", "dpmpp_2m_karras", "dpmpp_2m_sde",
                "dpmpp_2m_sde_karras", "euler", "euler_ancestral", "euler_karras", "heun", "heun_karras", "lcm", "lms",
                "lms_karras", "pndm", "tcd", "unipc", "unipc_karras");
    }

    static List<String> names() {
        return Schedulers.names();
    }

    @ParameterizedTest
    @MethodSource("names")
    void everyNameRunsAShortLoopToFiniteLatents(String name) {
        Scheduler scheduler = Schedulers.create(name, sd15Config(), 0.5);
        scheduler.setTimesteps(3);
        Random random = new Random(7);
        NoiseSource noise = count -> {
            double[] z = new double[count];
            for (int i = 0; i < count; i++) {
                z[i] = random.nextGaussian();
            }
            return z;
        };
        double[] start = Vectors.scale(scheduler.initNoiseSigma(), noise.gaussian(64));
        double[] latents = start;
        for (double t : scheduler.timesteps()) {
            double[] input = scheduler.scaleModelInput(latents, t);
            latents = scheduler.step(Vectors.combine(0.5, input, 0.1, start), t, latents, noise);
        }
        assertThat(Arrays.stream(latents).allMatch(Double::isFinite)).as("finite latents").isTrue();
        assertThat(Vectors.maxAbs(Vectors.combine(1, latents, -1, start))).as("change over the run").isPositive();
    }

    @Test
    void karrasNamesSpaceTheirNoiseLevelsEvenlyInSigmaToTheOneSeventh() {
        for (String name : List.of("lms", "euler", "heun", "dpmpp_2m", "dpmpp_2m_sde", "unipc")) {
            // the plain name means timestep-spaced sigmas even where the model's config asks for Karras sigmas
            Scheduler plain = Schedulers.create(name, sd15Config().with("use_karras_sigmas", true), 0);
            Scheduler karras = Schedulers.create(name + "_karras", sd15Config(), 0);
            plain.setTimesteps(10);
            karras.setTimesteps(10);
            assertThat(spreadOfRootSpacing(karras.sigmas())).as(name + "_karras").isLessThan(1e-5);
            assertThat(spreadOfRootSpacing(plain.sigmas())).as(name).isGreaterThan(1e-2);
        }
    }

    /** How unevenly the distinct noise levels before the final one are spaced in σ^(1/7) (Karras' rho = 7). */
    private static double spreadOfRootSpacing(double[] sigmas) {
        double[] levels = Arrays.stream(sigmas, 0, sigmas.length - 1).distinct().toArray();
        double min = Double.MAX_VALUE;
        double max = -Double.MAX_VALUE;
        for (int i = 1; i < levels.length; i++) {
            double gap = Math.pow(levels[i - 1], 1 / 7.0) - Math.pow(levels[i], 1 / 7.0);
            min = Math.min(min, gap);
            max = Math.max(max, gap);
        }
        return max - min;
    }

    @Test
    void onlyTheStochasticNamesDrawNoise() {
        assertThat(noiseDrawsOfAFiveStepRun("dpmpp_2m", 0)).isZero();
        assertThat(noiseDrawsOfAFiveStepRun("dpmpp_2m_sde", 0)).isPositive();
        assertThat(noiseDrawsOfAFiveStepRun("ddim", 0)).isZero();
        assertThat(noiseDrawsOfAFiveStepRun("ddim", 1)).isEqualTo(5);
        assertThat(noiseDrawsOfAFiveStepRun("euler", 1)).isZero();
        assertThat(noiseDrawsOfAFiveStepRun("euler_ancestral", 0)).isEqualTo(5);
        assertThat(noiseDrawsOfAFiveStepRun("ddpm", 0)).isEqualTo(5);
        // the consistency samplers re-noise after every step but the last; TCD only with gamma (eta) > 0
        assertThat(noiseDrawsOfAFiveStepRun("lcm", 0)).isEqualTo(4);
        assertThat(noiseDrawsOfAFiveStepRun("tcd", 0)).isZero();
        assertThat(noiseDrawsOfAFiveStepRun("tcd", 0.3)).isEqualTo(4);
    }

    private static int noiseDrawsOfAFiveStepRun(String name, double eta) {
        Scheduler scheduler = Schedulers.create(name, sd15Config(), eta);
        scheduler.setTimesteps(5);
        int[] draws = {0};
        NoiseSource counting = count -> {
            draws[0]++;
            return new double[count];
        };
        double[] latents = new double[16];
        for (double t : scheduler.timesteps()) {
            latents = scheduler.step(scheduler.scaleModelInput(latents, t), t, latents, counting);
        }
        return draws[0];
    }

    @Test
    void anUnknownNameIsRejectedWithTheKnownOnes() {
        assertThatThrownBy(() -> Schedulers.create("euler_karras_sde", sd15Config(), 0))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("euler_karras_sde")
                .hasMessageContaining("dpmpp_2m");
        assertThatThrownBy(() -> Schedulers.forDiffusersClass("KDPM2DiscreteScheduler", sd15Config(), 0))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("KDPM2DiscreteScheduler");
    }
}
