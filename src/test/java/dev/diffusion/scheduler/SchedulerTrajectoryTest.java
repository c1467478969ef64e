package dev.diffusion.scheduler;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.Arrays;
import java.util.HashMap;
import java.util.Map;
import java.util.Random;
import java.util.stream.Stream;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * Configurations the conformance vectors do not reach (v and sample prediction, leading and trailing spacing, Karras
 * and exponential sigmas, zero terminal SNR, PNDM's Runge–Kutta warm-up, img2img starts, other step counts), run
 * with an oracle denoiser that knows the clean sample c: at the noise level the scheduler puts the latents at, it
 * returns exactly the noise (or c, or the velocity) they hold. Every sampler must then land on c at the end of its
 * run, which holds only if each step converts the prediction, scales the model input, and (for the multistep
 * methods) weighs its history consistently.
 */
class SchedulerTrajectoryTest {

    private static final int SIZE = 32;

    static Stream<Arguments> cases() {
        return Stream.of(
                run("DDIMScheduler", 20, 1, 0, "set_alpha_to_one", true, "steps_offset", 1),
                run("DDIMScheduler", 12, 1, 0, "prediction_type", "v_prediction", "timestep_spacing", "trailing",
                        "rescale_betas_zero_snr", true, "set_alpha_to_one", true),
                run("DDIMScheduler", 15, 0.6, 1.0, "prediction_type", "sample", "timestep_spacing", "linspace",
                        "set_alpha_to_one", true, "clip_sample", false),
                run("DDPMScheduler", 10, 1, 0, "clip_sample", false, "steps_offset", 1),
                run("DDPMScheduler", 9, 1, 0, "prediction_type", "v_prediction", "timestep_spacing", "trailing",
                        "clip_sample", false, "variance_type", "fixed_small_log"),
                run("PNDMScheduler", 20, 1, 0, "skip_prk_steps", true, "set_alpha_to_one", true, "steps_offset", 1),
                // (not on a path to c, in diffusers as here: PRK's half steps off leading spacing, PLMS started
                // part-way, which skips a level, and v-prediction, whose outputs PNDM mixes across levels)
                run("PNDMScheduler", 10, 1, 0, "skip_prk_steps", false, "set_alpha_to_one", true),
                run("PNDMScheduler", 7, 1, 0, "skip_prk_steps", false, "set_alpha_to_one", true, "steps_offset", 1),
                run("EulerDiscreteScheduler", 20, 1, 0),
                run("EulerDiscreteScheduler", 15, 1, 0, "prediction_type", "v_prediction", "use_karras_sigmas", true),
                run("EulerDiscreteScheduler", 12, 1, 0, "prediction_type", "sample", "use_exponential_sigmas", true,
                        "sigma_min", 0.05, "sigma_max", 10.0),
                run("EulerDiscreteScheduler", 25, 1, 0, "timestep_spacing", "leading", "steps_offset", 1),
                run("EulerDiscreteScheduler", 8, 1, 0, "prediction_type", "v_prediction", "timestep_spacing",
                        "trailing", "rescale_betas_zero_snr", true),
                run("EulerDiscreteScheduler", 10, 1, 0, "prediction_type", "v_prediction", "timestep_type",
                        "continuous"),
                run("EulerDiscreteScheduler", 30, 0.6, 0, "use_karras_sigmas", true),
                run("EulerAncestralDiscreteScheduler", 20, 1, 0, "timestep_spacing", "leading", "steps_offset", 1),
                run("EulerAncestralDiscreteScheduler", 11, 1, 0, "prediction_type", "v_prediction",
                        "timestep_spacing", "trailing"),
                run("EulerAncestralDiscreteScheduler", 20, 0.75, 0),
                run("LMSDiscreteScheduler", 20, 1, 0),
                run("LMSDiscreteScheduler", 15, 1, 0, "prediction_type", "v_prediction", "use_karras_sigmas", true),
                run("LMSDiscreteScheduler", 13, 1, 0, "prediction_type", "sample", "use_exponential_sigmas", true,
                        "timestep_spacing", "leading"),
                run("HeunDiscreteScheduler", 10, 1, 0),
                run("HeunDiscreteScheduler", 8, 1, 0, "prediction_type", "v_prediction", "use_karras_sigmas", true),
                run("HeunDiscreteScheduler", 7, 1, 0, "prediction_type", "sample", "timestep_spacing", "trailing"),
                run("HeunDiscreteScheduler", 10, 0.7, 0, "use_karras_sigmas", true));
    }

    /** A run of {@code steps} steps, img2img when {@code strength} is below 1, with config keys and values. */
    private static Arguments run(String className, int steps, double strength, double eta, Object... keysAndValues) {
        Map<String, Object> values = new HashMap<>();
        values.put("beta_start", 0.00085);
        values.put("beta_end", 0.012);
        values.put("beta_schedule", "scaled_linear");
        for (int i = 0; i < keysAndValues.length; i += 2) {
            values.put((String) keysAndValues[i], keysAndValues[i + 1]);
        }
        String label = className + " " + steps + " steps" + (strength < 1 ? ", img2img " + strength : "")
                + (eta > 0 ? ", eta " + eta : "") + " " + values;
        return Arguments.of(label, className, new SchedulerConfig(values), steps, strength, eta);
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("cases")
    void anOracleDenoiserLeadsToItsCleanSample(String label, String className, SchedulerConfig config, int steps,
            double strength, double eta) {
        Random random = new Random(11);
        NoiseSource noise = count -> gaussian(random, count);
        double[] clean = new double[SIZE];
        for (int i = 0; i < SIZE; i++) {
            clean[i] = 0.8 * Math.sin(i + 0.5);
        }
        Scheduler scheduler = Schedulers.forDiffusersClass(className, config, eta);
        scheduler.setTimesteps(steps);
        double[] timesteps = scheduler.timesteps();

        int begin = 0;
        double[] latents;
        if (strength < 1) {
            begin = (steps - Math.min((int) (steps * strength), steps)) * scheduler.order();
            scheduler.setBeginIndex(begin);
            latents = scheduler.addNoise(clean, gaussian(random, SIZE), timesteps[begin]);
        } else {
            latents = Vectors.scale(scheduler.initNoiseSigma(), gaussian(random, SIZE));
        }
        NoiseSchedule schedule = NoiseSchedule.from(config, true);
        PredictionType prediction = PredictionType.valueOf(
                config.string("prediction_type", "epsilon").toUpperCase());
        for (int i = begin; i < timesteps.length; i++) {
            double t = timesteps[i];
            double[] input = scheduler.scaleModelInput(latents, t);
            // the model input is √ᾱ·c + √(1−ᾱ)·ε at the level the scheduler says it is at
            double alphaProd = scheduler instanceof SigmaScheduler
                    ? 1 / (Math.pow(scheduler.sigmas()[i], 2) + 1)
                    : schedule.alphasCumprod()[(int) t];
            latents = scheduler.step(oracle(prediction, input, clean, alphaProd), t, latents, noise);
            assertThat(Arrays.stream(latents).allMatch(Double::isFinite)).as("%s: finite latents after step %d", label, i)
                    .isTrue();
        }

        double error = Vectors.maxAbs(Vectors.combine(1, latents, -1, clean));
        assertThat(error).as("%s: distance of the final latents from the clean sample", label).isLessThan(1e-8);
    }

    private static double[] oracle(PredictionType prediction, double[] input, double[] clean, double alphaProd) {
        double signal = Math.sqrt(alphaProd);
        double noise = Math.sqrt(1 - alphaProd);
        double[] epsilon = Vectors.combine(1 / noise, input, -signal / noise, clean);
        return switch (prediction) {
            case EPSILON -> epsilon;
            case SAMPLE -> clean;
            case V_PREDICTION -> Vectors.combine(signal, epsilon, -noise, clean);
        };
    }

    private static double[] gaussian(Random random, int count) {
        double[] z = new double[count];
        for (int i = 0; i < count; i++) {
            z[i] = random.nextGaussian();
        }
        return z;
    }
}
