package dev.diffusion.jobs;

import static org.assertj.core.api.Assertions.assertThat;

import java.time.Instant;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.UUID;
import org.junit.jupiter.api.Test;

/** Job ids are version-7 UUIDs in the order they were made, also within a millisecond, and unguessable. */
class JobIdsTest {

    private final JobIds ids = new JobIds();

    @Test
    void idsOfOneMillisecondAndOfLaterOnesSortInTheOrderTheyWereMade() {
        Instant now = Instant.parse("2026-12-03T01:00:00.123Z");
        List<String> made = new ArrayList<>();
        for (int i = 0; i < 10_000; i++) {  // more than the counter holds: it goes on into the next millisecond
            made.add(ids.next(now));
        }
        made.add(ids.next(now.plusMillis(500)));
        made.add(ids.next(now.minusMillis(1)));  // a clock that steps back does not reorder ids

        assertThat(made).isSorted().doesNotHaveDuplicates();
        UUID first = UUID.fromString(made.get(0));
        assertThat(first.version()).isEqualTo(7);
        assertThat(first.variant()).isEqualTo(2);
        assertThat(first.getMostSignificantBits() >>> 16).as("the creation millisecond").isEqualTo(now.toEpochMilli());
    }

    @Test
    void theLowBitsAreRandom() {
        Instant now = Instant.parse("2026-12-03T01:00:00Z");
        HashSet<Long> low = new HashSet<>();
        for (int i = 0; i < 1000; i++) {
            low.add(UUID.fromString(ids.next(now)).getLeastSignificantBits());
        }
        assertThat(low).hasSize(1000);
    }
}
