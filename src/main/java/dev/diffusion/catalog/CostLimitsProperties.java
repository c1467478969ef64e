package dev.diffusion.catalog;

import com.sun.management.OperatingSystemMXBean;
import jakarta.validation.constraints.NotNull;
import java.lang.management.ManagementFactory;
import java.nio.file.Path;
import java.time.Duration;
import org.springframework.boot.context.properties.ConfigurationProperties;
import org.springframework.boot.context.properties.bind.DefaultValue;
import org.springframework.util.unit.DataSize;
import org.springframework.validation.annotation.Validated;

/**
 * {@code diffusion.limits.*} that bound a job by what it costs on a worker, as measured for each model.
 *
 * @param maxNativeMemory native memory one worker may spend on one network call beyond what it holds anyway; unset:
 *                        half of the machine's memory left beside the Java heap, shared by the workers
 * @param maxJobTime      the longest a job's estimated time may be on the worker
 * @param costCacheDir    where workers keep what they measured, reused at the next start on the same machine with
 *                        the same model files and settings; unset: every start measures
 * @param probeCallTime   a probe call that takes longer than this ends the probe's growing sizes: costs beyond are
 *                        extrapolated by the fitted model
 * @param probeWarmUp     the most time the probe spends on warm-up calls of each network before it measures, so that
 *                        the JIT has compiled the code around a call (at most 1500 calls)
 */
@Validated
@ConfigurationProperties("diffusion.limits")
public record CostLimitsProperties(DataSize maxNativeMemory, @NotNull @DefaultValue("2m") Duration maxJobTime,
        Path costCacheDir, @NotNull @DefaultValue("500ms") Duration probeCallTime,
        @NotNull @DefaultValue("6s") Duration probeWarmUp) {

    /** The memory budget of one of {@code workers} workers of this process, in bytes. */
    public long budgetBytes(int workers) {
        if (maxNativeMemory != null) {
            return maxNativeMemory.toBytes();
        }
        long machine = ((OperatingSystemMXBean) ManagementFactory.getOperatingSystemMXBean()).getTotalMemorySize();
        long besideHeap = Math.max(0, machine - Runtime.getRuntime().maxMemory());
        return besideHeap / 2 / Math.max(1, workers);
    }
}
