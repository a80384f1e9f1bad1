package io.arenaalloc.threads;

import io.arenaalloc.core.OffHeapArena;
import org.junit.jupiter.api.Test;

import java.util.SplittableRandom;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** Arenas whose owner thread ended: found without finalizers, frees still reach them, blocks stay valid. */
class ThreadDeathTest
{
    @Test
    void shouldKeepTheBlocksOfAnEndedThreadValidThenReclaimItsArena() throws Exception
    {
        try (ArenaAllocator alloc = TestAllocators.create(Policy.PER_THREAD))
        {
            final int n = 300;
            final long[] ids = new long[n];
            final long[] sizes = new long[n];
            TestAllocators.onOtherThread("short-lived", () ->
            {
                final SplittableRandom rnd = new SplittableRandom(7);
                for (int i = 0; i < n; i++)
                {
                    sizes[i] = 1 + rnd.nextInt(i % 10 == 0 ? 20_000 : 600);
                    ids[i] = i % 2 == 0 ? alloc.allocate(sizes[i]) : alloc.allocateHandle(sizes[i]);
                    Patterns.fill(address(alloc, ids[i], true), sizes[i], i);
                    unpinIfHandle(alloc, ids[i]);
                }
            });
            final ManagedArena m = alloc.managedArenaOf(ids[0]);
            final long committedWithOrphan = alloc.committedBytes();
            assertEquals(ManagedArena.OWNED, m.stateAcquire(), "not noticed before a scan");
            alloc.maintain(0);
            assertEquals(ManagedArena.ORPHANED, m.stateAcquire(), "the liveness scan saw the thread end");
            assertEquals(1, alloc.counters().get(AllocatorCounters.ARENAS_ORPHANED));

            // frees of every other block from this thread reach the orphan through its inbox
            for (int i = 0; i < n; i += 2)
            {
                alloc.free(ids[i + 1]);
                ids[i + 1] = 0;
            }
            alloc.maintain(10_000_000); // drain and compact the orphan (movable blocks move)
            assertEquals(n / 2, m.arena.liveBlocks());
            for (int i = 0; i < n; i++)
            {
                if (ids[i] != 0)
                {
                    Patterns.check(address(alloc, ids[i], true), sizes[i], i, "block " + i + " of an ended thread");
                    unpinIfHandle(alloc, ids[i]);
                    assertTrue(alloc.usableSize(ids[i]) >= sizes[i], "an orphan is borrowed for queries");
                }
            }
            final long moved = alloc.reallocate(ids[0], sizes[0] + 5000);
            Patterns.check(moved, sizes[0], 0, "reallocated in the orphan");
            ids[0] = moved;

            for (int i = 0; i < n; i++)
            {
                if (ids[i] != 0)
                {
                    alloc.free(ids[i]);
                }
            }
            final int arenas = alloc.arenaCount();
            alloc.maintain(0);
            assertEquals(ManagedArena.CLOSED, m.stateAcquire(), "an empty orphan is closed");
            assertEquals(arenas - 1, alloc.arenaCount());
            assertNull(alloc.arenaOf(ids[0]));
            assertTrue(alloc.committedBytes() < committedWithOrphan, "its memory went back");
            assertEquals(1, alloc.counters().get(AllocatorCounters.ARENAS_CLOSED));
        }
    }

    private static long address(final ArenaAllocator alloc, final long id, final boolean pin)
    {
        return id < 0 ? alloc.pin(id) : id;
    }

    private static void unpinIfHandle(final ArenaAllocator alloc, final long id)
    {
        if (id < 0)
        {
            alloc.unpin(id);
        }
    }

    @Test
    void shouldLetANewThreadAdoptTheArenaOfAnEndedOne() throws Exception
    {
        try (ArenaAllocator alloc = TestAllocators.create(Policy.PER_THREAD))
        {
            final AtomicLong block = new AtomicLong();
            TestAllocators.onOtherThread("first", () -> block.set(alloc.allocate(100)));
            final OffHeapArena arena = alloc.arenaOf(block.get());
            TestAllocators.onOtherThread("second", () ->
            {
                final long mine = alloc.allocate(100); // the scan runs here, then the orphan is adopted
                assertSame(arena, alloc.arenaOf(mine), "adopted, not made anew");
                alloc.free(block.get()); // now a local free: this thread owns the arena (into its cache first)
                assertEquals(1, alloc.flushThreadCache());
                assertEquals(1, arena.liveBlocks());
                alloc.free(mine);
                alloc.flushThreadCache();
            });
            assertEquals(1, alloc.counters().get(AllocatorCounters.ARENAS_ADOPTED));
            assertEquals(0, arena.liveBlocks());
        }
    }

    @Test
    void shouldSealTheOpenBatchesOfAFreerThatEnded() throws Exception
    {
        try (ArenaAllocator alloc = TestAllocators.create(Policy.PER_THREAD))
        {
            final long[] blocks = {alloc.allocate(32), alloc.allocate(32), alloc.allocate(32)};
            final ManagedArena m = alloc.managedArenaOf(blocks[0]);
            TestAllocators.onOtherThread("freer", () ->
            {
                for (final long b : blocks)
                {
                    alloc.free(b);
                }
            });
            alloc.maintain(0);
            assertEquals(0, m.arena.liveBlocks());
            assertEquals(0, m.inbox.openBatches(), "sealed by the scan, so the owner finished and recycled it");
        }
    }

    @Test
    void shouldReclaimInTheBackgroundWithinTheBound() throws Exception
    {
        try (ArenaAllocator alloc = TestAllocators.builder(Policy.PER_THREAD)
            .backgroundMaintenance(true)
            .maintenancePeriodNanos(TimeUnit.MILLISECONDS.toNanos(1))
            .livenessScanNanos(TimeUnit.MILLISECONDS.toNanos(1))
            .build())
        {
            final AtomicLong block = new AtomicLong();
            TestAllocators.onOtherThread("owner", () -> block.set(alloc.allocate(1000)));
            final OffHeapArena arena = alloc.arenaOf(block.get());
            TestAllocators.onOtherThread("freer", () -> alloc.free(block.get()));
            final long start = System.nanoTime();
            while (!arena.isClosed() && System.nanoTime() - start < TimeUnit.SECONDS.toNanos(10))
            {
                Thread.sleep(1);
            }
            assertTrue(arena.isClosed(), "the background thread reclaimed the ended thread's arena");
            assertEquals(0, alloc.committedBytes());
        }
    }
}
