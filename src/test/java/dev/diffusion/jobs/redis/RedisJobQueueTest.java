package dev.diffusion.jobs.redis;

import static org.assertj.core.api.Assertions.assertThat;

import dev.diffusion.testing.RequiresRedis;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.time.Instant;
import java.util.Optional;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/** The Redis Stream queue against a real Redis: order, capacity, acknowledgement, takeover and recovery. */
@RequiresRedis
class RedisJobQueueTest {

    private static final Duration CLAIM_IDLE = Duration.ofMillis(600);

    private TestRedis redis;
    private RedisJobQueue workerA;
    private RedisJobQueue workerB;
    private final List<RedisJobQueue> extraWorkers = new ArrayList<>();

    @BeforeEach
    void connect() {
        redis = new TestRedis(CLAIM_IDLE);
        workerA = new RedisJobQueue(redis.template, redis.settings, "worker-a", 3);
        workerB = new RedisJobQueue(redis.template, redis.settings, "worker-b", 3);
    }

    @AfterEach
    void disconnect() {
        extraWorkers.forEach(RedisJobQueue::close);
        workerA.close();
        workerB.close();
        redis.close();
    }

    @Test
    void jobsLeaveInTheOrderTheyCameAndAFullQueueRefuses() {
        assertThat(workerA.offer("j1")).isTrue();
        assertThat(workerA.offer("j2")).isTrue();
        assertThat(workerB.offer("j3")).isTrue();
        assertThat(workerB.offer("j4")).as("capacity 3").isFalse();

        assertThat(workerA.depth()).isEqualTo(3);
        assertThat(workerA.position("j1")).isZero();
        assertThat(workerB.position("j3")).isEqualTo(2);
        assertThat(workerA.poll(Duration.ofMillis(100))).hasValue("j1");
        assertThat(workerB.poll(Duration.ofMillis(100))).hasValue("j2");
        assertThat(workerA.depth()).isEqualTo(1);
        assertThat(workerA.position("j3")).isZero();
        assertThat(workerA.position("j1")).as("taken").isEqualTo(-1);
        assertThat(workerA.offer("j4")).as("room again").isTrue();
    }

    @Test
    void aPeekedJobStaysWithTheWorkerThatPeekedUntilItTakesIt() {
        workerA.offer("j1");
        workerA.offer("j2");

        assertThat(workerA.peek()).hasValue("j1");
        assertThat(workerA.peek()).as("the same head again").hasValue("j1");
        assertThat(workerB.poll(Duration.ofMillis(100))).as("another worker gets the next one").hasValue("j2");
        assertThat(workerA.remove("j2")).as("not held here").isFalse();
        assertThat(workerA.remove("j1")).isTrue();
        assertThat(workerA.peek()).isEmpty();
    }

    @Test
    void anAcknowledgedJobIsGoneForGoodAndTheLagIsTheOldestWaitingJob() throws Exception {
        assertThat(workerA.oldestWaitingSince()).isEmpty();
        Instant before = Instant.now().minusMillis(5);
        workerA.offer("j1");
        workerA.offer("j2");
        assertThat(workerA.oldestWaitingSince()).hasValueSatisfying(
                since -> assertThat(since).isBetween(before, Instant.now().plusMillis(5)));

        assertThat(workerA.poll(Duration.ofMillis(100))).hasValue("j1");
        workerA.acknowledge("j1");
        Thread.sleep(CLAIM_IDLE.multipliedBy(2).toMillis());

        assertThat(workerB.poll(Duration.ofMillis(100))).as("j1 is not redelivered").hasValue("j2");
        assertThat(redis.template.opsForStream().size(redis.settings.streamKey())).isEqualTo(1);
    }

    @Test
    void aJobHeldByAWorkerThatStoppedRenewingIsTakenOverAndOneThatRenewsIsNot() throws Exception {
        // A longer idle than the other tests: renewal every idle / 3 must survive a stalled thread on a loaded CI.
        Duration claimIdle = Duration.ofSeconds(2);
        try (TestRedis slow = new TestRedis(claimIdle)) {
            RedisJobQueue holder = new RedisJobQueue(slow.template, slow.settings, "holder", 3);
            RedisJobQueue doomed = new RedisJobQueue(slow.template, slow.settings, "doomed", 3);
            RedisJobQueue heir = new RedisJobQueue(slow.template, slow.settings, "heir", 3);
            try {
                holder.offer("running");
                holder.offer("abandoned");
                assertThat(holder.poll(Duration.ofMillis(100))).hasValue("running");
                assertThat(doomed.poll(Duration.ofMillis(100))).hasValue("abandoned");
                doomed.close();  // it stops renewing, as a dead worker does

                Thread.sleep(claimIdle.multipliedBy(2).toMillis());

                assertThat(heir.poll(Duration.ofMillis(100))).hasValue("abandoned");
                assertThat(heir.deliveries("abandoned")).as("its second delivery").isEqualTo(2);
                Thread.sleep(claimIdle.toMillis());  // a worker looks for abandoned jobs at most every claimIdle / 3
                assertThat(heir.peek()).as("'running' is renewed by its holder").isEmpty();
                heir.acknowledge("abandoned");
                holder.acknowledge("running");
                assertThat(slow.template.opsForStream().size(slow.settings.streamKey())).isZero();
            } finally {
                holder.close();
                heir.close();
            }
        }
    }

    @Test
    void aJobGivenBackAtShutdownIsTakenOverAtOnceAndNotCountedAsALoss() throws Exception {
        workerA.offer("handed-over");
        assertThat(workerA.poll(Duration.ofMillis(100))).hasValue("handed-over");
        workerA.release("handed-over");

        Thread.sleep(CLAIM_IDLE.toMillis() / 2);  // only the pause between looks for abandoned jobs
        assertThat(workerB.poll(Duration.ofMillis(100))).hasValue("handed-over");
        assertThat(workerB.deliveries("handed-over")).isEqualTo(1);
    }

    @Test
    void everyWorkerLostWithAJobCountsAsADelivery() throws Exception {
        workerA.offer("poison");
        for (int lost = 0; lost < 3; lost++) {
            RedisJobQueue doomed = worker("doomed-" + lost);
            long deadline = System.nanoTime() + CLAIM_IDLE.multipliedBy(10).toNanos();
            Optional<String> taken = doomed.poll(Duration.ofMillis(100));
            while (taken.isEmpty() && System.nanoTime() < deadline) {
                Thread.sleep(CLAIM_IDLE.toMillis() / 3);
                taken = doomed.poll(Duration.ofMillis(100));
            }
            assertThat(taken).hasValue("poison");
            assertThat(doomed.deliveries("poison")).isEqualTo(lost + 1);
            doomed.close();
        }
        Thread.sleep(CLAIM_IDLE.multipliedBy(3).toMillis());
        assertThat(workerB.poll(Duration.ofMillis(100))).hasValue("poison");
        assertThat(workerB.deliveries("poison")).as("three workers lost before this one").isEqualTo(4);
    }

    private RedisJobQueue worker(String name) {
        RedisJobQueue queue = new RedisJobQueue(redis.template, redis.settings, name, 3);
        extraWorkers.add(queue);
        return queue;
    }

    @Test
    void aDeletedStreamIsCreatedAgainAndTheQueueGoesOn() {
        workerA.offer("j1");
        redis.template.delete(redis.settings.streamKey());

        assertThat(workerA.poll(Duration.ofMillis(50))).isEmpty();
        assertThat(workerB.offer("j2")).isTrue();
        assertThat(workerA.poll(Duration.ofMillis(100))).hasValue("j2");
    }

    @Test
    void aBlockingPollWaitsForAJobOfferedMeanwhile() throws Exception {
        Thread offerer = new Thread(() -> {
            sleep(200);
            workerB.offer("late");
        });
        offerer.start();
        Optional<String> taken = workerA.poll(Duration.ofSeconds(5));
        offerer.join();
        assertThat(taken).hasValue("late");
    }

    private static void sleep(long millis) {
        try {
            Thread.sleep(millis);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }
}
