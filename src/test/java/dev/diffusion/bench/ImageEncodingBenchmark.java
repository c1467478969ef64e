package dev.diffusion.bench;

import dev.diffusion.image.ImageEncoder;
import dev.diffusion.image.OutputFormat;
import dev.diffusion.image.TestPictures;
import java.lang.management.ManagementFactory;
import java.lang.management.ThreadMXBean;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Locale;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.condition.EnabledIfSystemProperty;

/**
 * Time to encode one image per output format and compression, at the sizes the service makes. Every setting is warmed
 * up, then the settings take turns, one encode each, for {@code benchmark.runs} rounds, so that load from other
 * processes falls on all of them alike. Printed: the median wall time, the median and the least CPU time of the
 * encoding thread (every encoder here runs on the calling thread), and the file size. Not a test: run it with
 * {@code scripts/bench-image-encoding.sh [runs]}.
 */
@EnabledIfSystemProperty(named = "benchmark", matches = "true")
class ImageEncodingBenchmark {

    private static final String INFOTEXT = "a red circle on a blue background\nNegative prompt: blurry\n"
            + "Steps: 25, Sampler: DDIM, CFG scale: 5.0, Seed: 42, Size: 512x512, Model: shapes";
    private static final ThreadMXBean THREADS = ManagementFactory.getThreadMXBean();

    /** One format, compression and size, and what its encodes took. */
    private record Setting(ImageEncoder encoder, String format, int compression, int size, byte[] rgb,
            List<Long> wall, List<Long> cpu, int[] bytes) {

        void encode(boolean measured) {
            long cpuStart = THREADS.getCurrentThreadCpuTime();
            long start = System.nanoTime();
            bytes[0] = encoder.encode(size, size, rgb, INFOTEXT, compression).length;
            if (measured) {
                wall.add(System.nanoTime() - start);
                cpu.add(THREADS.getCurrentThreadCpuTime() - cpuStart);
            }
        }
    }

    @Test
    void printEncodeTimes() {
        int runs = Integer.getInteger("benchmark.runs", 21);
        List<Setting> settings = new ArrayList<>();
        for (int size : new int[] {64, 512, 1024}) {
            byte[] rgb = TestPictures.gradients(size, size, 1);
            for (String[] format : new String[][] {{"png", "100"}, {"jpeg", "100"}, {"jpeg", "75"},
                    {"webp", "100"}, {"webp", "75"}}) {
                settings.add(new Setting(OutputFormat.of(format[0]).encoder(), format[0],
                        Integer.parseInt(format[1]), size, rgb, new ArrayList<>(), new ArrayList<>(), new int[1]));
            }
        }
        for (Setting setting : settings) {
            for (int run = 0; run < runs; run++) {
                setting.encode(false);
            }
        }
        for (int run = 0; run < runs; run++) {
            settings.forEach(setting -> setting.encode(true));
        }
        System.out.printf(Locale.ROOT, "encode, %d rounds, %s, %d cores%n", runs, Runtime.version(),
                Runtime.getRuntime().availableProcessors());
        for (Setting setting : settings) {
            System.out.printf(Locale.ROOT,
                    "%-5s %-4d %4dx%-4d  wall %8.2f ms  cpu %8.2f ms (least %8.2f ms)  %9d bytes%n",
                    setting.format(), setting.compression(), setting.size(), setting.size(),
                    median(setting.wall()) / 1e6, median(setting.cpu()) / 1e6,
                    setting.cpu().stream().mapToLong(Long::longValue).min().orElseThrow() / 1e6, setting.bytes()[0]);
        }
    }

    private static double median(List<Long> values) {
        long[] sorted = values.stream().mapToLong(Long::longValue).toArray();
        Arrays.sort(sorted);
        return sorted[sorted.length / 2];
    }
}
