package io.arenaalloc.stats;

import io.arenaalloc.core.ArenaConfig;
import io.arenaalloc.core.OffHeapArena;
import io.arenaalloc.threads.ArenaAllocator;
import io.arenaalloc.threads.Policy;
import org.junit.jupiter.api.Test;

import java.util.List;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** The owner figures of an allocator's arenas are refreshed by the allocator's maintenance, on the holder. */
class AllocatorOwnerFiguresTest
{
    @Test
    void shouldPublishAnArenasWalkFiguresWhenItsOwnerMaintainsIt()
    {
        try (ArenaAllocator alloc = ArenaAllocator.builder()
            .policy(Policy.PER_THREAD)
            .backgroundMaintenance(false)
            .arenaConfig(ArenaConfig.builder().chunkSize(1 << 20).build())
            .build())
        {
            final AllocatorStatsPublisher publisher = AllocatorStatsPublisher.of(alloc);
            final long[] blocks = new long[4000];
            for (int i = 0; i < blocks.length; i++)
            {
                blocks[i] = alloc.allocate(64 + (i % 7) * 700);
            }
            for (int i = 0; i < blocks.length; i += 2)
            {
                alloc.free(blocks[i]);
            }
            final OffHeapArena arena = alloc.arenaOf(blocks[1]);
            assertTrue(publisher.refreshArenas(), "the owner's arena is tracked");
            final List<ArenaStatsPublisher> arenas = publisher.arenaPublishers();
            assertEquals(1, arenas.size());
            final long[] figures = new long[ArenaFigures.COUNT];
            arenas.get(0).copyFigures(figures);
            assertEquals(0, figures[ArenaFigures.PUBLISHES], "nothing published before any maintenance");

            alloc.maintain(1_000_000); // the owner maintains its arena: the listener publishes its owner figures

            arenas.get(0).copyFigures(figures);
            assertEquals(1, figures[ArenaFigures.PUBLISHES]);
            assertEquals(arena.largestFreeRun(), figures[ArenaFigures.LARGEST_FREE_RUN]);
            assertEquals(Math.round(arena.fragmentation() * ArenaFigures.PPM), figures[ArenaFigures.FRAGMENTATION_PPM]);
            assertTrue(figures[ArenaFigures.REGULAR_COMMITTED_BYTES] > 0);
            for (int i = 1; i < blocks.length; i += 2)
            {
                alloc.free(blocks[i]);
            }
        }
    }
}
