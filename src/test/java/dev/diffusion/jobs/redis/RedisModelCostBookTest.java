package dev.diffusion.jobs.redis;

import static org.assertj.core.api.Assertions.assertThat;

import dev.diffusion.catalog.MeasuredCosts;
import dev.diffusion.model.CallCost;
import dev.diffusion.model.ModelCosts;
import dev.diffusion.testing.RequiresRedis;
import java.time.Duration;
import java.time.Instant;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/** Measured costs in a real Redis, where API replicas that load no model read them. */
@RequiresRedis
class RedisModelCostBookTest {

    private TestRedis redis;
    private RedisModelCostBook book;

    @BeforeEach
    void connect() {
        redis = new TestRedis(Duration.ofSeconds(30));
        book = new RedisModelCostBook(redis.template, redis.settings);
    }

    @AfterEach
    void disconnect() {
        redis.close();
    }

    @Test
    void costsAndThePaceOfTheWorkerComeBackAsRecorded() {
        ModelCosts costs = new ModelCosts(new CallCost(1, 2, 3), new CallCost(4, 5, 6, 4096, 0.6, 0.9),
                new CallCost(7, 8, 9), new CallCost(10, 11, 12, 4096, 0.55));
        Instant seen = Instant.parse("2026-12-02T21:00:00.123Z");
        MeasuredCosts measured = new MeasuredCosts(costs, 1 << 30, 120, "cpu()").withSlowdown(2.5, seen);
        book.record("shapes", measured);

        assertThat(book.find("shapes")).contains(measured);
        assertThat(book.find("other")).isEmpty();
    }

    /** Costs a worker of an earlier version stored, before it told its pace: read as running at measured speed. */
    @Test
    void costsStoredBeforeThePaceWasToldReadAsNoSlowdown() {
        redis.template.opsForValue().set(redis.settings.costsKey("shapes"), "{\"costs\":{\"unetBytes\":{\"fixed\":1,"
                + "\"perArea\":2,\"perAreaSquared\":3},\"unetSeconds\":{\"fixed\":0,\"perArea\":0.001,"
                + "\"perAreaSquared\":0},\"vaeBytes\":{\"fixed\":0,\"perArea\":0,\"perAreaSquared\":0},"
                + "\"vaeSeconds\":{\"fixed\":0,\"perArea\":0,\"perAreaSquared\":0}},\"budgetBytes\":1000,"
                + "\"maxJobSeconds\":120.0,\"device\":\"cpu()\"}");

        MeasuredCosts read = book.find("shapes").orElseThrow();
        assertThat(read.slowdown()).isEqualTo(1);
        assertThat(read.slowdownAt(Instant.now())).isEqualTo(1);
        assertThat(read.costs().unetSeconds().perArea()).isEqualTo(0.001);
        // stored before the step where calls take more threads, batches and a row's own cost were measured: one
        // curve for every call, every row alike
        assertThat(read.costs().unetSeconds().parallelFrom()).isZero();
        assertThat(read.costs().unetSeconds().rowsExponent()).isEqualTo(1);
        assertThat(read.costs().unetSeconds().perRow()).isZero();
        assertThat(read.costs().unetSeconds().estimate(4, 1e6)).isEqualTo(0.001 * 4e6);
    }
}
