package dev.diffusion.worker;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import ai.djl.Device;
import dev.diffusion.model.CallCost;
import dev.diffusion.model.IntraOpThreads;
import dev.diffusion.model.LoadedModel;
import dev.diffusion.model.ModelCosts;
import dev.diffusion.model.ModelFolder;
import dev.diffusion.model.NativeMemory;
import dev.diffusion.pipeline.DiffusionPipeline;
import dev.diffusion.pipeline.ModelCallListener;
import java.lang.management.ManagementFactory;
import java.lang.management.ThreadMXBean;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.CancellationException;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.stream.Stream;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.condition.EnabledOnOs;
import org.junit.jupiter.api.condition.OS;

/** The warm-up probe on the random-weight test model: what it measures, and that a shutdown stops it. */
class CostProbeTest {

    private static LoadedModel model;
    private static DiffusionPipeline pipeline;
    /** A whole probe, measured once for the tests that read it. */
    private static CostProbe probe;
    private static ModelCosts costs;
    /** The CPUs the test's thread could run on before the probe. */
    private static List<Integer> cpusBefore;
    /** The CPUs the probe's thread could run on before each measured call, in order (duplicates dropped). */
    private static final List<List<Integer>> cpusBetweenCalls = new ArrayList<>();

    @BeforeAll
    static void load() {
        model = LoadedModel.load(ModelFolder.open(Path.of("src/test/resources/models/tiny")), Device.cpu());
        pipeline = new DiffusionPipeline(model, (network, images, nanos) -> { }, new IntraOpThreads(1, 2, 8));
        // one row at side 32 takes about 5 ms, so 8 rows (or 4 images) are well within the call time on a slow vCPU too
        probe = new CostProbe(pipeline, 0.2, 1, 8L << 30, true, () -> {
            List<Integer> cpus = threadCpus();
            if (cpusBetweenCalls.isEmpty() || !cpusBetweenCalls.get(cpusBetweenCalls.size() - 1).equals(cpus)) {
                cpusBetweenCalls.add(cpus);
            }
        });
        cpusBefore = threadCpus();
        costs = probe.measure();
    }

    @AfterAll
    static void close() {
        pipeline.close();
        model.close();
    }

    @Test
    void largerCallsAreEstimatedToCostMoreAndEveryMeasuredCallIsPositive() {
        double own = 16 * 16;
        for (CallCost cost : List.of(costs.unetSeconds(), costs.vaeSeconds())) {
            assertThat(cost.estimate(1, own)).isPositive();
            assertThat(cost.estimate(1, 4 * own)).isGreaterThan(cost.estimate(1, own));
            assertThat(cost.estimate(4, own)).isGreaterThan(cost.estimate(1, own));
        }
        if (NativeMemory.resetPeak() && NativeMemory.peakBytes() > 0) {  // Linux: the resident peak can be read
            assertThat(costs.unetBytes().estimate(1, 4 * own)).isGreaterThan(costs.unetBytes().estimate(1, own));
            assertThat(costs.vaeBytes().estimate(1, 4 * own)).isPositive();
        }
    }

    @Test
    void batchesOfMidSizesAreMeasuredForBothNetworksWhereTheyFitTheCallTime() {
        int ownSide = 16;  // 64 px at a scale factor of 4
        Map<String, List<CallCost.Sample>> samples = probe.samples();
        assertThat(samples.get("unet seconds")).anySatisfy(sample -> {
            assertThat(sample.rows()).isEqualTo(8);
            assertThat(sample.area()).isEqualTo(4.0 * ownSide * ownSide);
        });
        for (int images : new int[] {2, 4}) {
            assertThat(samples.get("decoder seconds")).anySatisfy(sample -> {
                assertThat(sample.rows()).isEqualTo(images);
                assertThat(sample.area()).isEqualTo(4.0 * ownSide * ownSide);
            });
        }
        if (NativeMemory.resetPeak() && NativeMemory.peakBytes() > 0) {
            // times and memory of the same calls in the same order: the second timing pass replaced times, added none
            assertThat(samples.get("unet seconds")).extracting(CallCost.Sample::rows)
                    .isEqualTo(samples.get("unet bytes").stream().map(CallCost.Sample::rows).toList());
        }
        assertThat(samples.get("decoder seconds")).allSatisfy(sample -> assertThat(sample.value()).isPositive());
    }

    @Test
    @EnabledOnOs(OS.LINUX)
    void eachTimingPassRunsOnItsOwnCpu() {
        assumeTrue(cpusBefore.size() >= 2, "one CPU: both passes run on it");
        // the warm-up's calls run where the thread may, the first pass on the first CPU, the retimes on the second
        assertThat(cpusBetweenCalls).containsExactly(cpusBefore, List.of(cpusBefore.get(0)),
                List.of(cpusBefore.get(1)));
    }

    @Test
    @EnabledOnOs(OS.LINUX)
    void theProbeLeavesNoThreadOnFewerCpusThanItHad() throws IOException {
        // each timing pass keeps the calling thread on one CPU; afterwards it runs where it did, and libtorch's worker
        // threads, which take the affinity of the thread that starts them, were started before that
        assertThat(threadCpus()).isEqualTo(cpusBefore);
        Set<String> allowed = new HashSet<>();
        try (Stream<Path> tasks = Files.list(Path.of("/proc/self/task"))) {
            for (Path task : tasks.toList()) {
                try {
                    Files.readAllLines(task.resolve("status")).stream()
                            .filter(line -> line.startsWith("Cpus_allowed_list:")).forEach(allowed::add);
                } catch (NoSuchFileException e) {
                    // a thread that ended meanwhile
                }
            }
        }
        assertThat(allowed).as("every thread's CPUs").hasSize(1);
    }

    @Test
    void theSecondTimingPassKeepsTheShorterTimeOfEachCall() {
        // the first pass's timed runs are the third and fourth network calls after each betweenCalls (the first two set
        // up the shape and measure memory; a retime makes two, a warm-up one): 0.1 s of CPU burnt in them makes every
        // call the first pass times at least that slow, as a slow spell of the machine would
        AtomicInteger callsSinceBetween = new AtomicInteger();
        ModelCallListener slowFirstPass = (network, images, nanos) -> {
            if (network != ModelCallListener.Network.TEXT_ENCODER && callsSinceBetween.incrementAndGet() >= 3) {
                burnCpu(0.1);
            }
        };
        try (DiffusionPipeline slowed = new DiffusionPipeline(model, slowFirstPass, new IntraOpThreads(1, 2, 8))) {
            CostProbe retimed = new CostProbe(slowed, 0.11, 0.2, 8L << 30, true, () -> callsSinceBetween.set(0));
            retimed.measure();

            Map<String, List<CallCost.Sample>> samples = retimed.samples();
            assertThat(samples.get("unet seconds")).hasSizeGreaterThan(2);
            for (String fitted : List.of("unet seconds", "decoder seconds")) {
                assertThat(samples.get(fitted)).allSatisfy(sample -> assertThat(sample.value()).isLessThan(0.1));
            }
        }
    }

    /** The CPUs the calling thread may run on (none where that cannot be read). */
    private static List<Integer> threadCpus() {
        return CpuAffinity.current().map(CpuAffinity::cpus).orElse(List.of());
    }

    private static void burnCpu(double seconds) {
        ThreadMXBean threads = ManagementFactory.getThreadMXBean();
        long end = threads.getCurrentThreadCpuTime() + (long) (seconds * 1e9);
        while (threads.getCurrentThreadCpuTime() < end) {
            Thread.onSpinWait();
        }
    }

    @Test
    void whatRunsBetweenCallsCanStopTheProbeBeforeItsNextCall() {
        AtomicInteger asked = new AtomicInteger();
        CostProbe stopping = new CostProbe(pipeline, 0.05, 0.2, 8L << 30, true, () -> {
            if (asked.incrementAndGet() > 2) {
                throw new CancellationException("stopping");
            }
        });

        assertThatThrownBy(stopping::measure).isInstanceOf(CancellationException.class);
        assertThat(asked).hasValue(3);
    }
}
