package dev.diffusion.worker;

import ai.djl.Device;
import dev.diffusion.jobs.JobMetrics;
import dev.diffusion.pipeline.ModelCallListener;
import io.micrometer.core.instrument.DistributionSummary;
import io.micrometer.core.instrument.Gauge;
import io.micrometer.core.instrument.MeterRegistry;
import io.micrometer.core.instrument.Timer;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * The workers' meters: {@code diffusion.workers.busy}; per device, {@code diffusion.model.call} by network (which tells
 * the time inside the networks from the loop's own), {@code diffusion.unet.step} by batch size and
 * {@code diffusion.batch.size}; per device and model, {@code diffusion.cost.probe} (the worker's time spent measuring).
 */
final class WorkerMetrics {

    private final MeterRegistry registry;

    WorkerMetrics(MeterRegistry registry, AtomicInteger busyWorkers) {
        this.registry = registry;
        Gauge.builder("diffusion.workers.busy", busyWorkers, AtomicInteger::get)
                .description("Workers running at least one job").register(registry);
    }

    /** A listener that times every network call of one device's pipelines. */
    ModelCallListener modelCalls(Device device) {
        String deviceTag = device.toString();
        DistributionSummary batchSizes = DistributionSummary.builder("diffusion.batch.size")
                .description("Images advanced by one UNet call").tag("device", deviceTag).register(registry);
        // meters are looked up once, not per call: a registry lookup per call was measurable against a step
        Map<ModelCallListener.Network, Timer> calls = new ConcurrentHashMap<>();
        Map<Integer, Timer> unetSteps = new ConcurrentHashMap<>();
        return (network, images, nanos) -> {
            calls.computeIfAbsent(network, called -> timer("diffusion.model.call",
                    "One call of a network (text encoder, UNet, VAE)", deviceTag)
                    .tag("network", called.folderName()).register(registry)).record(nanos, TimeUnit.NANOSECONDS);
            if (network == ModelCallListener.Network.UNET) {
                unetSteps.computeIfAbsent(images, size -> timer("diffusion.unet.step",
                        "One UNet call of the denoising loop", deviceTag).tag("batch_size", Integer.toString(size))
                        .register(registry)).record(nanos, TimeUnit.NANOSECONDS);
                batchSizes.record(images);
            }
        };
    }

    /**
     * One run of the cost probe: why it ran ({@code start}, or {@code calls_faster}: the calls kept beating the costs)
     * and whether its costs were {@code used} or {@code discarded} (no lower than those in use).
     */
    void costProbe(Device device, String model, String reason, boolean used, long nanos) {
        costProbeTimer(device, model, reason, used).record(nanos, TimeUnit.NANOSECONDS);
    }

    /** Publishes a model's probe timers at zero, so that a dashboard shows none run rather than no data. */
    void costProbesOf(Device device, String model) {
        costProbeTimer(device, model, "start", true);
        costProbeTimer(device, model, "calls_faster", true);
        costProbeTimer(device, model, "calls_faster", false);
    }

    private Timer costProbeTimer(Device device, String model, String reason, boolean used) {
        return timer("diffusion.cost.probe", "One run of the cost probe, which takes the worker's time between jobs",
                device.toString()).tag("model", model).tag("reason", reason).tag("costs", used ? "used" : "discarded")
                .register(registry);
    }

    private static Timer.Builder timer(String name, String description, String deviceTag) {
        return Timer.builder(name).description(description).tag("device", deviceTag)
                .publishPercentileHistogram().maximumExpectedValue(JobMetrics.MAX_EXPECTED);
    }
}
