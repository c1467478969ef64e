package dev.diffusion.worker;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.within;

import ai.djl.Device;
import dev.diffusion.jobs.GenerationSpec;
import dev.diffusion.jobs.InMemoryCancelRequests;
import dev.diffusion.jobs.InMemoryJobQueue;
import dev.diffusion.jobs.InMemoryJobStore;
import dev.diffusion.jobs.Job;
import dev.diffusion.jobs.JobEvent;
import dev.diffusion.jobs.JobImage;
import dev.diffusion.jobs.JobLeases;
import dev.diffusion.jobs.JobLedger;
import dev.diffusion.jobs.JobMetrics;
import dev.diffusion.jobs.JobQueue;
import dev.diffusion.jobs.JobService;
import dev.diffusion.jobs.JobStatus;
import dev.diffusion.jobs.LocalJobEvents;
import dev.diffusion.model.CallCost;
import dev.diffusion.model.IntraOpThreads;
import dev.diffusion.model.LoadedModel;
import dev.diffusion.model.ModelCosts;
import dev.diffusion.model.ModelFolder;
import dev.diffusion.pipeline.DiffusionPipeline;
import dev.diffusion.pipeline.ModelCallListener.Network;
import dev.diffusion.testing.SettableClock;
import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import java.awt.image.BufferedImage;
import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicReference;
import java.util.function.Consumer;
import javax.imageio.ImageIO;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/** The batcher and the worker's queue policy through the real pipeline on the random-weight test model. */
class StepBatcherTest {

    private static final String MODEL = "tiny";

    private static LoadedModel model;
    private static DiffusionPipeline pipeline;
    /** Images per UNet call, in call order. */
    private static final List<Integer> unetCalls = Collections.synchronizedList(new ArrayList<>());
    private static final AtomicInteger decodedImages = new AtomicInteger();
    /** Images per decoder call, in call order. */
    private static final List<Integer> decodeCalls = Collections.synchronizedList(new ArrayList<>());
    /** If set, every UNet call advances this clock by a millisecond per image: a call's time as the batcher sees it. */
    private static volatile SettableClock timedCalls;

    private final SettableClock clock = new SettableClock();
    private final AtomicBoolean aborting = new AtomicBoolean();
    /** The slowdowns the batcher published. */
    private final List<Double> paces = new ArrayList<>();
    private LocalJobEvents events;
    private Sides jobs;

    /** The API's side and the workers' side of one job store and queue. */
    private record Sides(JobService api, JobLeases leases) {
    }

    @BeforeAll
    static void load() {
        model = LoadedModel.load(ModelFolder.open(Path.of("src/test/resources/models/tiny")), Device.cpu());
        // as on a 2-core machine: a full batch runs on two libtorch threads, a job alone on one, and the image must
        // not change with that either
        pipeline = new DiffusionPipeline(model, (network, images, nanos) -> {
            if (network == Network.UNET) {
                unetCalls.add(images);
                SettableClock clock = timedCalls;
                if (clock != null) {
                    clock.advance(Duration.ofMillis(images));
                }
            } else if (network == Network.VAE_DECODER) {
                decodedImages.addAndGet(images);
                decodeCalls.add(images);
            }
        }, new IntraOpThreads(1, 2, 8));
    }

    @AfterAll
    static void close() {
        pipeline.close();
        model.close();
    }

    @BeforeEach
    void freshJobs() {
        events = new LocalJobEvents();
        jobs = newJobService();
        unetCalls.clear();
        timedCalls = null;
        decodedImages.set(0);
        decodeCalls.clear();
    }

    private Sides newJobService() {
        return newJobService(new InMemoryJobQueue(64, clock));
    }

    private Sides newJobService(JobQueue queue) {
        JobLedger ledger = new JobLedger(new InMemoryJobStore(), queue, events, new InMemoryCancelRequests(),
                new JobMetrics(new SimpleMeterRegistry(), queue, clock), clock, 3, List.of());
        return new Sides(new JobService(ledger), new JobLeases(ledger));
    }

    private StepBatcher batcher(Sides service, int maxBatchSize) {
        return batcher(service, maxBatchSize, 4, Map.of());
    }

    private StepBatcher batcher(Sides service, int maxBatchSize, Map<String, CallBudget> budgets) {
        return batcher(service, maxBatchSize, 4, budgets);
    }

    private StepBatcher batcher(Sides service, int maxBatchSize, int maxGroups, Map<String, CallBudget> budgets) {
        return new StepBatcher(Map.of(MODEL, pipeline), budgets, service.leases(), new EngineRequests(1 << 24),
                maxBatchSize, maxGroups, 2, Duration.ofSeconds(10), clock, aborting::get,
                new WorkerPace((model, slowdown) -> paces.add(slowdown), clock));
    }

    /**
     * A budget in which one UNet call of the test model's 64×64 images (a 16×16 latent) may hold {@code rows} rows
     * and one decoder call {@code images} images: each costs a megabyte a row or image.
     */
    private static Map<String, CallBudget> budgetOf(int rows, int images) {
        double perRow = 1e6 / (16 * 16);
        ModelCosts costs = new ModelCosts(new CallCost(0, perRow, 0), new CallCost(0, 0, 0),
                new CallCost(0, perRow * rows / images, 0), new CallCost(0, 0, 0));
        return Map.of(MODEL, new CallBudget(pipeline.index(), costs, (long) (rows * 1e6)));
    }

    private static GenerationSpec request(String prompt, String scheduler, long seed, int steps, double guidance,
            int images) {
        return sized(prompt, 64, scheduler, seed, steps, guidance, images);
    }

    private static GenerationSpec sized(String prompt, int width, String scheduler, long seed, int steps,
            double guidance, int images) {
        return GenerationSpec.builder().model(MODEL).prompt(prompt).width(width).height(64).steps(steps)
                .guidanceScale(guidance).scheduler(scheduler).seed(seed).numImages(images).build();
    }

    private String submit(Sides service, GenerationSpec spec) {
        return service.api().submit(spec, null).id();
    }

    private Job job(String id) {
        return jobs.api().find(id).orElseThrow();
    }

    private static void drain(StepBatcher batcher) {
        while (!batcher.isEmpty()) {
            batcher.step();
        }
    }

    /** The request's images when its job runs alone in its own service. */
    private List<JobImage> alone(GenerationSpec request) throws InterruptedException {
        Sides service = newJobService();
        StepBatcher batcher = batcher(service, 8);
        String id = submit(service, request);
        batcher.admit(service.leases().takeNext(Duration.ZERO).orElseThrow());
        drain(batcher);
        Job done = service.api().find(id).orElseThrow();
        assertThat(done.status()).isEqualTo(JobStatus.SUCCEEDED);
        return done.images();
    }

    @Test
    void anImageComesOutTheSameAloneAndInAFullBatchOfOtherJobs() throws Exception {
        GenerationSpec watched = request("a red circle on a blue background", "dpmpp_2m", 42, 6, 5.0, 2);
        List<GenerationSpec> mates = List.of(
                request("a green square", "euler_ancestral", 1, 9, 7.5, 1),
                request("a blue triangle", "ddim", 2, 4, 1.0, 1),
                request("a yellow circle", "heun", 3, 5, 3.0, 1),
                request("a white square", "unipc", 4, 12, 5.0, 1),
                request("a black triangle", "lms_karras", 5, 6, 2.0, 1),
                request("a purple circle", "dpmpp_2m_sde", 6, 7, 5.0, 1),
                request("an orange square", "euler", 7, 3, 9.0, 1));
        List<String> ids = new ArrayList<>();
        for (GenerationSpec mate : mates.subList(0, 3)) {
            ids.add(submit(jobs, mate));
        }
        String watchedId = submit(jobs, watched);
        for (GenerationSpec mate : mates.subList(3, mates.size())) {
            ids.add(submit(jobs, mate));
        }
        StepBatcher batcher = batcher(jobs, 8);
        for (int i = 0; i < 8; i++) {
            batcher.admit(jobs.leases().takeNextIf(batcher::fits).orElseThrow());
        }
        assertThat(batcher.fits(watched)).as("the group is full").isFalse();
        drain(batcher);

        assertThat(unetCalls.get(0)).as("images in the first call").isEqualTo(9);
        for (String id : ids) {
            assertThat(job(id).status()).isEqualTo(JobStatus.SUCCEEDED);
        }
        List<JobImage> batched = job(watchedId).images();
        List<JobImage> single = alone(watched);
        assertThat(batched).hasSize(2);
        for (int i = 0; i < 2; i++) {
            assertThat(maxLevelDifference(batched.get(i).data(), single.get(i).data())).isLessThanOrEqualTo(2);
        }
    }

    @Test
    void jobsJoinBetweenStepsAndLeaveWhenDoneWithTheirOwnProgressAndPreviews() throws Exception {
        GenerationSpec late = request("a blue triangle", "euler", 9, 3, 5.0, 1);
        String first = submit(jobs, request("a red circle", "ddim", 8, 4, 5.0, 1));
        StepBatcher batcher = batcher(jobs, 8);
        batcher.admit(jobs.leases().takeNext(Duration.ZERO).orElseThrow());
        batcher.step();
        batcher.step();
        String second = submit(jobs, late);
        assertThat(job(second).status()).isEqualTo(JobStatus.QUEUED);
        List<JobEvent> events = Collections.synchronizedList(new ArrayList<>());
        try (AutoCloseable listening = jobs.api().subscribe(second, events::add)) {
            batcher.admit(jobs.leases().takeNextIf(batcher::fits).orElseThrow());
            drain(batcher);
        }

        assertThat(unetCalls).containsExactly(1, 1, 2, 2, 1);
        assertThat(job(first).status()).isEqualTo(JobStatus.SUCCEEDED);
        assertThat(job(second).status()).isEqualTo(JobStatus.SUCCEEDED);
        List<JobEvent> progress = events.stream().filter(e -> e.type().equals(JobEvent.PROGRESS)).toList();
        assertThat(progress).extracting(JobEvent::step).containsExactly(1, 2, 3);
        // previews every 2 steps (this batcher's setting), none with the last step
        assertThat(progress).extracting(e -> e.preview() != null).containsExactly(false, true, false);
        assertThat(events.get(events.size() - 1).type()).isEqualTo("succeeded");
        assertThat(maxLevelDifference(job(second).images().get(0).data(), alone(late).get(0).data()))
                .as("a job that joins a running group comes out as alone").isLessThanOrEqualTo(2);
    }

    @Test
    void previewsAreMadeOnlyForJobsThatSomeoneWatches() throws Exception {
        String watched = submit(jobs, request("a red circle", "ddim", 1, 4, 5.0, 1));
        String awaited = submit(jobs, request("a blue square", "ddim", 2, 4, 5.0, 1));
        List<JobEvent> watchedEvents = Collections.synchronizedList(new ArrayList<>());
        List<JobEvent> awaitedEvents = Collections.synchronizedList(new ArrayList<>());
        StepBatcher batcher = batcher(jobs, 8);
        // an event stream watches; a plain listener (as a wait=true request) only hears
        try (AutoCloseable stream = jobs.api().subscribe(watched, watchedEvents::add);
                AutoCloseable waiting = events.subscribe(awaited, awaitedEvents::add)) {
            batcher.admit(jobs.leases().takeNext(Duration.ZERO).orElseThrow());
            batcher.admit(jobs.leases().takeNext(Duration.ZERO).orElseThrow());
            drain(batcher);
        }

        assertThat(previews(watchedEvents)).as("previews every 2 of 4 steps, none with the last")
                .containsExactly(false, true, false, false);
        assertThat(previews(awaitedEvents)).containsExactly(false, false, false, false);
        assertThat(decodedImages.get()).as("one preview and two final images").isEqualTo(3);
        assertThat(events.watched(watched)).as("watching ends with the stream").isFalse();
    }

    private static List<Boolean> previews(List<JobEvent> events) {
        return events.stream().filter(e -> e.type().equals(JobEvent.PROGRESS)).map(e -> e.preview() != null).toList();
    }

    @Test
    void aJobThatFailsEndsAloneAndItsBatchMatesFinishAsAlone() throws Exception {
        GenerationSpec healthy = request("a green square", "dpmpp_2m", 5, 4, 5.0, 1);
        String broken = submit(jobs, request("infinite guidance", "ddim", 1, 4, Double.POSITIVE_INFINITY, 1));
        String unknownScheduler = submit(jobs, request("no such sampler", "no_such_sampler", 2, 4, 5.0, 1));
        String fine = submit(jobs, healthy);
        StepBatcher batcher = batcher(jobs, 8);
        for (int i = 0; i < 3; i++) {
            batcher.admit(jobs.leases().takeNextIf(batcher::fits).orElseThrow());
        }
        drain(batcher);

        assertThat(job(unknownScheduler).status()).isEqualTo(JobStatus.FAILED);
        assertThat(job(unknownScheduler).error().title()).isEqualTo("Invalid generation request");
        assertThat(job(broken).status()).isEqualTo(JobStatus.FAILED);
        assertThat(job(broken).error().detail()).contains("NaN or infinite");
        assertThat(unetCalls).as("the broken job shared the first call, then left").containsExactly(2, 1, 1, 1);
        assertThat(job(fine).status()).isEqualTo(JobStatus.SUCCEEDED);
        assertThat(maxLevelDifference(job(fine).images().get(0).data(), alone(healthy).get(0).data()))
                .isLessThanOrEqualTo(2);
    }

    @Test
    void cancellationTimeoutAndShutdownEndOnlyTheJobsTheyConcern() throws Exception {
        String cancelled = submit(jobs, request("cancelled", "ddim", 1, 6, 5.0, 1));
        String timedOut = submit(jobs, request("timed out", "ddim", 2, 6, 5.0, 1));
        StepBatcher batcher = batcher(jobs, 8);
        batcher.admit(jobs.leases().takeNext(Duration.ZERO).orElseThrow());
        batcher.admit(jobs.leases().takeNext(Duration.ZERO).orElseThrow());
        clock.advance(Duration.ofSeconds(5));
        String aborted = submit(jobs, request("aborted", "ddim", 3, 6, 5.0, 1));
        batcher.admit(jobs.leases().takeNext(Duration.ZERO).orElseThrow());
        batcher.step();

        jobs.api().cancel(cancelled);
        batcher.step();
        assertThat(job(cancelled).status()).isEqualTo(JobStatus.CANCELLED);
        assertThat(job(cancelled).step()).isEqualTo(1);

        clock.advance(Duration.ofSeconds(6));  // past the 10 s limit of the jobs started 11 s ago, not the third
        batcher.step();
        assertThat(job(timedOut).status()).isEqualTo(JobStatus.FAILED);
        assertThat(job(timedOut).error().title()).isEqualTo("Job timed out");
        assertThat(job(aborted).status()).isEqualTo(JobStatus.RUNNING);
        assertThat(job(aborted).step()).isEqualTo(3);

        aborting.set(true);
        batcher.step();
        assertThat(job(aborted).status()).isEqualTo(JobStatus.FAILED);
        assertThat(job(aborted).error().title()).isEqualTo("Service shutting down");
        assertThat(batcher.isEmpty()).isTrue();
        assertThat(unetCalls).as("an ended job leaves before the next call").containsExactly(3, 2, 1);
    }

    @Test
    void noCallIsBuiltBeyondTheWorkersMemoryBudget() throws Exception {
        // four rows a UNet call (two guided images), two images a decoder call
        StepBatcher batcher = batcher(jobs, 8, budgetOf(4, 2));
        String first = submit(jobs, request("a red circle", "ddim", 1, 3, 5.0, 1));
        String second = submit(jobs, request("a blue square", "ddim", 2, 3, 5.0, 1));
        String third = submit(jobs, request("a green triangle", "ddim", 3, 3, 5.0, 2));
        String tooLarge = submit(jobs, request("three guided images", "ddim", 4, 3, 5.0, 3));
        while (batcher.hasRoom()) {
            Optional<Job> next = jobs.leases().takeNextIf(batcher::fits);
            if (next.isEmpty()) {
                break;
            }
            batcher.admit(next.get());
        }
        assertThat(job(third).status()).as("four more rows do not fit beside four").isEqualTo(JobStatus.QUEUED);
        drain(batcher);
        batcher.admit(jobs.leases().takeNext(Duration.ZERO).orElseThrow());
        drain(batcher);

        assertThat(unetCalls).as("images of each call: two jobs of one image, then the two-image job alone")
                .containsExactly(2, 2, 2, 2, 2, 2);
        assertThat(decodeCalls).as("previews and finished images two at a time").allMatch(images -> images <= 2);
        for (String id : List.of(first, second, third)) {
            assertThat(job(id).status()).isEqualTo(JobStatus.SUCCEEDED);
        }
        assertThat(job(third).images()).hasSize(2);
        batcher.admit(jobs.leases().takeNext(Duration.ZERO).orElseThrow());
        Job refused = job(tooLarge);
        assertThat(refused.status()).as("six rows do not fit even alone").isEqualTo(JobStatus.FAILED);
        assertThat(refused.error().detail()).contains("max-native-memory");
    }

    @Test
    void aJobOfAnotherSizeStartsAtTheNextStepInAGroupOfItsOwn() throws Exception {
        String running = submit(jobs, request("a long one", "ddim", 1, 12, 5.0, 1));
        String otherSize = submit(jobs, sized("wide", 96, "ddim", 2, 2, 5.0, 1));
        String sameSize = submit(jobs, request("joins the first group", "ddim", 3, 2, 5.0, 1));

        runWorker(batcher(jobs, 8, 4, Map.of()), running, otherSize, sameSize);

        assertThat(job(otherSize).finishedAt()).as("did not wait for the long job")
                .isBefore(job(running).finishedAt());
        assertThat(unetCalls).as("the first group's first call holds both its jobs").startsWith(2);
    }

    @Test
    void theGroupThatHasHadTheLeastTimeStepsNext() {
        timedCalls = clock;  // a call takes a millisecond per image
        String large = submit(jobs, request("four images", "ddim", 1, 6, 5.0, 4));
        String small = submit(jobs, sized("one image, another size", 96, "ddim", 2, 8, 5.0, 1));
        StepBatcher batcher = batcher(jobs, 8, 4, Map.of());
        batcher.admit(jobs.leases().takeNextIf(batcher::fits).orElseThrow());
        batcher.admit(jobs.leases().takeNextIf(batcher::fits).orElseThrow());
        drain(batcher);

        assertThat(job(large).status()).isEqualTo(JobStatus.SUCCEEDED);
        assertThat(job(small).status()).isEqualTo(JobStatus.SUCCEEDED);
        assertThat(unetCalls).as("four one-image steps for each four-image step, then the large group alone")
                .containsExactly(4, 1, 1, 1, 1, 4, 1, 1, 1, 1, 4, 4, 4, 4);
    }

    /** The batcher times each UNet call against its prediction for the group's rows, for admission to know. */
    @Test
    void eachCallIsTimedAgainstThePredictionForItsRows() {
        timedCalls = clock;  // a call takes a millisecond per image
        // 0.1 s a row of a 16×16 latent: four guided images are eight rows, 0.8 s, and take 4 ms
        ModelCosts costs = new ModelCosts(new CallCost(0, 0, 0), new CallCost(0, 0.1 / 256, 0),
                new CallCost(0, 0, 0), new CallCost(0, 0, 0));
        StepBatcher batcher = batcher(jobs, 8, 4, Map.of(MODEL, new CallBudget(pipeline.index(), costs, 1L << 40)));
        submit(jobs, request("four images", "ddim", 1, 3, 5.0, 4));
        batcher.admit(jobs.leases().takeNextIf(batcher::fits).orElseThrow());
        drain(batcher);

        assertThat(paces).as("published once, at the first call; the same pace after it").hasSize(1);
        assertThat(paces.get(0)).isCloseTo(0.004 / 0.8, within(1e-6));
    }

    @Test
    void withOneGroupAJobOfAnotherSizeWaitsQueuedUntilTheGroupDrainsAndLaterJobsDoNotOvertakeIt() throws Exception {
        String running = submit(jobs, request("a long one", "ddim", 1, 12, 5.0, 1));
        String otherSize = submit(jobs, sized("wide", 96, "ddim", 2, 2, 5.0, 1));
        String behind = submit(jobs, request("fits the first group", "ddim", 3, 2, 5.0, 1));

        runWorker(batcher(jobs, 8, 1, Map.of()), running, otherSize, behind);

        assertThat(job(otherSize).startedAt()).as("shown running only once it runs")
                .isAfterOrEqualTo(job(running).finishedAt());
        assertThat(job(behind).startedAt()).isAfterOrEqualTo(job(otherSize).startedAt());
        assertThat(unetCalls).as("every call holds one job: no job overtook the one of another size")
                .containsOnly(1);
    }

    @Test
    void jobsRunBetweenTheCallsOfTheWorkersFirstWork() throws Exception {
        String id = submit(jobs, request("a red circle", "ddim", 1, 4, 5.0, 1));
        AtomicReference<JobStatus> endOfFirstWork = new AtomicReference<>();
        Consumer<Runnable> firstWork = betweenCalls -> {
            long deadline = System.nanoTime() + Duration.ofMinutes(1).toNanos();
            while (!job(id).status().finished() && System.nanoTime() < deadline) {
                betweenCalls.run();
            }
            endOfFirstWork.set(job(id).status());
        };

        runWorker(batcher(jobs, 8), firstWork, id);

        assertThat(endOfFirstWork.get()).as("the job ended while the first work went on")
                .isEqualTo(JobStatus.SUCCEEDED);
    }

    /**
     * The worker's idle work (measuring a model again) begins once the worker has had no job for a while, and a job
     * that comes meanwhile runs to its end between two of its calls.
     */
    @Test
    void theWorkersIdleWorkWaitsForAnIdleWorkerAndLetsNewJobsRunFirst() throws Exception {
        String running = submit(jobs, request("a red circle", "ddim", 1, 6, 5.0, 1));
        StepBatcher batcher = batcher(jobs, 8);
        AtomicReference<Instant> idleWorkBegan = new AtomicReference<>();
        AtomicReference<JobStatus> laterAfterOneCall = new AtomicReference<>();
        Consumer<Runnable> idleWork = betweenCalls -> {
            if (idleWorkBegan.get() != null) {
                return;  // once is enough
            }
            idleWorkBegan.set(clock.instant());
            String later = submit(jobs, request("a blue square", "ddim", 2, 4, 5.0, 1));
            betweenCalls.run();
            laterAfterOneCall.set(job(later).status());
        };

        clock.useSystemTime();
        AtomicBoolean stopping = new AtomicBoolean();
        Thread thread = new Thread(new Worker("cpu", batcher, jobs.leases(), Duration.ofMillis(5), stopping::get,
                () -> { }, () -> { }, betweenCalls -> { }, idleWork), "test-worker");
        thread.start();
        long deadline = System.nanoTime() + Duration.ofMinutes(1).toNanos();
        while (laterAfterOneCall.get() == null && System.nanoTime() < deadline) {
            Thread.sleep(10);
        }
        stopping.set(true);
        thread.join(Duration.ofSeconds(10).toMillis());

        assertThat(job(running).status()).isEqualTo(JobStatus.SUCCEEDED);
        assertThat(idleWorkBegan.get()).as("a second after the running job ended")
                .isAfterOrEqualTo(job(running).finishedAt().plus(Worker.IDLE_WORK_AFTER));
        assertThat(laterAfterOneCall.get()).as("the job that came meanwhile ran all its steps at once")
                .isEqualTo(JobStatus.SUCCEEDED);
    }

    /** Runs a worker thread with {@code batcher} until the jobs have succeeded, then stops it. */
    private void runWorker(StepBatcher batcher, String... ids) throws InterruptedException {
        runWorker(batcher, betweenCalls -> { }, ids);
    }

    private void runWorker(StepBatcher batcher, Consumer<Runnable> firstWork, String... ids)
            throws InterruptedException {
        clock.useSystemTime();
        AtomicBoolean stopping = new AtomicBoolean();
        Thread thread = new Thread(new Worker("cpu", batcher, jobs.leases(), Duration.ofMillis(5), stopping::get,
                () -> { }, () -> { }, firstWork, betweenCalls -> { }), "test-worker");
        thread.start();
        try {
            for (String id : ids) {
                assertThat(jobs.api().await(id, Duration.ofMinutes(1)).orElseThrow().status())
                        .isEqualTo(JobStatus.SUCCEEDED);
            }
        } finally {
            stopping.set(true);
            thread.join(Duration.ofSeconds(10).toMillis());
        }
        assertThat(thread.isAlive()).isFalse();
    }

    @Test
    void aFailingQueueStopsNeitherTheWorkerNorItsRunningJob() throws Exception {
        clock.useSystemTime();
        FailingQueue queue = new FailingQueue(new InMemoryJobQueue(64, clock));
        jobs = newJobService(queue);
        String running = submit(jobs, request("a long one", "ddim", 1, 40, 5.0, 1));
        AtomicBoolean stopping = new AtomicBoolean();
        Thread thread = new Thread(new Worker("cpu", batcher(jobs, 8), jobs.leases(), Duration.ZERO, stopping::get,
                () -> { }, () -> { }, betweenCalls -> { }, betweenCalls -> { }), "test-worker");
        thread.start();
        try {
            while (job(running).status() != JobStatus.RUNNING) {
                Thread.sleep(1);
            }
            queue.failNext(5);  // the worker looks at the queue between steps: those looks now fail
            assertThat(jobs.api().await(running, Duration.ofMinutes(1)).orElseThrow().status())
                    .isEqualTo(JobStatus.SUCCEEDED);
            assertThat(queue.failed()).as("the queue failed while the job ran").isPositive();

            queue.failNext(3);  // and while the worker is idle
            String next = submit(jobs, request("after the failures", "ddim", 2, 2, 5.0, 1));
            assertThat(jobs.api().await(next, Duration.ofMinutes(1)).orElseThrow().status())
                    .isEqualTo(JobStatus.SUCCEEDED);
            assertThat(thread.isAlive()).isTrue();
        } finally {
            stopping.set(true);
            thread.join(Duration.ofSeconds(10).toMillis());
        }
    }

    /** A queue that fails its next few takes, as a queue on a lost Redis connection does. */
    private static final class FailingQueue implements JobQueue {

        private final JobQueue queue;
        private final AtomicInteger toFail = new AtomicInteger();
        private final AtomicInteger failed = new AtomicInteger();

        FailingQueue(JobQueue queue) {
            this.queue = queue;
        }

        void failNext(int count) {
            toFail.set(count);
        }

        int failed() {
            return failed.get();
        }

        private void maybeFail() {
            if (toFail.getAndUpdate(n -> Math.max(0, n - 1)) > 0) {
                failed.incrementAndGet();
                throw new IllegalStateException("queue unavailable");
            }
        }

        @Override
        public boolean offer(String jobId) {
            return queue.offer(jobId);
        }

        @Override
        public Optional<String> poll(Duration timeout) throws InterruptedException {
            maybeFail();
            return queue.poll(timeout);
        }

        @Override
        public Optional<String> peek() {
            maybeFail();
            return queue.peek();
        }

        @Override
        public boolean remove(String jobId) {
            return queue.remove(jobId);
        }

        @Override
        public void acknowledge(String jobId) {
            queue.acknowledge(jobId);
        }

        @Override
        public void release(String jobId) {
            queue.release(jobId);
        }

        @Override
        public boolean durable() {
            return queue.durable();
        }

        @Override
        public int position(String jobId) {
            return queue.position(jobId);
        }

        @Override
        public int depth() {
            return queue.depth();
        }

        @Override
        public Optional<Instant> oldestWaitingSince() {
            return queue.oldestWaitingSince();
        }

        @Override
        public int capacity() {
            return queue.capacity();
        }
    }

    /** The largest difference of any colour channel of any pixel, in levels 0..255. */
    private static int maxLevelDifference(byte[] pngA, byte[] pngB) {
        BufferedImage a = read(pngA);
        BufferedImage b = read(pngB);
        assertThat(b.getWidth()).isEqualTo(a.getWidth());
        assertThat(b.getHeight()).isEqualTo(a.getHeight());
        int max = 0;
        for (int y = 0; y < a.getHeight(); y++) {
            for (int x = 0; x < a.getWidth(); x++) {
                int pa = a.getRGB(x, y);
                int pb = b.getRGB(x, y);
                for (int shift = 0; shift < 24; shift += 8) {
                    max = Math.max(max, Math.abs(((pa >> shift) & 0xff) - ((pb >> shift) & 0xff)));
                }
            }
        }
        return max;
    }

    private static BufferedImage read(byte[] png) {
        try {
            return ImageIO.read(new ByteArrayInputStream(png));
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }
}
