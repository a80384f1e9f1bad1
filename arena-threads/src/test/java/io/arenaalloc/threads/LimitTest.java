package io.arenaalloc.threads;

import io.arenaalloc.core.ArenaConfig;
import io.arenaalloc.core.ArenaCounters;
import io.arenaalloc.core.ArenaLimitExceededException;
import io.arenaalloc.core.OffHeapArena;
import io.arenaalloc.core.SizeClasses;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;

import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.locks.LockSupport;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** The global limit across arenas, the per-arena limit, and back-pressure (waiting for remote frees). */
class LimitTest
{
    private static final long LIMIT = 4 * TestAllocators.CHUNK;
    private static final long BLOCK = 100_000; // medium: two per 256 KiB chunk

    private static List<Long> fillToTheLimit(final ArenaAllocator alloc)
    {
        final List<Long> blocks = new ArrayList<>();
        while (true)
        {
            try
            {
                blocks.add(alloc.allocate(BLOCK));
            }
            catch (final AllocatorLimitExceededException ex)
            {
                return blocks;
            }
        }
    }

    /** @return each open arena's {@link ArenaCounters#LIMIT_WAITS}, in {@link ArenaAllocator#arenas()} order. */
    private static long[] arenaLimitWaits(final ArenaAllocator alloc)
    {
        final List<OffHeapArena> arenas = alloc.arenas();
        final long[] waits = new long[arenas.size()];
        for (int i = 0; i < waits.length; i++)
        {
            waits[i] = arenas.get(i).counters().getOpaque(ArenaCounters.LIMIT_WAITS);
        }
        return waits;
    }

    @ParameterizedTest
    @EnumSource(Policy.class)
    void shouldStopAtTheGlobalLimitWithAClearException(final Policy policy)
    {
        try (ArenaAllocator alloc = TestAllocators.builder(policy).maxTotalBytes(LIMIT).build())
        {
            final List<Long> blocks = fillToTheLimit(alloc);
            assertTrue(blocks.size() >= 6, "blocks=" + blocks.size());
            final AllocatorLimitExceededException ex = assertThrows(AllocatorLimitExceededException.class,
                () -> alloc.allocate(BLOCK));
            assertTrue(ex.isGlobal());
            assertEquals(LIMIT, ex.limitBytes());
            assertEquals(BLOCK, ex.requestedBytes());
            assertTrue(ex.getMessage().contains("global limit maxTotalBytes=" + LIMIT), ex.getMessage());
            assertInstanceOf(ArenaLimitExceededException.class, ex, "callers of arena-core catch it too");
            assertTrue(alloc.committedBytes() <= LIMIT);
            assertTrue(alloc.counters().get(AllocatorCounters.LIMIT_FAILURES) >= 2);
            assertEquals(0, java.util.Arrays.stream(arenaLimitWaits(alloc)).sum(), "no limitWaitNanos: nothing waited");

            alloc.free(blocks.remove(0));
            blocks.add(alloc.allocate(BLOCK)); // room again
            for (final long b : blocks)
            {
                alloc.free(b);
            }
        }
    }

    @Test
    void shouldShareTheGlobalLimitBetweenThreads() throws Exception
    {
        try (ArenaAllocator alloc = TestAllocators.builder(Policy.PER_THREAD).maxTotalBytes(LIMIT).build())
        {
            final List<Long> mine = new ArrayList<>();
            for (int i = 0; i < 6; i++)
            {
                mine.add(alloc.allocate(BLOCK)); // three chunks
            }
            TestAllocators.onOtherThread("second", () ->
            {
                final List<Long> theirs = fillToTheLimit(alloc);
                assertEquals(2, theirs.size(), "one chunk left for the second thread's arena");
                for (final long b : theirs)
                {
                    alloc.free(b);
                }
            });
            for (final long b : mine)
            {
                alloc.free(b);
            }
        }
    }

    @Test
    void shouldReportTheArenaLimitApartFromTheGlobalOne()
    {
        try (ArenaAllocator alloc = TestAllocators.builder(Policy.PER_THREAD)
            .arenaConfig(ArenaConfig.builder().chunkSize(TestAllocators.CHUNK).maxTotalBytes(2 * TestAllocators.CHUNK).build())
            .build())
        {
            final List<Long> blocks = fillToTheLimit(alloc);
            final AllocatorLimitExceededException ex = assertThrows(AllocatorLimitExceededException.class,
                () -> alloc.allocate(BLOCK));
            assertFalse(ex.isGlobal());
            assertTrue(ex.getMessage().contains("arena limit maxTotalBytes=" + 2 * TestAllocators.CHUNK), ex.getMessage());
            blocks.forEach(alloc::free);
        }
    }

    @ParameterizedTest
    @EnumSource(Policy.class)
    void shouldWaitForRemoteFreesInsteadOfFailing(final Policy policy) throws Exception
    {
        try (ArenaAllocator alloc = TestAllocators.builder(policy).maxTotalBytes(LIMIT)
            .limitWaitNanos(TimeUnit.SECONDS.toNanos(20)).build())
        {
            final List<Long> blocks = new ArrayList<>();
            for (int i = 0; i < 8; i++)
            {
                blocks.add(alloc.allocate(BLOCK));
            }
            final long victim = blocks.remove(0);
            final Thread consumer = new Thread(() ->
            {
                // once the allocation waits (counted when it first parks), 100 ms more, then the free: a fixed sleep
                // from the thread's start could end before a slow owner even tried, and then nothing would wait
                final long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(15);
                while (alloc.counters().get(AllocatorCounters.LIMIT_WAITS) == 0 && System.nanoTime() < deadline)
                {
                    LockSupport.parkNanos(50_000);
                }
                LockSupport.parkNanos(TimeUnit.MILLISECONDS.toNanos(100));
                alloc.free(victim);
            }, "late-consumer");
            consumer.start();
            final long[] waitsBefore = arenaLimitWaits(alloc);
            final long start = System.nanoTime();
            final long late = alloc.allocate(BLOCK); // waits for the free instead of throwing
            blocks.add(late);
            final long waited = System.nanoTime() - start;
            consumer.join();
            assertTrue(waited >= TimeUnit.MILLISECONDS.toNanos(100), "waited=" + waited);
            assertEquals(1, alloc.counters().get(AllocatorCounters.LIMIT_WAITS));
            assertEquals(0, alloc.counters().get(AllocatorCounters.LIMIT_FAILURES));
            // the wait is also counted once on the arena the allocation was for, and on no other
            final long[] waits = arenaLimitWaits(alloc);
            assertEquals(waitsBefore.length, waits.length);
            assertEquals(0, java.util.Arrays.stream(waitsBefore).sum(), java.util.Arrays.toString(waitsBefore));
            assertEquals(1, java.util.Arrays.stream(waits).sum(), java.util.Arrays.toString(waits));
            assertEquals(1, java.util.Arrays.stream(waits).max().getAsLong(), java.util.Arrays.toString(waits));
            if (policy == Policy.PER_THREAD)
            {
                assertEquals(1, alloc.arenaOf(late).counters().getOpaque(ArenaCounters.LIMIT_WAITS),
                    "the caller's own arena");
            }
            blocks.forEach(alloc::free);
        }
    }

    @Test
    void shouldGiveUpAfterTheWaitWithTheTimeItWaited()
    {
        final long wait = TimeUnit.MILLISECONDS.toNanos(100);
        try (ArenaAllocator alloc = TestAllocators.builder(Policy.PER_THREAD).maxTotalBytes(LIMIT).limitWaitNanos(wait).build())
        {
            final List<Long> blocks = new ArrayList<>();
            for (int i = 0; i < 8; i++)
            {
                blocks.add(alloc.allocate(BLOCK));
            }
            final long start = System.nanoTime();
            final AllocatorLimitExceededException ex = assertThrows(AllocatorLimitExceededException.class,
                () -> alloc.allocate(BLOCK));
            assertTrue(System.nanoTime() - start >= wait);
            assertTrue(ex.waitedNanos() >= wait, "waited=" + ex.waitedNanos());
            assertTrue(ex.getMessage().contains("after waiting"), ex.getMessage());
            assertEquals(1, alloc.counters().get(AllocatorCounters.LIMIT_WAITS));
            assertEquals(1, alloc.counters().get(AllocatorCounters.LIMIT_FAILURES));
            assertEquals(1, alloc.arenaOf(blocks.get(0)).counters().getOpaque(ArenaCounters.LIMIT_WAITS),
                "a wait that ends in a failure counts on the caller's arena too");
            blocks.forEach(alloc::free);
        }
    }

    /** Fills {@code alloc} to its limit with blocks of {@link SizeClasses#SMALL_MAX} bytes, each with its pattern. */
    private static List<Long> fillWithSmallBlocks(final ArenaAllocator alloc)
    {
        final List<Long> blocks = new ArrayList<>();
        while (true)
        {
            try
            {
                final long b = alloc.allocate(SizeClasses.SMALL_MAX);
                Patterns.fill(b, SizeClasses.SMALL_MAX, blocks.size());
                blocks.add(b);
            }
            catch (final AllocatorLimitExceededException ex)
            {
                assertTrue(blocks.size() > 100, "filled: " + blocks.size());
                return blocks;
            }
        }
    }

    /**
     * An allocation of another class at the limit, which needs a slab's worth of free memory, then the pattern of
     * every block still held (not 0) checked and every one freed.
     */
    private static void allocateAnotherClassAndCheck(final ArenaAllocator alloc, final List<Long> blocks)
    {
        final long sentBefore = alloc.counters().get(AllocatorCounters.THREAD_CACHE_SENT_HOME);
        assertEquals(1, alloc.counters().get(AllocatorCounters.LIMIT_FAILURES), "the fill's last allocation");
        final long other = alloc.allocate(SizeClasses.SMALL_MAX / 2);
        assertTrue(alloc.counters().get(AllocatorCounters.THREAD_CACHE_SENT_HOME) > sentBefore, "the cache went home");
        assertEquals(1, alloc.counters().get(AllocatorCounters.LIMIT_FAILURES), "and no other failure");
        for (int i = 0; i < blocks.size(); i++)
        {
            final long b = blocks.get(i);
            if (b != 0)
            {
                Patterns.check(b, SizeClasses.SMALL_MAX, i, "block " + i + " kept through the limit");
                alloc.free(b);
            }
        }
        alloc.free(other);
    }

    @Test
    void shouldGiveTheOwnersParkedBlocksBackToItsArenaBeforeFailingAtTheLimit()
    {
        try (ArenaAllocator alloc = TestAllocators.builder(Policy.PER_THREAD).maxTotalBytes(LIMIT).build())
        {
            final List<Long> blocks = fillWithSmallBlocks(alloc);
            final int slab = SizeClasses.blocksPerSlab(SizeClasses.classOf(SizeClasses.SMALL_MAX));
            for (int i = 0; i < slab; i++)
            {
                alloc.free(blocks.set(i, 0L)); // the first slab's blocks (not the slab in use): parked in the cache
            }
            assertEquals(slab, alloc.counters().get(AllocatorCounters.THREAD_CACHE_PARKED));
            allocateAnotherClassAndCheck(alloc, blocks);
        }
    }

    @Test
    void shouldGiveTheRemoteFreesTheOwnerParkedBackToItsArenaBeforeFailingAtTheLimit() throws Exception
    {
        try (ArenaAllocator alloc = TestAllocators.builder(Policy.PER_THREAD).maxTotalBytes(LIMIT).drainInterval(1)
            .build())
        {
            final List<Long> blocks = fillWithSmallBlocks(alloc);
            final int slab = SizeClasses.blocksPerSlab(SizeClasses.classOf(SizeClasses.SMALL_MAX));
            final long[] remote = new long[slab];
            for (int i = 0; i < slab; i++)
            {
                remote[i] = blocks.set(i, 0L); // the first slab's blocks
            }
            final int last = blocks.size() - 1;
            final long mine = blocks.set(last, 0L);
            alloc.free(mine); // parked here; its reuse below drains the inbox
            final Thread freer = new Thread(() ->
            {
                for (final long b : remote)
                {
                    alloc.free(b); // a thread without an arena: remote frees to this thread's arena
                }
            }, "freer");
            freer.start();
            freer.join();
            assertEquals(mine, alloc.allocate(SizeClasses.SMALL_MAX), "reused, and the drain after it parked the rest");
            Patterns.fill(mine, SizeClasses.SMALL_MAX, last);
            blocks.set(last, mine);
            assertEquals(1 + slab, alloc.counters().get(AllocatorCounters.THREAD_CACHE_PARKED));
            allocateAnotherClassAndCheck(alloc, blocks);
        }
    }
}
