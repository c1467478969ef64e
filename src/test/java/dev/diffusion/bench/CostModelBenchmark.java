package dev.diffusion.bench;

import ai.djl.Device;
import dev.diffusion.model.CallCost;
import dev.diffusion.model.IntraOpThreads;
import dev.diffusion.model.LoadedModel;
import dev.diffusion.model.ModelCosts;
import dev.diffusion.model.ModelFolder;
import dev.diffusion.pipeline.DiffusionPipeline;
import dev.diffusion.pipeline.ModelCallListener;
import dev.diffusion.worker.CostProbe;
import java.io.IOException;
import java.io.PrintStream;
import java.lang.management.CompilationMXBean;
import java.lang.management.ManagementFactory;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.HashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.stream.Collectors;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.condition.EnabledIfSystemProperty;

/**
 * How well the admission's cost model predicts calls it did not measure: the worker's probe at warm-up, then real UNet
 * and VAE calls at larger sizes and more rows, each printed beside what the model predicted. Not a test: run it with
 * {@code scripts/bench-cost-model.sh [model-dir] [latent sides] [rows]}.
 */
@EnabledIfSystemProperty(named = "benchmark", matches = "true")
class CostModelBenchmark {

    private static final CompilationMXBean JIT = ManagementFactory.getCompilationMXBean();

    @Test
    void printPredictedAgainstMeasured() throws IOException {
        // to a file first: libtorch's warnings (stderr) break lines of the standard output
        Path out = Path.of(System.getProperty("benchmark.out", "target/cost-model.txt"));
        try (PrintStream file = new PrintStream(Files.newOutputStream(out), true, StandardCharsets.UTF_8)) {
            print(file);
        }
        System.out.print(Files.readString(out));
    }

    private void print(PrintStream table) {
        Path modelDir = Path.of(System.getProperty("benchmark.model", "src/main/models/shapes"));
        int[] sides = ints(System.getProperty("benchmark.sides", "48,80,96,128"));
        int[] rows = ints(System.getProperty("benchmark.rows", "1,2,4"));
        // libtorch's threads as a worker sets them (diffusion.batching.parallel-from-rows, default 16)
        IntraOpThreads threads = IntraOpThreads.forMachine(Integer.getInteger("benchmark.parallelFromRows", 16));
        try (LoadedModel model = LoadedModel.load(ModelFolder.open(modelDir), Device.cpu());
                DiffusionPipeline pipeline = new DiffusionPipeline(model, ModelCallListener.NONE, threads)) {
            // the probe's call time and warm-up as a worker's defaults (diffusion.limits.probe-*)
            CostProbe probe = new CostProbe(pipeline, 0.5, 6, 8L << 30, true, () -> { });
            long start = System.nanoTime();
            long compiling = JIT.getTotalCompilationTime();
            ModelCosts costs = probe.measure();
            table.printf(Locale.ROOT, "model %s, %s, probe %.1f s (JIT compiling %d ms of it, %d ms before): %s%n",
                    modelDir, threads, (System.nanoTime() - start) / 1e9, JIT.getTotalCompilationTime() - compiling,
                    compiling, costs);
            probe.samples().forEach((fitted, samples) -> table.printf(Locale.ROOT,
                    "probe's %s (side x rows: value): %s%n", fitted,
                    samples.stream().map(CostModelBenchmark::sample).collect(Collectors.joining(", "))));
            // the machine's own speed drifts (a shared VM: the same call's CPU time stepped from 0.058 to 0.045 s
            // within a minute); a reference call before each call measures it, as a worker's pace does (WorkerPace)
            int referenceSide = Integer.getInteger("benchmark.referenceSide", 48);
            double reference = probe.unetCall(referenceSide, 1).seconds();
            // each call in several rounds over the whole table, the shortest kept, as the probe keeps its shortest
            int rounds = Integer.getInteger("benchmark.rounds", 2);
            long compiledBeforeRounds = JIT.getTotalCompilationTime();
            Map<List<Integer>, AtPace> unets = new HashMap<>();
            Map<List<Integer>, AtPace> vaes = new HashMap<>();
            for (int round = 0; round < rounds; round++) {
                for (int side : sides) {
                    for (int r : rows) {
                        double pace = probe.unetCall(referenceSide, 1).seconds() / reference;
                        unets.merge(List.of(side, r), new AtPace(pace, probe.unetCall(side, r)), AtPace::shorter);
                        vaes.merge(List.of(side, r), new AtPace(pace, probe.vaeCall(side, r)), AtPace::shorter);
                    }
                }
            }
            table.printf(Locale.ROOT, "JIT compiling during the rounds: %d ms%n",
                    JIT.getTotalCompilationTime() - compiledBeforeRounds);
            table.printf(Locale.ROOT, "%d rounds; pace: a reference call's time against its first, in the round of "
                    + "the shortest UNet call (of the shortest decoder call for its column)%n", rounds);
            table.printf(Locale.ROOT, "%-5s %-4s %-5s %-32s %-32s %-28s %-28s %-10s %-10s%n", "side", "rows",
                    "pace", "unet s predicted/measured", "unet MB predicted/measured", "vae s predicted/measured",
                    "vae MB predicted/measured", "unet s×pace", "vae s×pace");
            for (int side : sides) {
                for (int r : rows) {
                    AtPace unet = unets.get(List.of(side, r));
                    AtPace vae = vaes.get(List.of(side, r));
                    double area = (double) side * side;
                    double unetSeconds = costs.unetSeconds().estimate(r, area);
                    double vaeSeconds = costs.vaeSeconds().estimate(r, area);
                    table.printf(Locale.ROOT, "%-5d %-4d %-5.2f %-32s %-32s %-28s %-28s %-10s %-10s%n", side, r,
                            unet.pace(), pair(unetSeconds, unet.call().seconds(), 1),
                            pair(costs.unetBytes().estimate(r, area), unet.call().bytes(), 1e6),
                            pair(vaeSeconds, vae.call().seconds(), 1),
                            pair(costs.vaeBytes().estimate(r, area), vae.call().bytes(), 1e6),
                            error(unetSeconds * unet.pace(), unet.call().seconds()),
                            error(vaeSeconds * vae.pace(), vae.call().seconds()));
                }
            }
        }
    }

    /** A measured call and the machine's pace when it was made. */
    private record AtPace(double pace, CostProbe.Measured call) {
        AtPace shorter(AtPace other) {
            return other.call.seconds() < call.seconds() ? other : this;
        }
    }

    private static String sample(CallCost.Sample sample) {
        return String.format(Locale.ROOT, "%dx%d: %.4g", Math.round(Math.sqrt(sample.area())), sample.rows(),
                sample.value());
    }

    private static String pair(double predicted, double measured, double unit) {
        return String.format(Locale.ROOT, "%.3f / %.3f (%+.0f%%)", predicted / unit, measured / unit,
                100 * (predicted - measured) / measured);
    }

    private static String error(double predicted, double measured) {
        return String.format(Locale.ROOT, "%+.0f%%", 100 * (predicted - measured) / measured);
    }

    private static int[] ints(String list) {
        return Arrays.stream(list.split(",")).mapToInt(Integer::parseInt).toArray();
    }
}
