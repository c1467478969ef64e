package dev.diffusion.scheduler;

import static org.assertj.core.api.Assertions.assertThat;
import static org.junit.jupiter.api.Assertions.fail;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayDeque;
import java.util.Arrays;
import java.util.Deque;
import java.util.List;
import java.util.Map;
import java.util.stream.Stream;
import org.junit.jupiter.api.DynamicTest;
import org.junit.jupiter.api.TestFactory;
import tools.jackson.core.json.JsonReadFeature;
import tools.jackson.databind.JsonNode;
import tools.jackson.databind.ObjectMapper;
import tools.jackson.databind.json.JsonMapper;

/**
 * Runs every sampling run in the scheduler conformance vectors (see the vectors' README): the scheduler is built from
 * its diffusers class name and config, its set-up is compared, and then the recorded loop is replayed with the
 * stand-in denoiser, each step fed the noise the reference drew, comparing the model input and the latents after
 * every step.
 */
class SchedulerConformanceTest {

    private static final String DIRECTORY_PROPERTY = "conformance.schedulers.dir";
    private static final ObjectMapper JSON = JsonMapper.builder()
            .enable(JsonReadFeature.ALLOW_NON_NUMERIC_NUMBERS) // configs may hold -Infinity
            .build();

    @TestFactory
    Stream<DynamicTest> everyRecordedRun() throws IOException {
        Path location = Path.of(System.getProperty(DIRECTORY_PROPERTY, "src/test/resources/conformance/schedulers"));
        List<Path> files;
        if (Files.isRegularFile(location)) {
            files = List.of(location);
        } else {
            assertThat(location).as("scheduler vectors (system property %s)", DIRECTORY_PROPERTY).isDirectory();
            try (Stream<Path> listing = Files.list(location)) {
                files = listing.filter(p -> p.getFileName().toString().endsWith(".json")).sorted().toList();
            }
            assertThat(files).as("scheduler vector files in %s", location).isNotEmpty();
        }
        return files.stream().map(file -> {
            JsonNode run = JSON.readTree(file.toFile());
            return DynamicTest.dynamicTest(run.get("name").asString(), file.toUri(), () -> replay(run));
        });
    }

    private static void replay(JsonNode run) {
        String name = run.get("name").asString();
        @SuppressWarnings("unchecked")
        Map<String, Object> values = JSON.convertValue(run.get("config"), Map.class);
        double eta = run.has("eta") ? run.get("eta").asDouble() : 0.0;
        Scheduler scheduler = Schedulers.forDiffusersClass(run.get("scheduler").asString(),
                new SchedulerConfig(values), eta);

        int steps = run.get("num_inference_steps").asInt();
        scheduler.setTimesteps(steps);
        assertClose(name, "init_noise_sigma", new double[] {scheduler.initNoiseSigma()},
                new double[] {run.get("init_noise_sigma").asDouble()});
        assertThat(scheduler.order()).as("%s: order", name).isEqualTo(run.get("order").asInt());
        double[] timesteps = scheduler.timesteps();
        assertClose(name, "timesteps", timesteps, numbers(run.get("timesteps")));
        if (run.has("sigmas")) {
            assertClose(name, "sigmas", scheduler.sigmas(), numbers(run.get("sigmas")));
        }

        double[] latents;
        double[] runTimesteps;
        String mode = run.get("mode").asString();
        switch (mode) {
            case "txt2img" -> {
                runTimesteps = timesteps;
                latents = Vectors.scale(scheduler.initNoiseSigma(), numbers(run.get("x_T")));
            }
            case "img2img" -> {
                double strength = run.get("strength").asDouble();
                int tStart = steps - Math.min((int) (steps * strength), steps);
                int begin = tStart * scheduler.order();
                runTimesteps = Arrays.copyOfRange(timesteps, begin, timesteps.length);
                assertClose(name, "run_timesteps", runTimesteps, numbers(run.get("run_timesteps")));
                scheduler.setBeginIndex(begin);
                latents = scheduler.addNoise(numbers(run.get("x0")), numbers(run.get("noise")), runTimesteps[0]);
                assertClose(name, "noised", latents, numbers(run.get("noised")));
            }
            default -> throw new AssertionError(name + ": unknown mode '" + mode + "'");
        }

        JsonNode recorded = run.get("steps");
        assertThat(runTimesteps.length).as("%s: number of steps", name).isEqualTo(recorded.size());
        for (int i = 0; i < runTimesteps.length; i++) {
            JsonNode step = recorded.get(i);
            String at = "step " + i;
            double t = runTimesteps[i];
            assertClose(name, at + " t", new double[] {t}, new double[] {step.get("t").asDouble()});
            double[] modelInput = scheduler.scaleModelInput(latents, t);
            assertClose(name, at + " model_input", modelInput, numbers(step.get("model_input")));
            RecordedNoise noise = new RecordedNoise(name + " " + at, step.get("noise"));
            latents = scheduler.step(standInDenoiser(modelInput, t), t, latents, noise);
            noise.assertAllUsed();
            assertClose(name, at + " prev_sample", latents, numbers(step.get("prev_sample")));
        }
        assertClose(name, "final", latents, numbers(run.get("final")));
    }

    /** out(x, t) = 0.9·√(max(t, 0)/1000)·x + 0.1·tanh(3x) + 0.02·sin(t/100), in float64. */
    private static double[] standInDenoiser(double[] x, double t) {
        double[] out = new double[x.length];
        double gain = 0.9 * Math.sqrt(Math.max(t, 0) / 1000);
        double shift = 0.02 * Math.sin(t / 100);
        for (int i = 0; i < x.length; i++) {
            out[i] = gain * x[i] + 0.1 * Math.tanh(3 * x[i]) + shift;
        }
        return out;
    }

    /** Hands out a step's recorded noise arrays in order, failing if the step asks for more or other than those. */
    private static final class RecordedNoise implements NoiseSource {
        private final String where;
        private final Deque<double[]> arrays = new ArrayDeque<>();

        RecordedNoise(String where, JsonNode recorded) {
            this.where = where;
            recorded.forEach(array -> arrays.add(numbers(array)));
        }

        @Override
        public double[] gaussian(int count) {
            if (arrays.isEmpty()) {
                fail(where + ": the scheduler drew noise that the reference did not draw");
            }
            double[] next = arrays.removeFirst();
            assertThat(count).as("%s: size of the noise drawn", where).isEqualTo(next.length);
            return next;
        }

        void assertAllUsed() {
            assertThat(arrays).as("%s: noise arrays the reference drew but the scheduler did not", where).isEmpty();
        }
    }

    /** Fails unless max |actual − expected| ≤ 1e-4·max(1, max |expected|). */
    private static void assertClose(String name, String quantity, double[] actual, double[] expected) {
        assertThat(actual.length).as("%s: length of %s", name, quantity).isEqualTo(expected.length);
        double tolerance = 1e-4 * Math.max(1, Vectors.maxAbs(expected));
        int worst = -1;
        double worstError = 0;
        for (int i = 0; i < actual.length; i++) {
            double error = Math.abs(actual[i] - expected[i]);
            if (!(error <= worstError)) {
                worst = i;
                worstError = error;
            }
        }
        if (worst >= 0 && !(worstError <= tolerance)) {
            fail(String.format("%s: %s is off by %.3g (tolerance %.3g) at index %d: %s instead of %s",
                    name, quantity, worstError, tolerance, worst, actual[worst], expected[worst]));
        }
    }

    private static double[] numbers(JsonNode array) {
        double[] out = new double[array.size()];
        for (int i = 0; i < out.length; i++) {
            out[i] = array.get(i).asDouble();
        }
        return out;
    }
}
