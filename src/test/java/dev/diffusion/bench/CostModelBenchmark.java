package dev.diffusion.bench;

import ai.djl.Device;
import dev.diffusion.model.LoadedModel;
import dev.diffusion.model.ModelCosts;
import dev.diffusion.model.ModelFolder;
import dev.diffusion.pipeline.DiffusionPipeline;
import dev.diffusion.worker.CostProbe;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.Locale;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.condition.EnabledIfSystemProperty;

/**
 * How well the admission's cost model predicts calls it did not measure: the worker's probe at warm-up, then real UNet
 * and VAE calls at larger sizes and more rows, each printed beside what the model predicted. Not a test: run it with
 * {@code scripts/bench-cost-model.sh [model-dir] [latent sides] [rows]}.
 */
@EnabledIfSystemProperty(named = "benchmark", matches = "true")
class CostModelBenchmark {

    @Test
    void printPredictedAgainstMeasured() {
        Path modelDir = Path.of(System.getProperty("benchmark.model", "src/main/models/shapes"));
        int[] sides = ints(System.getProperty("benchmark.sides", "48,80,96,128"));
        int[] rows = ints(System.getProperty("benchmark.rows", "1,2,4"));
        try (LoadedModel model = LoadedModel.load(ModelFolder.open(modelDir), Device.cpu());
                DiffusionPipeline pipeline = new DiffusionPipeline(model)) {
            CostProbe probe = new CostProbe(pipeline, 0.5, 8L << 30, true, () -> { });
            long start = System.nanoTime();
            ModelCosts costs = probe.measure();
            System.out.printf(Locale.ROOT, "model %s, probe %.1f s: %s%n", modelDir, (System.nanoTime() - start) / 1e9,
                    costs);
            System.out.printf(Locale.ROOT, "%-5s %-4s %-32s %-32s %-28s %-28s%n", "side", "rows",
                    "unet s predicted/measured", "unet MB predicted/measured", "vae s predicted/measured",
                    "vae MB predicted/measured");
            for (int side : sides) {
                for (int r : rows) {
                    CostProbe.Measured unet = probe.unetCall(side, r);
                    CostProbe.Measured vae = probe.vaeCall(side, r);
                    double area = (double) side * side;
                    System.out.printf(Locale.ROOT, "%-5d %-4d %-32s %-32s %-28s %-28s%n", side, r,
                            pair(costs.unetSeconds().estimate(r, area), unet.seconds(), 1),
                            pair(costs.unetBytes().estimate(r, area), unet.bytes(), 1e6),
                            pair(costs.vaeSeconds().estimate(r, area), vae.seconds(), 1),
                            pair(costs.vaeBytes().estimate(r, area), vae.bytes(), 1e6));
                }
            }
        }
    }

    private static String pair(double predicted, double measured, double unit) {
        return String.format(Locale.ROOT, "%.3f / %.3f (%+.0f%%)", predicted / unit, measured / unit,
                100 * (predicted - measured) / measured);
    }

    private static int[] ints(String list) {
        return Arrays.stream(list.split(",")).mapToInt(Integer::parseInt).toArray();
    }
}
