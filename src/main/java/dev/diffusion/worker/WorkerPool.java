package dev.diffusion.worker;

import ai.djl.Device;
import dev.diffusion.catalog.CostLimitsProperties;
import dev.diffusion.catalog.FolderModelCatalog;
import dev.diffusion.catalog.MeasuredCosts;
import dev.diffusion.catalog.ModelCostBook;
import dev.diffusion.jobs.JobError;
import dev.diffusion.jobs.JobLeases;
import dev.diffusion.jobs.JobsProperties;
import dev.diffusion.model.Devices;
import dev.diffusion.model.IntraOpThreads;
import dev.diffusion.model.LoadedModel;
import dev.diffusion.model.MklCodePath;
import dev.diffusion.model.ModelCosts;
import dev.diffusion.model.ModelFolder;
import dev.diffusion.model.ModelIndex;
import dev.diffusion.model.NativeRuntime;
import dev.diffusion.pipeline.DiffusionPipeline;
import dev.diffusion.pipeline.GenerationRequest;
import dev.diffusion.pipeline.StepListener;
import io.micrometer.core.instrument.MeterRegistry;
import java.time.Clock;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;
import java.util.concurrent.CancellationException;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.function.Consumer;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.springframework.context.SmartLifecycle;

/**
 * One worker thread per device, each holding every served model on its device. Starts last (models loaded and
 * warmed before the application reports ready) and stops first: new jobs are refused, waiting ones end with a
 * "shutting down" reason, running ones get the grace period to finish.
 */
public class WorkerPool implements SmartLifecycle {

    private static final Logger log = LoggerFactory.getLogger(WorkerPool.class);

    /** How long running jobs get, after the grace period, to notice the abort at their next step. */
    private static final Duration ABORT_WAIT = Duration.ofSeconds(10);

    private final FolderModelCatalog catalog;
    private final JobLeases jobs;
    private final ModelCostBook costBook;
    private final EngineRequests engineRequests;
    private final WorkerProperties settings;
    private final BatchingProperties batching;
    private final JobsProperties jobSettings;
    private final CostLimitsProperties costLimits;
    private final CostMeasurements costMeasurements;
    private final WorkerMetrics metrics;
    private final Clock clock;
    private final AtomicInteger busy = new AtomicInteger();
    private final AtomicBoolean libtorchLogged = new AtomicBoolean();
    private final List<Thread> threads = new ArrayList<>();
    private final List<AutoCloseable> resources = new ArrayList<>();
    private volatile boolean running;
    private volatile boolean stopping;
    private volatile boolean aborting;

    /** The settings a pool works by. */
    record Settings(WorkerProperties workers, BatchingProperties batching, JobsProperties jobs,
            CostLimitsProperties costLimits) {
    }

    public WorkerPool(FolderModelCatalog catalog, JobLeases jobs, ModelCostBook costBook,
            EngineRequests engineRequests, Settings settings, MeterRegistry registry, Clock clock) {
        this.catalog = catalog;
        this.jobs = jobs;
        this.costBook = costBook;
        this.engineRequests = engineRequests;
        this.settings = settings.workers();
        this.batching = settings.batching();
        this.jobSettings = settings.jobs();
        this.costLimits = settings.costLimits();
        this.costMeasurements = new CostMeasurements(costLimits.costCacheDir());
        this.clock = clock;
        this.metrics = new WorkerMetrics(registry, busy);
        Duration sharedJob = costLimits.maxJobTime().multipliedBy(batching.maxGroups());
        if (sharedJob.compareTo(jobSettings.timeout()) > 0) {
            // fair sharing gives each of max-groups batches an equal part of the worker's time
            log.warn("diffusion.limits.max-job-time {} × diffusion.batching.max-groups {} is over diffusion.jobs.timeout"
                    + " {}: an admitted job that shares its worker with that many batches can time out",
                    costLimits.maxJobTime(), batching.maxGroups(), jobSettings.timeout());
        }
    }

    @Override
    public void start() {
        // a stopped pool may be started again (Spring restarts paused contexts): begin from a clean state
        stopping = false;
        aborting = false;
        threads.clear();
        jobs.acceptNewJobs();
        ShutdownWatchdog.arm(settings.shutdownGrace().plus(ABORT_WAIT));
        List<Device> devices = Devices.resolve(settings.devices());
        long budgetBytes = costLimits.budgetBytes(devices.size());
        for (Device device : devices) {
            Map<String, DiffusionPipeline> pipelines = new LinkedHashMap<>();
            Map<String, CallBudget> budgets = new ConcurrentHashMap<>();
            Map<String, ModelFolder> folders = new LinkedHashMap<>();
            for (ModelFolder folder : catalog.folders()) {
                pipelines.put(folder.name(), loadAndWarmUp(folder, device));
                folders.put(folder.name(), folder);
                metrics.costProbesOf(device, folder.name());
            }
            Map<String, MeasuredCosts> measured = new ConcurrentHashMap<>();
            Consumer<Runnable> measureCosts = betweenCalls -> pipelines.forEach((name, pipeline) ->
                    measureCosts(folders.get(name), pipeline, device, budgetBytes, budgets, betweenCalls)
                            .ifPresent(costs -> measured.put(name, costs)));
            // the API estimates job times by what this worker's calls take now, not only on the idle machine
            WorkerPace pace = new WorkerPace((name, slowdown) -> {
                MeasuredCosts costs = measured.computeIfPresent(name,
                        (key, old) -> old.withSlowdown(slowdown, clock.instant()));
                if (costs != null) {
                    costBook.record(name, costs);
                    log.info("model {} on {} runs {}× its measured speed now", name, device,
                            String.format(Locale.ROOT, "%.2f", 1 / slowdown));
                }
            }, clock);
            StepBatcher batcher = new StepBatcher(pipelines, budgets, jobs, engineRequests, batching.maxBatchSize(),
                    batching.maxGroups(), settings.previewEvery(), jobSettings.timeout(), clock, () -> aborting,
                    pace);
            // costs that the calls keep beating came from a slow spell of the machine: measured again when idle
            Consumer<Runnable> remeasure = betweenCalls -> pace.dueForMeasuring().ifPresent(name -> {
                boolean replaced = false;
                try {
                    replaced = measureAgain(folders.get(name), pipelines.get(name), device, budgets, measured,
                            betweenCalls);
                } finally {
                    pace.measuredAgain(name, replaced);  // also after a failure: not again at the next idle moment
                }
            });
            Worker worker = new Worker(device.toString(), batcher, jobs, batching.gatherWait(), () -> stopping,
                    busy::incrementAndGet, busy::decrementAndGet, measureCosts, remeasure);
            Thread thread = new Thread(worker, "worker-" + device);
            thread.start();
            threads.add(thread);
        }
        running = true;
    }

    /**
     * Measures what the model's calls cost on this device and publishes it with the worker's budget, on the worker's
     * own thread as its first work: the service is ready meanwhile, takes jobs of the model's own size and runs them
     * between the probe's calls ({@code betweenCalls}).
     */
    private Optional<MeasuredCosts> measureCosts(ModelFolder folder, DiffusionPipeline pipeline, Device device,
            long budgetBytes, Map<String, CallBudget> budgets, Runnable betweenCalls) {
        String name = folder.name();
        long began = System.nanoTime();
        Optional<ModelCosts> kept = costMeasurements.find(folder, device.toString(), budgetBytes, probeSettings());
        ModelCosts costs;
        if (kept.isPresent()) {
            costs = kept.get();
        } else {
            try {
                // a shutdown must not wait for the probe: it stops at its next call
                costs = new CostProbe(pipeline, probeCallSeconds(), probeWarmUpSeconds(), budgetBytes,
                        !device.isGpu(), betweenCalls).measure();
            } catch (CancellationException e) {
                log.info("measuring model {} on {} stopped: the service is shutting down", name, device);
                return Optional.empty();
            }
            costMeasurements.save(folder, device.toString(), budgetBytes, probeSettings(), costs);
            metrics.costProbe(device, name, "start", true, System.nanoTime() - began);
        }
        MeasuredCosts measured = publish(name, pipeline.index(), costs, budgetBytes, device, budgets);
        log.info("model {} {} on {} in {} ms: {}", name, kept.isPresent() ? "costs as measured at an earlier start"
                : "measured", device, TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - began), costs);
        return Optional.of(measured);
    }

    /**
     * Measures a model again, its calls having run well under their predicted times for a while (the costs came from
     * a probe in one of the machine's slow spells, now or at an earlier start), with every job that comes meanwhile
     * run to its end between the probe's calls. The new costs replace the old, here, for admission and in the cost
     * cache, if they predict the model's most common call (a guided image at its own size) at under
     * {@link WorkerPace#REMEASURE_BELOW} of the old: what a slow spell makes of a probe, where smaller differences are
     * its noise. True if they did.
     */
    private boolean measureAgain(ModelFolder folder, DiffusionPipeline pipeline, Device device,
            Map<String, CallBudget> budgets, Map<String, MeasuredCosts> measured, Runnable betweenCalls) {
        String name = folder.name();
        MeasuredCosts old = measured.get(name);
        if (old == null) {
            return false;
        }
        long began = System.nanoTime();
        ModelCosts costs = new CostProbe(pipeline, probeCallSeconds(), probeWarmUpSeconds(), old.budgetBytes(),
                !device.isGpu(), betweenCalls).measure();
        ModelIndex index = pipeline.index();
        double side = (double) index.sampleSize() / index.vaeScaleFactor();
        double area = side * side;
        double before = old.costs().unetSeconds().estimate(2, area);
        double now = costs.unetSeconds().estimate(2, area);
        long nanos = System.nanoTime() - began;
        long millis = TimeUnit.NANOSECONDS.toMillis(nanos);
        boolean lower = now < before * WorkerPace.REMEASURE_BELOW;
        metrics.costProbe(device, name, "calls_faster", lower, nanos);
        String call = String.format(Locale.ROOT, "a guided image's UNet call at its own size %.4f s, was %.4f s", now,
                before);
        if (!lower) {
            log.info("model {} measured again on {} in {} ms, its calls having run faster than measured: {}; not "
                    + "{}% lower, so the costs it had are kept", name, device, millis, call,
                    Math.round(100 * (1 - WorkerPace.REMEASURE_BELOW)));
            return false;
        }
        costMeasurements.save(folder, device.toString(), old.budgetBytes(), probeSettings(), costs);
        measured.put(name, publish(name, index, costs, old.budgetBytes(), device, budgets));
        log.info("model {} measured again on {} in {} ms, its calls having run faster than measured: {}; the new "
                + "costs replace the old: {}", name, device, millis, call, costs);
        return true;
    }

    /** A model's costs on this worker: to its batcher's budget and, with the worker's limits, to admission. */
    private MeasuredCosts publish(String name, ModelIndex index, ModelCosts costs, long budgetBytes, Device device,
            Map<String, CallBudget> budgets) {
        budgets.put(name, new CallBudget(index, costs, budgetBytes));
        MeasuredCosts measured = new MeasuredCosts(costs, budgetBytes, costLimits.maxJobTime().toMillis() / 1000.0,
                device.toString());
        costBook.record(name, measured);
        return measured;
    }

    /** The probe's settings and the pipelines' threads: part of what a kept measurement must match. */
    private String probeSettings() {
        return "max call " + probeCallSeconds() + " s, warm-up " + probeWarmUpSeconds() + " s, "
                + IntraOpThreads.forMachine(batching.parallelFromRows());
    }

    private double probeCallSeconds() {
        return costLimits.probeCallTime().toNanos() / 1e9;
    }

    private double probeWarmUpSeconds() {
        return costLimits.probeWarmUp().toNanos() / 1e9;
    }

    /**
     * Loads a model on a device and warms it up; should its fused attention fail the warm-up, it is loaded again as
     * exported (the fused form loaded but does not run on this model, which still runs, only slower).
     */
    private DiffusionPipeline loadAndWarmUp(ModelFolder folder, Device device) {
        long began = System.nanoTime();
        LoadedModel.Attention attention =
                settings.fusedAttention() ? LoadedModel.Attention.FUSED : LoadedModel.Attention.AS_EXPORTED;
        LoadedModel model = LoadedModel.load(folder, device, attention);
        DiffusionPipeline pipeline = newPipeline(model, device);
        try {
            warmUp(pipeline);
        } catch (RuntimeException e) {
            pipeline.close();
            model.close();
            if (attention == LoadedModel.Attention.AS_EXPORTED || model.loadNotes().isEmpty()) {
                throw e;  // nothing was fused: the model itself fails
            }
            log.warn("model {}: fused attention failed in the warm-up ({}); loading it as exported", folder.name(),
                    e.toString());
            model = LoadedModel.load(folder, device, LoadedModel.Attention.AS_EXPORTED);
            pipeline = newPipeline(model, device);
            warmUp(pipeline);
        }
        resources.add(model);
        resources.add(pipeline);
        List<String> notes = model.loadNotes();
        log.info("model {} loaded and warmed on {} in {} ms{}", folder.name(), device,
                TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - began),
                notes.isEmpty() ? "" : " (" + String.join("; ", notes) + ")");
        if (libtorchLogged.compareAndSet(false, true)) {
            String mkl = MklCodePath.apply();  // done when the first model loaded; this says what it did
            log.info("libtorch: ATen kernels {}{}", Objects.requireNonNullElse(NativeRuntime.atenKernels(), "unknown"),
                    mkl == null ? "" : "; " + mkl);
        }
        return pipeline;
    }

    private DiffusionPipeline newPipeline(LoadedModel model, Device device) {
        return new DiffusionPipeline(model, metrics.modelCalls(device),
                IntraOpThreads.forMachine(batching.parallelFromRows()));
    }

    /** The first calls of each network set up its kernels and memory; make them before the first user waits. */
    private static void warmUp(DiffusionPipeline pipeline) {
        ModelIndex index = pipeline.index();
        for (int run = 0; run < 2; run++) {
            pipeline.generate(GenerationRequest.txt2img("warm-up", "", index.sampleSize(), index.sampleSize(), 2,
                    index.defaultGuidanceScale(), index.defaultScheduler(), run, 1), StepListener.NONE);
        }
    }

    @Override
    public void stop(Runnable callback) {
        Thread stopper = new Thread(() -> {
            try {
                stopGracefully();
            } finally {
                callback.run();
            }
        }, "worker-shutdown");
        stopper.start();
    }

    @Override
    public void stop() {
        stopGracefully();
    }

    private void stopGracefully() {
        jobs.refuseNewJobs();
        stopping = true;
        try {
            int ended = jobs.failWaiting(new JobError("Service shutting down",
                    "the service shut down before the job started; submit it again"));
            log.info("shutting down: {} waiting jobs ended, waiting up to {} for running ones", ended,
                    settings.shutdownGrace());
            long deadline = System.nanoTime() + settings.shutdownGrace().toNanos();
            for (Thread thread : threads) {
                thread.join(Math.max(1, TimeUnit.NANOSECONDS.toMillis(deadline - System.nanoTime())));
            }
            aborting = true;
            for (Thread thread : threads) {
                thread.join(ABORT_WAIT.toMillis());
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
        if (threads.stream().anyMatch(Thread::isAlive)) {
            // a call that never returned: its models stay open (closing them under it would crash the process)
            log.error("a worker is still inside a network call {} after the grace period; its models are left open",
                    ABORT_WAIT);
        } else {
            closeResources();
        }
        running = false;
    }

    private void closeResources() {
        for (int i = resources.size() - 1; i >= 0; i--) {
            try {
                resources.get(i).close();
            } catch (Exception e) {
                log.warn("closing {} failed", resources.get(i), e);
            }
        }
        resources.clear();
    }

    @Override
    public boolean isRunning() {
        return running;
    }
}
