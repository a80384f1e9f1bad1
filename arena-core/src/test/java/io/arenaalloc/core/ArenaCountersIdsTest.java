package io.arenaalloc.core;

import org.junit.jupiter.api.Test;

import java.util.HashSet;
import java.util.Set;

import static org.assertj.core.api.Assertions.assertThat;

/** Every counter id has one distinct name; ids only ever grow (a new one goes last, before COUNT). */
class ArenaCountersIdsTest
{
    @Test
    void everyIdHasADistinctNameAndTheLatestIsLast()
    {
        assertThat(ArenaCounters.NAMES).hasSize(ArenaCounters.COUNT);
        final Set<String> names = new HashSet<>(java.util.Arrays.asList(ArenaCounters.NAMES));
        assertThat(names).hasSize(ArenaCounters.COUNT);
        assertThat(ArenaCounters.NAMES[ArenaCounters.LIVE_BYTES_HIGH_WATER]).isEqualTo("live-bytes-high-water");
        assertThat(ArenaCounters.LIVE_BYTES_HIGH_WATER).isEqualTo(22);
        assertThat(ArenaCounters.NAMES[ArenaCounters.LIMIT_WAITS]).isEqualTo("limit-waits");
        assertThat(ArenaCounters.LIMIT_WAITS).isEqualTo(ArenaCounters.COUNT - 1);
    }

    @Test
    void aBareArenaNeverCountsALimitWait()
    {
        try (OffHeapArena arena = OffHeapArena.create(ArenaConfig.builder().chunkSize(ArenaConfig.MIN_CHUNK_SIZE)
            .maxTotalBytes(ArenaConfig.MIN_CHUNK_SIZE).build()))
        {
            final long a = arena.allocate(100_000);
            try
            {
                arena.allocate(200_000);
            }
            catch (final ArenaLimitExceededException expected)
            {
                // refused at once: an arena does not wait
            }
            assertThat(arena.counters().getOpaque(ArenaCounters.LIMIT_FAILURES)).isEqualTo(1);
            assertThat(arena.counters().getOpaque(ArenaCounters.LIMIT_WAITS)).isZero();
            arena.free(a);
        }
    }
}
