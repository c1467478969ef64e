package dev.diffusion.jobs;

import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.ConcurrentHashMap;

/** Idempotency records in this process's memory, each dropped when its time is up. */
public class InMemoryIdempotencyRecords implements IdempotencyRecords {

    private record Entry(Record record, Instant expires) {
    }

    private final Map<String, Entry> entries = new ConcurrentHashMap<>();
    private final Duration ttl;
    private final Duration claimTtl;
    private final Clock clock;
    private volatile Instant nextSweep = Instant.MIN;

    /**
     * @param ttl      how long a key holds the job it made
     * @param claimTtl how long a claim holds the key before it is completed
     */
    public InMemoryIdempotencyRecords(Duration ttl, Duration claimTtl, Clock clock) {
        this.ttl = ttl;
        this.claimTtl = claimTtl;
        this.clock = clock;
    }

    @Override
    public Optional<Record> claim(String owner, String key, String requestHash) {
        Instant now = clock.instant();
        sweep(now);
        Entry claimed = new Entry(new Record(requestHash, null), now.plus(claimTtl));
        Entry current = entries.compute(id(owner, key), (id, entry) -> entry == null || !entry.expires().isAfter(now)
                ? claimed : entry);
        return current == claimed ? Optional.empty() : Optional.of(current.record());
    }

    @Override
    public void complete(String owner, String key, String requestHash, String jobId) {
        entries.computeIfPresent(id(owner, key), (id, entry) -> isClaimOf(entry, requestHash)
                ? new Entry(new Record(requestHash, jobId), clock.instant().plus(ttl)) : entry);
    }

    @Override
    public void release(String owner, String key, String requestHash) {
        entries.computeIfPresent(id(owner, key), (id, entry) -> isClaimOf(entry, requestHash) ? null : entry);
    }

    private static boolean isClaimOf(Entry entry, String requestHash) {
        return entry.record().jobId() == null && entry.record().requestHash().equals(requestHash);
    }

    /** Drops expired entries, at most once a minute. */
    private void sweep(Instant now) {
        if (now.isAfter(nextSweep)) {
            nextSweep = now.plusSeconds(60);
            entries.values().removeIf(entry -> !entry.expires().isAfter(now));
        }
    }

    private static String id(String owner, String key) {
        return FinishedJobLimits.ownerKey(owner) + "\n" + key;
    }
}
