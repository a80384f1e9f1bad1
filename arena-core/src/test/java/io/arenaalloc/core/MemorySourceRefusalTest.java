package io.arenaalloc.core;

import org.junit.jupiter.api.Test;

import java.util.ArrayList;
import java.util.List;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * A memory source that refuses a chunk (a budget it keeps, as an allocator's global limit does) is met like the
 * arena's own limit: the arena first reclaims space (its free cache of small blocks back to their slabs, compaction),
 * retries, and only then throws, and then the source's own exception.
 */
class MemorySourceRefusalTest
{
    private static final long CHUNK = 256 << 10;
    private static final long BUDGET = 4 * CHUNK;

    /** {@link NativeMemorySource} within a budget; the refusal it throws last is kept for the assertions. */
    private static final class BudgetSource implements MemorySource
    {
        final NativeMemorySource delegate = new NativeMemorySource();
        ArenaLimitExceededException lastRefusal;

        public long reserve(final long bytes)
        {
            if (delegate.reservedBytes() + bytes > BUDGET)
            {
                lastRefusal = new ArenaLimitExceededException(bytes, BUDGET, delegate.reservedBytes(), -1);
                throw lastRefusal;
            }
            return delegate.reserve(bytes);
        }

        public void release(final long address, final long bytes)
        {
            delegate.release(address, bytes);
        }

        public long reservedBytes()
        {
            return delegate.reservedBytes();
        }

        public String name()
        {
            return "budget";
        }
    }

    @Test
    void shouldFlushItsFreeCacheAndRetryBeforeItThrowsTheSourcesRefusal()
    {
        final BudgetSource source = new BudgetSource();
        try (OffHeapArena arena = OffHeapArena.create(ArenaConfig.builder().chunkSize(CHUNK).memorySource(source)
            .spareChunks(0).build()))
        {
            final List<Long> blocks = new ArrayList<>();
            final ArenaLimitExceededException full = assertThrows(ArenaLimitExceededException.class, () ->
            {
                while (true)
                {
                    blocks.add(arena.allocate(SizeClasses.SMALL_MAX));
                }
            });
            assertSame(source.lastRefusal, full, "the source's own exception");
            assertEquals(0, arena.counters().getOpaque(ArenaCounters.LIMIT_FAILURES), "not the arena's limit");
            final int slab = SizeClasses.blocksPerSlab(SizeClasses.classOf(SizeClasses.SMALL_MAX));
            for (int i = 0; i < slab; i++)
            {
                arena.free(blocks.get(i)); // the first slab's blocks: into the free cache, the slab still held
            }
            assertTrue(arena.freeCacheBlocks() > 0);
            final long other = arena.allocate(SizeClasses.SMALL_MAX / 2); // needs a slab of its own
            assertEquals(BUDGET, source.reservedBytes(), "no chunk beyond the budget");
            arena.free(other);
            for (int i = slab; i < blocks.size(); i++)
            {
                arena.free(blocks.get(i));
            }
            arena.validate();
        }
        assertEquals(0, source.reservedBytes(), "every byte back to the source");
    }
}
