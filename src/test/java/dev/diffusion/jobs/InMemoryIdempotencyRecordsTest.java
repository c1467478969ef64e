package dev.diffusion.jobs;

import java.time.Clock;
import org.junit.jupiter.api.Test;

class InMemoryIdempotencyRecordsTest {

    @Test
    void keepsTheContractOfIdempotencyRecords() throws Exception {
        IdempotencyRecordsContract.check((ttl, claimTtl) -> new InMemoryIdempotencyRecords(ttl, claimTtl,
                Clock.systemUTC()));
    }
}
