package dev.diffusion.jobs;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.function.BiFunction;

/**
 * What every store of Idempotency-Key records does: one claim wins, also among requests racing for the key; the key
 * then holds the request's hash and, once completed, its job; keys are per owner; a released or lapsed claim frees
 * the key, a completed one does not lapse with the claim's time.
 */
public final class IdempotencyRecordsContract {

    private IdempotencyRecordsContract() {
    }

    /** @param records makes records with (time-to-live, claim time-to-live) */
    public static void check(BiFunction<Duration, Duration, IdempotencyRecords> records) throws Exception {
        IdempotencyRecords store = records.apply(Duration.ofHours(24), Duration.ofMillis(500));
        String alice = "alice-" + System.nanoTime();
        String bob = "bob-" + System.nanoTime();

        assertThat(store.claim(alice, "key-1", "hash-a")).isEmpty();
        assertThat(store.claim(alice, "key-1", "hash-a")).as("claimed, no job yet")
                .contains(new IdempotencyRecords.Record("hash-a", null));
        assertThat(store.claim(bob, "key-1", "hash-b")).as("another owner's key of the same name").isEmpty();
        assertThat(store.claim(null, "key-1", "hash-c")).as("no owner (keys off) is an owner of its own").isEmpty();

        store.complete(alice, "key-1", "hash-other", "job-x");
        assertThat(store.claim(alice, "key-1", "hash-a")).as("only the claiming request completes")
                .contains(new IdempotencyRecords.Record("hash-a", null));
        store.complete(alice, "key-1", "hash-a", "job-1");
        assertThat(store.claim(alice, "key-1", "hash-z")).contains(new IdempotencyRecords.Record("hash-a", "job-1"));
        store.release(alice, "key-1", "hash-a");
        assertThat(store.claim(alice, "key-1", "hash-a")).as("a completed key is not released")
                .contains(new IdempotencyRecords.Record("hash-a", "job-1"));

        store.release(bob, "key-1", "hash-b");
        assertThat(store.claim(bob, "key-1", "hash-d")).as("a released claim frees the key").isEmpty();

        assertThat(store.claim(alice, "key-lapsing", "hash-a")).isEmpty();
        await().atMost(Duration.ofSeconds(5)).until(() -> store.claim(alice, "key-lapsing", "hash-e").isEmpty());
        store.complete(alice, "key-lapsing", "hash-e", "job-2");
        Thread.sleep(1000);
        assertThat(store.claim(alice, "key-lapsing", "hash-f")).as("completed: kept past the claim's time")
                .contains(new IdempotencyRecords.Record("hash-e", "job-2"));

        IdempotencyRecords shortLived = records.apply(Duration.ofMillis(300), Duration.ofMillis(300));
        assertThat(shortLived.claim(alice, "key-short", "hash-a")).isEmpty();
        shortLived.complete(alice, "key-short", "hash-a", "job-3");
        await().atMost(Duration.ofSeconds(5)).until(() -> shortLived.claim(alice, "key-short", "hash-g").isEmpty());

        racingClaimsHaveOneWinner(store, alice);
    }

    private static void racingClaimsHaveOneWinner(IdempotencyRecords store, String owner) throws Exception {
        int racers = 16;
        ExecutorService threads = Executors.newFixedThreadPool(racers);
        try {
            for (int round = 0; round < 20; round++) {
                String key = "race-" + round;
                CountDownLatch start = new CountDownLatch(1);
                List<Future<Optional<IdempotencyRecords.Record>>> claims = new ArrayList<>();
                for (int i = 0; i < racers; i++) {
                    claims.add(threads.submit(() -> {
                        start.await();
                        return store.claim(owner, key, "hash-race");
                    }));
                }
                start.countDown();
                int winners = 0;
                for (Future<Optional<IdempotencyRecords.Record>> claim : claims) {
                    winners += claim.get().isEmpty() ? 1 : 0;
                }
                assertThat(winners).as("requests that took key %s", key).isEqualTo(1);
            }
        } finally {
            threads.shutdownNow();
        }
    }
}
