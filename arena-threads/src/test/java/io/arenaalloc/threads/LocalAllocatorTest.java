package io.arenaalloc.threads;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;

import java.lang.management.ManagementFactory;
import java.util.SplittableRandom;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** {@link LocalAllocator}: the owner's fast path without the context search, and safe on any other thread. */
class LocalAllocatorTest
{
    @ParameterizedTest
    @EnumSource(Policy.class)
    void shouldAllocateAndFreeLikeTheAllocatorAndKeepEveryByte(final Policy policy) throws Exception
    {
        try (ArenaAllocator alloc = TestAllocators.create(policy))
        {
            final LocalAllocator local = alloc.local();
            assertSame(local, alloc.local(), "one view per thread");
            assertSame(alloc, local.allocator());
            assertEquals(policy == Policy.PER_THREAD, local.isOwnedByCurrentThread());
            final SplittableRandom rnd = new SplittableRandom(9);
            final long[] blocks = new long[512];
            final long[] sizes = new long[blocks.length];
            for (int round = 0; round < 20_000; round++)
            {
                final int i = rnd.nextInt(blocks.length);
                if (blocks[i] != 0)
                {
                    Patterns.check(blocks[i], sizes[i], i, "before free");
                    local.free(blocks[i]);
                }
                sizes[i] = 1 + rnd.nextInt(4096);
                if (rnd.nextInt(8) == 0)
                {
                    final long h = local.allocateHandle(sizes[i]); // a movable block, seen through a pin
                    Patterns.fill(alloc.pin(h), sizes[i], i);
                    alloc.unpin(h);
                    Patterns.check(alloc.pin(h), sizes[i], i, "handle");
                    alloc.unpin(h);
                    local.free(h);
                }
                blocks[i] = local.allocate(sizes[i]);
                Patterns.fill(blocks[i], sizes[i], i);
            }
            for (int i = 0; i < blocks.length; i++)
            {
                if (blocks[i] != 0)
                {
                    Patterns.check(blocks[i], sizes[i], i, "at the end");
                    local.free(blocks[i]);
                }
            }
            assertEquals(0, alloc.liveBytes());
        }
    }

    @Test
    void shouldServeAnotherThreadThroughTheThreadSafePath() throws Exception
    {
        try (ArenaAllocator alloc = TestAllocators.create(Policy.PER_THREAD))
        {
            final LocalAllocator mine = alloc.local();
            final long own = mine.allocate(8);
            final long a = mine.allocate(100);
            Patterns.fill(a, 100, 1);
            final long[] theirs = new long[1];
            TestAllocators.onOtherThread("borrower", () ->
            {
                assertFalse(mine.isOwnedByCurrentThread(), "a view used on another thread is not that thread's own");
                Patterns.check(a, 100, 1, "on the other thread");
                mine.free(a); // a remote free through the inbox, not the owner's fast path
                theirs[0] = mine.allocate(64); // from the other thread's own arena
                Patterns.fill(theirs[0], 64, 2);
            });
            assertTrue(alloc.arenaOf(theirs[0]) != alloc.arenaOf(own), "the other thread allocated from its own arena");
            mine.free(own);
            Patterns.check(theirs[0], 64, 2, "back on the first thread");
            mine.free(theirs[0]); // remote free to the ended thread's arena
            alloc.maintain(1_000_000);
            assertThrows(io.arenaalloc.core.InvalidBlockException.class, () -> mine.free(a),
                "a double free is still caught (the remote free was applied by maintenance)");
        }
    }

    @Test
    void shouldThrowAfterTheAllocatorIsClosed()
    {
        final ArenaAllocator alloc = TestAllocators.create(Policy.PER_THREAD);
        final LocalAllocator local = alloc.local();
        local.free(local.allocate(32));
        alloc.close();
        assertThrows(IllegalStateException.class, () -> local.allocate(32));
        assertThrows(IllegalStateException.class, () -> local.allocateHandle(32));
        assertThrows(IllegalStateException.class, alloc::local);
    }

    @Test
    void shouldAllocateNoGarbageInSteadyState()
    {
        final com.sun.management.ThreadMXBean threads = (com.sun.management.ThreadMXBean)ManagementFactory.getThreadMXBean();
        try (ArenaAllocator alloc = TestAllocators.create(Policy.PER_THREAD))
        {
            final LocalAllocator local = alloc.local();
            final long[] blocks = new long[1024];
            long best = Long.MAX_VALUE;
            for (int window = 0; window < 5 && best != 0; window++)
            {
                final long start = threads.getCurrentThreadAllocatedBytes();
                for (int i = 0; i < 1_000_000; i++)
                {
                    final int k = i & (blocks.length - 1);
                    if (blocks[k] != 0)
                    {
                        local.free(blocks[k]);
                    }
                    blocks[k] = local.allocate(16 + (i & 255));
                }
                final long garbage = threads.getCurrentThreadAllocatedBytes() - start;
                best = window == 0 ? Long.MAX_VALUE : Math.min(best, garbage); // window 0 warms up
            }
            assertEquals(0, best, "bytes of Java heap per million allocate/free pairs through a LocalAllocator");
            for (final long b : blocks)
            {
                if (b != 0)
                {
                    local.free(b);
                }
            }
        }
    }
}
