package dev.diffusion.webhooks;

import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.MeterRegistry;
import java.io.IOException;
import java.net.InetAddress;
import java.net.URI;
import java.net.UnknownHostException;
import java.nio.charset.StandardCharsets;
import java.security.SecureRandom;
import java.time.Clock;
import java.time.Duration;
import java.util.Base64;
import java.util.EnumMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.Executors;
import java.util.concurrent.RejectedExecutionException;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.ScheduledFuture;
import java.util.concurrent.ScheduledThreadPoolExecutor;
import java.util.concurrent.ThreadFactory;
import java.util.concurrent.ThreadLocalRandom;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import javax.net.ssl.SSLSocketFactory;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.springframework.context.SmartLifecycle;

/**
 * Sends webhooks: each delivery is stored in the {@link WebhookOutbox} before it is first tried and taken out once it
 * was delivered or dropped, so it is sent at least once, also across a crash when the outbox is in Redis. A job's
 * deliveries go one after the other in the order they were enqueued; different jobs' go in parallel on a bounded
 * pool. Network errors, 5xx and 429 answers are retried with exponential back-off and full jitter (a Retry-After is
 * waited for, within {@code max-backoff}), until {@code max-attempts} or {@code max-total-time}; then the delivery
 * is dropped with a WARN line. Other answers (3xx, 4xx) end it at once. Counts go to
 * {@code diffusion.webhooks.deliveries}, tagged with the outcome.
 *
 * <p>As a Spring lifecycle bean it stops after the workers and the web server (so the last jobs' deliveries are
 * enqueued by then) and before Redis's connection factory (phase 0): stopping ends the sends under way, within the
 * timeouts, and lets this instance's lines go for other instances while Redis still answers. A stopped instance
 * (Spring also stops the beans of a paused context) starts again where the outbox stands.
 */
public class Webhooks implements SmartLifecycle, AutoCloseable {

    public static final String METRIC = "diffusion.webhooks.deliveries";
    /** Stops after phases above it (workers, web server), before Redis's connection factory at 0. */
    public static final int PHASE = 1024;

    private static final Logger log = LoggerFactory.getLogger(Webhooks.class);
    private static final SecureRandom RANDOM = new SecureRandom();

    /** What became of an attempt, as the metric's {@code outcome} tag says it. */
    enum Outcome {
        /** The receiver answered 2xx. */
        DELIVERED,
        /** It failed in a way worth another try, and another was scheduled. */
        RETRIED,
        /** It failed for good, or ran out of attempts or time. */
        DROPPED,
        /** The target may not be sent to (allowed-hosts), or there is no secret to sign with. */
        REFUSED
    }

    private final WebhookProperties settings;
    private final WebhookAddressPolicy policy;
    private final WebhookOutbox outbox;
    private final WebhookTransport transport;
    private final WebhookSigner signer;
    private final Clock clock;
    private final ScheduledThreadPoolExecutor senders;
    private final ScheduledExecutorService timer;
    /** The lines this instance holds, with how many of its chains work on each (one, but for a moment two). */
    private final Map<String, Integer> held = new ConcurrentHashMap<>();
    private final Map<Outcome, Counter> outcomes = new EnumMap<>(Outcome.class);
    /** Attempts under way; stopping waits for them. */
    private final AtomicInteger sending = new AtomicInteger();
    private volatile ScheduledFuture<?> maintenance;
    private volatile boolean running;

    public Webhooks(WebhookProperties settings, WebhookOutbox outbox, MeterRegistry registry, Clock clock,
            SSLSocketFactory tls) {
        this.settings = settings;
        this.policy = new WebhookAddressPolicy(settings.allowedHosts());
        this.outbox = outbox;
        this.signer = settings.secret().isBlank() ? null : new WebhookSigner(settings.secret());
        this.clock = clock;
        this.senders = new ScheduledThreadPoolExecutor(settings.poolSize(), daemonThreads("webhook-sender-"));
        senders.setExecuteExistingDelayedTasksAfterShutdownPolicy(false);
        this.timer = Executors.newSingleThreadScheduledExecutor(daemonThreads("webhook-timer-"));
        this.transport = new WebhookTransport(settings.connectTimeout(), settings.readTimeout(), tls, timer, clock);
        for (Outcome outcome : Outcome.values()) {
            outcomes.put(outcome, Counter.builder(METRIC).description("Webhook delivery attempts by outcome")
                    .tag("outcome", outcome.name().toLowerCase(Locale.ROOT)).register(registry));
        }
    }

    /** Starts sending, and claiming the lines no live sender holds (its own after a restart, a dead one's). */
    @Override
    public void start() {
        running = true;
        long period = Math.max(1, settings.claimIdle().toMillis() / 3);
        maintenance = timer.scheduleWithFixedDelay(this::maintainLines, 0, period, TimeUnit.MILLISECONDS);
    }

    /**
     * Stops sending; what is not yet delivered stays in the outbox. Sends under way may finish within the timeouts;
     * then this instance's lines are let go for other instances (or for this one when it starts again).
     */
    @Override
    public void stop() {
        running = false;
        if (maintenance != null) {
            maintenance.cancel(false);
        }
        long deadline = System.nanoTime() + settings.connectTimeout().plus(settings.readTimeout()).toNanos();
        while (sending.get() > 0 && System.nanoTime() < deadline) {
            sleep(Duration.ofMillis(20));
        }
        try {
            outbox.release(List.copyOf(held.keySet()));
        } catch (RuntimeException e) {
            log.warn("could not let the webhook outbox's lines go; they lapse after claim-idle: {}", e.toString());
        }
        held.clear();
    }

    @Override
    public boolean isRunning() {
        return running;
    }

    @Override
    public int getPhase() {
        return PHASE;
    }

    /**
     * Checks at submission what a later delivery would refuse, so that the client hears of it with a 400: the URL's
     * form, that its host resolves and only to addresses that may be targets, and that there is a secret to sign
     * with. The check is made again at every attempt (DNS answers change).
     *
     * @param secret the API key's own secret, or null
     * @throws WebhookTargetException saying what is wrong, for the client
     */
    public URI checkTarget(String url, String secret) {
        if (signer == null && (secret == null || secret.isBlank())) {
            throw new WebhookTargetException("this server sends no webhooks: it has no signing secret");
        }
        URI target = policy.parse(url);
        try {
            policy.resolve(target);
        } catch (UnknownHostException e) {
            throw new WebhookTargetException("webhook host " + target.getHost() + " does not resolve");
        }
        return target;
    }

    /**
     * Stores the delivery and sends it when the job's earlier ones are done. Never throws: a delivery that cannot be
     * stored is dropped with a WARN line and counted.
     */
    public void enqueue(WebhookDelivery delivery) {
        PendingDelivery pending = new PendingDelivery(newMessageId(), delivery.jobId(), delivery.event(),
                delivery.url(), delivery.secret(), delivery.body(), clock.instant());
        try {
            if (outbox.append(pending)) {
                if (running) {
                    held.merge(pending.jobId(), 1, Integer::sum);
                    schedule(pending.jobId());
                } else {
                    outbox.release(List.of(pending.jobId())); // claimed when this instance, or another, runs
                }
            }
        } catch (RuntimeException e) {
            count(Outcome.DROPPED);
            log.warn("webhook {} dropped: it could not be stored ({})", describe(pending), e.toString());
        }
    }

    /** Stops, if running, and ends the threads for good. */
    @Override
    public void close() {
        if (running) {
            stop();
        }
        senders.shutdownNow();
        timer.shutdownNow();
    }

    private void maintainLines() {
        try {
            outbox.renew(List.copyOf(held.keySet()));
            for (String jobId : outbox.claimAbandoned()) {
                if (held.putIfAbsent(jobId, 1) == null) { // else a chain of ours is on it already
                    schedule(jobId);
                }
            }
        } catch (RuntimeException e) {
            log.warn("webhook outbox unavailable: {}", e.toString());
        }
    }

    private void schedule(String jobId) {
        try {
            senders.execute(() -> sendNext(jobId));
        } catch (RejectedExecutionException e) {
            stopChain(jobId); // closed: the line stays in the outbox
        }
    }

    /** The job's next delivery, if there is one; else the chain ends (and the outbox let the line go). */
    private void sendNext(String jobId) {
        if (!running) {
            return; // stop() lets the line go
        }
        Optional<PendingDelivery> next;
        try {
            next = outbox.first(jobId);
        } catch (RuntimeException e) {
            log.warn("webhook outbox unavailable for job {}: {}", jobId, e.toString());
            stopChain(jobId); // the hold lapses and a sender claims the line again
            return;
        }
        next.ifPresentOrElse(delivery -> attempt(delivery, 1), () -> stopChain(jobId));
    }

    private void attempt(PendingDelivery delivery, int attempt) {
        if (!running) {
            return; // stop() lets the line go; the delivery stays in it
        }
        Result result;
        sending.incrementAndGet();
        try {
            result = send(delivery);
        } finally {
            sending.decrementAndGet();
        }
        switch (result.outcome()) {
            case DELIVERED -> done(delivery, Outcome.DELIVERED);
            case REFUSED -> {
                log.warn("webhook {} refused: {}", describe(delivery), result.reason());
                done(delivery, Outcome.REFUSED);
            }
            case DROPPED -> drop(delivery, attempt, result.reason());
            case RETRIED -> {
                Duration wait = backoff(attempt, result.retryAfter());
                if (attempt >= settings.maxAttempts()) {
                    drop(delivery, attempt, result.reason() + "; no attempts left");
                } else if (clock.instant().plus(wait).isAfter(delivery.createdAt().plus(settings.maxTotalTime()))) {
                    drop(delivery, attempt, result.reason() + "; max-total-time reached");
                } else {
                    count(Outcome.RETRIED);
                    try {
                        senders.schedule(() -> attempt(delivery, attempt + 1), wait.toMillis(),
                                TimeUnit.MILLISECONDS);
                    } catch (RejectedExecutionException e) {
                        stopChain(delivery.jobId());
                    }
                }
            }
        }
    }

    private void drop(PendingDelivery delivery, int attempts, String reason) {
        log.warn("webhook {} dropped after {} attempt(s): {}", describe(delivery), attempts, reason);
        done(delivery, Outcome.DROPPED);
    }

    private void done(PendingDelivery delivery, Outcome outcome) {
        count(outcome);
        try {
            outbox.remove(delivery);
        } catch (RuntimeException e) {
            log.warn("webhook outbox unavailable for job {}: {}", delivery.jobId(), e.toString());
            stopChain(delivery.jobId());
            return;
        }
        schedule(delivery.jobId()); // a new task, so that one job's line does not keep a sender from the others
    }

    private void stopChain(String jobId) {
        held.computeIfPresent(jobId, (job, chains) -> chains > 1 ? chains - 1 : null);
    }

    /** One attempt, from the address check to the answer's status. */
    private Result send(PendingDelivery delivery) {
        try {
            URI target = policy.parse(delivery.url());
            List<InetAddress> addresses = policy.resolve(target);
            WebhookSigner keyed = delivery.secret() != null ? new WebhookSigner(delivery.secret()) : signer;
            if (keyed == null) {
                return Result.of(Outcome.REFUSED, "no secret to sign with");
            }
            long timestamp = clock.instant().getEpochSecond();
            Map<String, String> headers = new LinkedHashMap<>();
            headers.put("webhook-id", delivery.id());
            headers.put("webhook-timestamp", Long.toString(timestamp));
            headers.put("webhook-signature", keyed.sign(delivery.id(), timestamp, delivery.body()));
            WebhookTransport.Response response = transport.post(target, addresses, headers,
                    delivery.body().getBytes(StandardCharsets.UTF_8));
            int status = response.status();
            if (status >= 200 && status < 300) {
                return Result.of(Outcome.DELIVERED, null);
            }
            Outcome outcome = status == 429 || status >= 500 ? Outcome.RETRIED : Outcome.DROPPED;
            return new Result(outcome, "HTTP " + status, response.retryAfter());
        } catch (WebhookTargetException e) {
            return Result.of(Outcome.REFUSED, e.getMessage());
        } catch (IOException e) { // UnknownHostException included: DNS may answer next time
            return Result.of(Outcome.RETRIED, e.toString());
        } catch (IllegalArgumentException e) { // an API key's secret of the wrong form
            return Result.of(Outcome.REFUSED, e.getMessage());
        } catch (RuntimeException e) { // unforeseen: tried again, so that the job's line does not stall
            log.warn("webhook {} attempt failed unexpectedly", describe(delivery), e);
            return Result.of(Outcome.RETRIED, e.toString());
        }
    }

    /** Full jitter: a random wait up to the exponential bound; at least what Retry-After asks, within max-backoff. */
    private Duration backoff(int attempt, Duration retryAfter) {
        long bound = Math.min(settings.maxBackoff().toMillis(),
                settings.initialBackoff().toMillis() << Math.min(attempt - 1, 30));
        long wait = ThreadLocalRandom.current().nextLong(bound + 1);
        if (retryAfter != null) {
            wait = Math.max(wait, Math.min(retryAfter.toMillis(), settings.maxBackoff().toMillis()));
        }
        return Duration.ofMillis(wait);
    }

    private void count(Outcome outcome) {
        outcomes.get(outcome).increment();
    }

    /** For logs: never the body, the secret or the URL's path and query (they may hold tokens). */
    private static String describe(PendingDelivery delivery) {
        String to;
        try {
            URI target = URI.create(delivery.url());
            to = target.getScheme() + "://" + target.getHost() + (target.getPort() >= 0 ? ":" + target.getPort() : "");
        } catch (IllegalArgumentException e) {
            to = "an invalid URL";
        }
        return delivery.id() + " (job " + delivery.jobId() + ", " + delivery.event().id() + ", to " + to + ")";
    }

    private static void sleep(Duration duration) {
        try {
            Thread.sleep(duration.toMillis());
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }

    private static String newMessageId() {
        byte[] random = new byte[18];
        RANDOM.nextBytes(random);
        return "msg_" + Base64.getUrlEncoder().withoutPadding().encodeToString(random);
    }

    private static ThreadFactory daemonThreads(String prefix) {
        AtomicInteger count = new AtomicInteger();
        return task -> {
            Thread thread = new Thread(task, prefix + count.incrementAndGet());
            thread.setDaemon(true);
            return thread;
        };
    }

    private record Result(Outcome outcome, String reason, Duration retryAfter) {

        static Result of(Outcome outcome, String reason) {
            return new Result(outcome, reason, null);
        }
    }
}
