package dev.diffusion.jobs.redis;

import dev.diffusion.jobs.JobQueue;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import java.util.function.Supplier;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.springframework.data.redis.connection.stream.Consumer;
import org.springframework.data.redis.connection.stream.MapRecord;
import org.springframework.data.redis.connection.stream.ReadOffset;
import org.springframework.data.redis.connection.stream.StreamOffset;
import org.springframework.data.redis.connection.stream.StreamReadOptions;
import org.springframework.data.redis.core.RedisCallback;
import org.springframework.data.redis.core.StringRedisTemplate;
import org.springframework.data.redis.core.script.RedisScript;

/**
 * The queue as a Redis Stream read by one consumer group that all workers share. Each entry holds a job id; an entry
 * read by a worker stays pending for it until the job's outcome is stored ({@link #acknowledge}), and the worker
 * renews its pending entries regularly. An entry left idle longer than {@code claimIdle} — its worker died — is
 * claimed (XAUTOCLAIM) by the next worker that looks for work, which runs the job again. Acknowledged entries are
 * deleted, so waiting jobs = stream length − pending entries.
 */
public class RedisJobQueue implements JobQueue, AutoCloseable {

    private static final Logger log = LoggerFactory.getLogger(RedisJobQueue.class);
    private static final String JOB_FIELD = "job";

    /** The group's last delivered entry id, as local {@code last} (nil if the group is missing). */
    private static final String LAST_DELIVERED = """
            local last = nil
            for _, group in ipairs(redis.call('XINFO', 'GROUPS', KEYS[1])) do
              local name, id
              for i = 1, #group, 2 do
                if group[i] == 'name' then name = group[i + 1] end
                if group[i] == 'last-delivered-id' then id = group[i + 1] end
              end
              if name == ARGV[1] then last = id end
            end
            """;
    /** Adds ARGV[3] unless ARGV[2] jobs already wait; 1 if added. */
    private static final RedisScript<Long> OFFER = RedisScript.of("""
            local waiting = redis.call('XLEN', KEYS[1]) - redis.call('XPENDING', KEYS[1], ARGV[1])[1]
            if waiting >= tonumber(ARGV[2]) then return 0 end
            redis.call('XADD', KEYS[1], '*', 'job', ARGV[3])
            return 1
            """, Long.class);
    private static final RedisScript<Long> DEPTH = RedisScript.of("""
            return redis.call('XLEN', KEYS[1]) - redis.call('XPENDING', KEYS[1], ARGV[1])[1]
            """, Long.class);
    /** Position of job ARGV[2] among the first ARGV[3] undelivered entries, or -1. */
    private static final RedisScript<Long> POSITION = RedisScript.of(LAST_DELIVERED + """
            if not last then return -1 end
            local entries = redis.call('XRANGE', KEYS[1], '(' .. last, '+', 'COUNT', ARGV[3])
            for i, entry in ipairs(entries) do
              if entry[2][2] == ARGV[2] then return i - 1 end
            end
            return -1
            """, Long.class);
    /** The id of the oldest undelivered entry ('' if none): its first part is the time it was added, in ms. */
    private static final RedisScript<String> OLDEST = RedisScript.of(LAST_DELIVERED + """
            if not last then return '' end
            local entries = redis.call('XRANGE', KEYS[1], '(' .. last, '+', 'COUNT', 1)
            if #entries == 0 then return '' end
            return entries[1][1]
            """, String.class);
    /**
     * Claims one entry idle for ARGV[3] ms; returns {entry id, job id, times delivered}, or {} (deleted entries are
     * acknowledged).
     */
    @SuppressWarnings("rawtypes")
    private static final RedisScript<List> CLAIM_ABANDONED = RedisScript.of("""
            local reply = redis.call('XAUTOCLAIM', KEYS[1], ARGV[1], ARGV[2], ARGV[3], '0-0', 'COUNT', 1)
            for _, entry in ipairs(reply[2]) do
              if entry[2] then
                local pending = redis.call('XPENDING', KEYS[1], ARGV[1], entry[1], entry[1], 1)
                return {entry[1], entry[2][2], pending[1][4]}
              end
              redis.call('XACK', KEYS[1], ARGV[1], entry[1])
            end
            return {}
            """, List.class);
    /**
     * Hands entry ARGV[3] over at once: idle as if abandoned, and its delivery count ARGV[4] put back to what it was
     * before this worker took it, so that a graceful hand-over is not counted as a lost worker.
     */
    private static final RedisScript<Long> HAND_OVER = RedisScript.of("""
            redis.call('XCLAIM', KEYS[1], ARGV[1], ARGV[2], 0, ARGV[3], 'IDLE', ARGV[5], 'RETRYCOUNT', ARGV[4],
                'JUSTID')
            return 1
            """, Long.class);
    /** Renews the idle time of those of ARGV[3..] still pending for consumer ARGV[2]; returns the ids renewed. */
    @SuppressWarnings("rawtypes")
    private static final RedisScript<List> RENEW = RedisScript.of("""
            local mine = {}
            for _, p in ipairs(redis.call('XPENDING', KEYS[1], ARGV[1], '-', '+', 10000, ARGV[2])) do
              mine[p[1]] = true
            end
            local ids = {}
            for i = 3, #ARGV do
              if mine[ARGV[i]] then table.insert(ids, ARGV[i]) end
            end
            if #ids > 0 then
              local claim = {'XCLAIM', KEYS[1], ARGV[1], ARGV[2], 0}
              for _, id in ipairs(ids) do table.insert(claim, id) end
              table.insert(claim, 'JUSTID')
              redis.call(unpack(claim))
            end
            return ids
            """, List.class);
    private static final RedisScript<Long> ACKNOWLEDGE = RedisScript.of("""
            redis.call('XACK', KEYS[1], ARGV[1], ARGV[2])
            return redis.call('XDEL', KEYS[1], ARGV[2])
            """, Long.class);

    private final StringRedisTemplate redis;
    private final RedisQueueProperties settings;
    private final String consumer;
    private final int capacity;
    /** Jobs this process read and has not yet acknowledged or released: job id → stream entry id. */
    private final Map<String, String> taken = new ConcurrentHashMap<>();
    /** How many times each job in {@link #taken} has been delivered, its delivery to this process included. */
    private final Map<String, Integer> delivered = new ConcurrentHashMap<>();
    private final ScheduledExecutorService renewer;
    /** A job read by {@link #peek} and not yet taken out; only the worker thread uses it. */
    private volatile String held;
    private final Duration claimCheckEvery;
    private long lastClaimCheck = System.nanoTime() - TimeUnit.DAYS.toNanos(1);

    RedisJobQueue(StringRedisTemplate redis, RedisQueueProperties settings, String consumer, int capacity) {
        this.redis = redis;
        this.settings = settings;
        this.consumer = consumer;
        this.capacity = capacity;
        this.claimCheckEvery = Duration.ofMillis(Math.min(1000, settings.claimIdle().toMillis() / 3));
        createGroup();
        this.renewer = Executors.newSingleThreadScheduledExecutor(runnable -> {
            Thread thread = new Thread(runnable, "redis-queue-renewer");
            thread.setDaemon(true);
            return thread;
        });
        long every = Math.max(1, settings.claimIdle().toMillis() / 3);
        renewer.scheduleWithFixedDelay(this::renewTaken, every, every, TimeUnit.MILLISECONDS);
    }

    String consumer() {
        return consumer;
    }

    @Override
    public boolean offer(String jobId) {
        Long added = withGroup(() -> redis.execute(OFFER, List.of(stream()), group(), Integer.toString(capacity),
                jobId));
        return added != null && added == 1;
    }

    @Override
    public Optional<String> poll(Duration timeout) {
        String peeked = held;
        if (peeked != null) {
            held = null;
            return Optional.of(peeked);
        }
        Optional<String> abandoned = claimAbandoned();
        return abandoned.isPresent() ? abandoned : read(timeout);
    }

    /** Also takes over abandoned jobs, so that a busy worker picks them up between its steps, not only when idle. */
    @Override
    public Optional<String> peek() {
        if (held == null) {
            Optional<String> next = claimAbandoned();
            (next.isPresent() ? next : read(Duration.ZERO)).ifPresent(jobId -> held = jobId);
        }
        return Optional.ofNullable(held);
    }

    /** Only a job this process holds can be taken out; a cancelled waiting job is skipped when a worker reads it. */
    @Override
    public boolean remove(String jobId) {
        if (jobId.equals(held)) {
            held = null;
            return true;
        }
        return false;
    }

    @Override
    public void acknowledge(String jobId) {
        forget(jobId);
        delivered.remove(jobId);
        String entry = taken.remove(jobId);
        if (entry != null) {
            redis.execute(ACKNOWLEDGE, List.of(stream()), group(), entry);
        }
    }

    /** Stops renewing the job and makes it claimable at once by another worker, as not delivered here. */
    @Override
    public void release(String jobId) {
        forget(jobId);
        String entry = taken.remove(jobId);
        Integer deliveries = delivered.remove(jobId);
        if (entry != null) {
            redis.execute(HAND_OVER, List.of(stream()), group(), consumer, entry,
                    Integer.toString(Math.max(0, (deliveries == null ? 1 : deliveries) - 1)),
                    Long.toString(settings.claimIdle().toMillis()));
        }
    }

    @Override
    public int deliveries(String jobId) {
        return delivered.getOrDefault(jobId, 1);
    }

    @Override
    public boolean durable() {
        return true;
    }

    @Override
    public int position(String jobId) {
        Long position = redis.execute(POSITION, List.of(stream()), group(), jobId, Integer.toString(capacity));
        return position == null ? -1 : position.intValue();
    }

    @Override
    public int depth() {
        Long depth = withGroup(() -> redis.execute(DEPTH, List.of(stream()), group()));
        return depth == null ? 0 : depth.intValue();
    }

    @Override
    public Optional<Instant> oldestWaitingSince() {
        String entry = redis.execute(OLDEST, List.of(stream()), group());
        if (entry == null || entry.isEmpty()) {
            return Optional.empty();
        }
        return Optional.of(Instant.ofEpochMilli(Long.parseLong(entry.substring(0, entry.indexOf('-')))));
    }

    @Override
    public int capacity() {
        return capacity;
    }

    /** Stops renewing; this process's unacknowledged jobs are then claimed by other workers. */
    @Override
    public void close() {
        renewer.shutdownNow();
    }

    private Optional<String> read(Duration timeout) {
        StreamReadOptions options = StreamReadOptions.empty().count(1);
        if (!timeout.isZero()) {
            options = options.block(timeout);
        }
        StreamReadOptions readOptions = options;
        List<MapRecord<String, Object, Object>> records = withGroup(() -> redis.opsForStream().read(
                Consumer.from(group(), consumer), readOptions, StreamOffset.create(stream(), ReadOffset.lastConsumed())));
        if (records == null || records.isEmpty()) {
            return Optional.empty();
        }
        MapRecord<String, Object, Object> record = records.get(0);
        String jobId = String.valueOf(record.getValue().get(JOB_FIELD));
        taken.put(jobId, record.getId().getValue());
        delivered.put(jobId, 1);
        return Optional.of(jobId);
    }

    /** Looks for abandoned jobs at most every {@link #claimCheckEvery}: a busy worker peeks at every step. */
    @SuppressWarnings("unchecked")
    private Optional<String> claimAbandoned() {
        long now = System.nanoTime();
        if (now - lastClaimCheck < claimCheckEvery.toNanos()) {
            return Optional.empty();
        }
        lastClaimCheck = now;
        List<Object> claimed = withGroup(() -> redis.execute(CLAIM_ABANDONED, List.of(stream()), group(), consumer,
                Long.toString(settings.claimIdle().toMillis())));
        if (claimed == null || claimed.size() < 2) {
            return Optional.empty();
        }
        String jobId = String.valueOf(claimed.get(1));
        int deliveries = ((Number) claimed.get(2)).intValue();
        taken.put(jobId, String.valueOf(claimed.get(0)));
        delivered.put(jobId, deliveries);
        log.info("took over job {} from a worker that stopped renewing it (delivery {})", jobId, deliveries);
        return Optional.of(jobId);
    }

    /** Keeps this process's jobs from looking abandoned; drops those another worker has claimed meanwhile. */
    @SuppressWarnings("unchecked")
    private void renewTaken() {
        try {
            Map<String, String> snapshot = Map.copyOf(taken);
            if (snapshot.isEmpty()) {
                return;
            }
            List<String> args = new ArrayList<>(List.of(group(), consumer));
            args.addAll(snapshot.values());
            List<Object> renewed = redis.execute(RENEW, List.of(stream()), args.toArray());
            HashSet<Object> stillMine = new HashSet<>(renewed == null ? List.of() : renewed);
            snapshot.forEach((jobId, entry) -> {
                if (!stillMine.contains(entry)) {
                    taken.remove(jobId, entry);
                }
            });
        } catch (RuntimeException e) {
            log.warn("could not renew the jobs this worker holds: {}", e.toString());
        }
    }

    private void forget(String jobId) {
        if (jobId.equals(held)) {
            held = null;
        }
    }

    /** Runs a stream command; if the stream or its group was deleted (NOGROUP), creates them and tries once more. */
    private <T> T withGroup(Supplier<T> command) {
        try {
            return command.get();
        } catch (RuntimeException e) {
            if (!String.valueOf(rootMessage(e)).contains("NOGROUP")) {
                throw e;
            }
            log.warn("the job stream or its consumer group was missing; created again");
            createGroup();
            return command.get();
        }
    }

    private void createGroup() {
        try {
            redis.execute((RedisCallback<Object>) connection ->
                    connection.execute("XGROUP", bytes("CREATE"), bytes(stream()), bytes(group()), bytes("0"),
                            bytes("MKSTREAM")));
        } catch (RuntimeException e) {
            if (!String.valueOf(rootMessage(e)).contains("BUSYGROUP")) {
                throw e;
            }
        }
    }

    private static String rootMessage(Throwable e) {
        Throwable cause = e;
        while (cause.getCause() != null) {
            cause = cause.getCause();
        }
        return cause.getMessage();
    }

    private static byte[] bytes(String text) {
        return text.getBytes(StandardCharsets.UTF_8);
    }

    private String stream() {
        return settings.streamKey();
    }

    private String group() {
        return settings.consumerGroup();
    }
}
