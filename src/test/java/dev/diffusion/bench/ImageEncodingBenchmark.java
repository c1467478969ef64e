package dev.diffusion.bench;

import dev.diffusion.image.ImageEncoder;
import dev.diffusion.image.OutputFormat;
import dev.diffusion.image.TestPictures;
import java.lang.management.ManagementFactory;
import java.lang.management.ThreadMXBean;
import java.util.Arrays;
import java.util.Locale;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.condition.EnabledIfSystemProperty;

/**
 * Time to encode one image per output format and compression, at the sizes the service makes: the median of
 * {@code benchmark.runs} encodes after as many warm-up encodes, as wall time and as the thread's CPU time (every
 * encoder here runs on the calling thread, so CPU time is the cost with the load of other processes taken out). Not a
 * test: run it with {@code scripts/bench-image-encoding.sh [runs]}; it prints one line per format and size.
 */
@EnabledIfSystemProperty(named = "benchmark", matches = "true")
class ImageEncodingBenchmark {

    private static final String INFOTEXT = "a red circle on a blue background\nNegative prompt: blurry\n"
            + "Steps: 25, Sampler: DDIM, CFG scale: 5.0, Seed: 42, Size: 512x512, Model: shapes";

    @Test
    void printEncodeTimes() {
        int runs = Integer.getInteger("benchmark.runs", 21);
        ThreadMXBean threads = ManagementFactory.getThreadMXBean();
        System.out.printf(Locale.ROOT, "encode, median of %d runs, %s, %d cores%n", runs, Runtime.version(),
                Runtime.getRuntime().availableProcessors());
        for (int size : new int[] {64, 512, 1024}) {
            byte[] rgb = TestPictures.gradients(size, size, 1);
            for (String[] setting : new String[][] {{"png", "100"}, {"jpeg", "100"}, {"jpeg", "75"},
                    {"webp", "100"}, {"webp", "75"}}) {
                ImageEncoder encoder = OutputFormat.of(setting[0]).encoder();
                int compression = Integer.parseInt(setting[1]);
                long[] wall = new long[runs];
                long[] cpu = new long[runs];
                int bytes = 0;
                for (int run = -runs; run < runs; run++) {
                    long cpuStart = threads.getCurrentThreadCpuTime();
                    long start = System.nanoTime();
                    bytes = encoder.encode(size, size, rgb, INFOTEXT, compression).length;
                    if (run >= 0) {
                        wall[run] = System.nanoTime() - start;
                        cpu[run] = threads.getCurrentThreadCpuTime() - cpuStart;
                    }
                }
                System.out.printf(Locale.ROOT, "%-5s %-4s %4dx%-4d  wall %8.2f ms  cpu %8.2f ms  %9d bytes%n",
                        setting[0], setting[1], size, size, median(wall) / 1e6, median(cpu) / 1e6, bytes);
            }
        }
    }

    private static double median(long[] values) {
        long[] sorted = values.clone();
        Arrays.sort(sorted);
        return sorted[sorted.length / 2];
    }
}
