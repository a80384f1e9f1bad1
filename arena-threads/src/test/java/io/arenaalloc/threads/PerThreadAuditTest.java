package io.arenaalloc.threads;

import io.arenaalloc.core.FreeMark;
import io.arenaalloc.core.InvalidBlockException;
import io.arenaalloc.core.OffHeapArena;
import org.junit.jupiter.api.Test;

import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.atomic.AtomicReference;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;

/**
 * Audit of the PER_THREAD paths with thread caches (ThreadBlockCache, FreeMark, AddressMap descriptors, remote frees,
 * thread death and adoption): bad input must get a clear exception and change nothing, no block may be handed out
 * twice, and every byte must come back.
 */
class PerThreadAuditTest
{
    // ---------------------------------------------------------------------------------------------------------------
    // usableSize / reallocate of a parked (already freed) block
    // ---------------------------------------------------------------------------------------------------------------

    @Test
    void shouldRejectUsableSizeOfABlockParkedInTheOwnersCache()
    {
        try (ArenaAllocator alloc = TestAllocators.create(Policy.PER_THREAD))
        {
            final long a = alloc.allocate(64);
            alloc.free(a);
            assertTrue(FreeMark.isMarked(a), "parked in this thread's cache");
            assertThrows(InvalidBlockException.class, () -> alloc.usableSize(a),
                "usableSize of a freed (parked) block must be rejected as for a block its arena holds free");
        }
    }

    @Test
    void shouldRejectInPlaceReallocateOfAParkedBlockSoItIsNeverHandedOutTwice()
    {
        try (ArenaAllocator alloc = TestAllocators.create(Policy.PER_THREAD))
        {
            final long a = alloc.allocate(64);
            alloc.free(a); // parked
            long r = 0;
            try
            {
                r = alloc.reallocate(a, 32);
            }
            catch (final InvalidBlockException expected)
            {
                // correct: a freed block cannot be reallocated
            }
            if (r != 0)
            {
                final long b = alloc.allocate(64);
                fail("reallocate of a parked block returned 0x" + Long.toHexString(r) + " (a live block to the caller), " +
                    "and the next allocate(64) returned 0x" + Long.toHexString(b) + (b == r ? ": the same block twice" : ""));
            }
            assertEquals(a, alloc.allocate(64), "still parked, once");
        }
    }

    @Test
    void shouldRejectGrowingReallocateOfAParkedBlockAndChangeNothing()
    {
        try (ArenaAllocator alloc = TestAllocators.create(Policy.PER_THREAD))
        {
            final long a = alloc.allocate(64);
            final OffHeapArena arena = alloc.arenaOf(a);
            alloc.free(a); // parked: the arena still counts it
            final long blocks = arena.liveBlocks();
            final long bytes = arena.liveBytes();
            final Throwable t = assertThrows(InvalidBlockException.class, () -> alloc.reallocate(a, 8000));
            assertEquals(blocks, arena.liveBlocks(), "rejected reallocate must not leave a new block behind: " + t.getMessage());
            assertEquals(bytes, arena.liveBytes(), "live bytes unchanged");
        }
    }

    @Test
    void shouldRejectReallocateOfAForeignBlockParkedHereWhileBorrowingItsEndedOwnersArena() throws Exception
    {
        try (ArenaAllocator alloc = TestAllocators.builder(Policy.PER_THREAD).livenessScanNanos(Long.MAX_VALUE / 4).build())
        {
            alloc.free(alloc.allocate(64)); // own arena: this thread caches
            final long[] x = new long[2];
            TestAllocators.onOtherThread("producer", () ->
            {
                x[0] = alloc.allocate(64);
                x[1] = alloc.allocate(64);
            });
            alloc.free(x[0]); // parked here, live in the ended producer's arena
            assertTrue(FreeMark.isMarked(x[0]));
            final OffHeapArena arena = alloc.arenaOf(x[0]);
            final long blocks = arena.liveBlocks();
            long r = 0;
            try
            {
                r = alloc.reallocate(x[0], 48); // borrows the ended producer's arena
            }
            catch (final InvalidBlockException expected)
            {
                // correct
            }
            assertEquals(0, r, "reallocate of a parked foreign block returned it as live");
            assertEquals(blocks, arena.liveBlocks());
        }
    }

    // ---------------------------------------------------------------------------------------------------------------
    // a remote free on its way to the owner: a later free of the block by a thread with a cache must not park it
    // ---------------------------------------------------------------------------------------------------------------

    /**
     * Scenario: the owner allocates x; a thread with a context but no arena (a pure freer) frees x (a remote free,
     * queued; x stays live in its arena's metadata until the owner drains); a third thread with a cache frees x again
     * (a sequential double free, not a race) and then allocates. Before the fix x was queued unmarked, so the third
     * thread parked it and got it back from its cache, the owner's drain then freed x (its mark cleared by that reuse)
     * and the owner's next allocation returned x too. Now the pure freer marks x before it queues it, and the second
     * free is rejected at once. It must be rejected, or at least reported, and x must never be live twice.
     */
    @Test
    void shouldCatchASecondFreeIntoACacheOfABlockAlreadyQueuedForARemoteFree() throws Exception
    {
        final List<Throwable> reported = new ArrayList<>();
        try (ArenaAllocator alloc = TestAllocators.builder(Policy.PER_THREAD).errorHandler(reported::add).build())
        {
            final long x = alloc.allocate(64);
            final long keep = alloc.allocate(64);
            TestAllocators.onOtherThread("pure-freer", () -> alloc.free(x)); // context, no arena: checked, marked, queued
            final AtomicReference<Throwable> secondFree = new AtomicReference<>();
            final AtomicLong reusedByCacher = new AtomicLong();
            TestAllocators.onOtherThread("cacher", () ->
            {
                alloc.free(alloc.allocate(64)); // an arena of its own: it caches
                try
                {
                    alloc.free(x); // a double free
                }
                catch (final InvalidBlockException ex)
                {
                    secondFree.set(ex);
                    return;
                }
                final long y = alloc.allocate(64); // the cached x, if it was parked
                Patterns.fill(y, 64, 77);
                reusedByCacher.set(y);
            });
            alloc.maintain(0); // the owner drains the pure freer's remote free of x
            alloc.maintain(0);
            final Set<Long> ownerBlocks = new HashSet<>();
            for (int i = 0; i < 64; i++)
            {
                ownerBlocks.add(alloc.allocate(64));
            }
            final boolean caught = secondFree.get() != null || !reported.isEmpty();
            final boolean twice = reusedByCacher.get() != 0 && ownerBlocks.contains(reusedByCacher.get());
            assertFalse(twice, "block 0x" + Long.toHexString(x) + " is live for the cacher and for the owner (caught=" +
                caught + ", reported=" + reported + ")");
            assertTrue(caught, "the double free was neither rejected nor reported");
            assertNotEquals(0, keep);
        }
    }

    /**
     * A thread with a cache frees an interior pointer of another thread's small block and the pinned address of its
     * small movable block: neither is a small fixed block start. The interior pointer is rejected at once (it lies in
     * a slab of small blocks); the movable block's address is queued and the owner rejects it when it drains. Nothing
     * may change (no mark written into either block, no block parked, counts unchanged).
     */
    @Test
    void shouldChangeNothingForAForeignFreeOfAnInteriorPointerOrAPinnedHandleAddress() throws Exception
    {
        final List<Throwable> reported = new java.util.concurrent.CopyOnWriteArrayList<>();
        try (ArenaAllocator alloc = TestAllocators.builder(Policy.PER_THREAD).errorHandler(reported::add).build())
        {
            final long a = alloc.allocate(64);
            Patterns.fill(a, 64, 3);
            final long h = alloc.allocateHandle(64);
            final long p = alloc.pin(h);
            Patterns.fill(p, 64, 4);
            final OffHeapArena arena = alloc.arenaOf(a);
            final long blocks = arena.liveBlocks();
            TestAllocators.onOtherThread("bad-freer", () ->
            {
                alloc.free(alloc.allocate(64)); // an arena and a cache of its own
                alloc.flushThreadCache();
                final InvalidBlockException interior = assertThrows(InvalidBlockException.class, () -> alloc.free(a + 16),
                    "an address inside a small block is rejected at once (the slab map proves it is no block start)");
                assertTrue(interior.getMessage().contains(Long.toHexString(a + 16)), interior.getMessage());
                try
                {
                    alloc.free(p); // a movable block's address: queued, the owner rejects it when it drains
                }
                catch (final InvalidBlockException | IllegalStateException rejectedAtOnce)
                {
                    // fine too
                }
                assertEquals(0, alloc.flushThreadCache(), "nothing parked");
            });
            Patterns.check(a, 64, 3, "the block whose interior was freed");
            Patterns.check(p, 64, 4, "the movable block freed by address");
            alloc.unpin(h);
            alloc.maintain(0);
            alloc.maintain(0);
            assertEquals(blocks, arena.liveBlocks(), "no block freed");
            Patterns.check(a, 64, 3, "the block whose interior was freed, after the drain");
            Patterns.check(alloc.pin(h), 64, 4, "the movable block, after the drain");
            alloc.unpin(h);
            assertTrue(reported.size() <= 2);
            alloc.free(a);
            alloc.free(h);
        }
    }

    // ---------------------------------------------------------------------------------------------------------------
    // coverage: parked blocks across adoption, close and budget accounting (expected to pass)
    // ---------------------------------------------------------------------------------------------------------------

    @Test
    void shouldNeverHandAParkedForeignBlockToTheThreadThatAdoptsItsArena() throws Exception
    {
        try (ArenaAllocator alloc = TestAllocators.builder(Policy.PER_THREAD).maxThreadArenas(2).build())
        {
            alloc.free(alloc.allocate(64)); // own arena: this thread caches
            final long[] x = new long[32];
            TestAllocators.onOtherThread("producer", () ->
            {
                for (int i = 0; i < x.length; i++)
                {
                    x[i] = alloc.allocate(64);
                    Patterns.fill(x[i], 64, i);
                }
            });
            for (final long b : x)
            {
                alloc.free(b); // parked here, still live in the ended producer's arena
            }
            final OffHeapArena producerArena = alloc.arenaOf(x[0]);
            alloc.maintain(0); // the producer's arena becomes an orphan; the reclaimer cannot close it (blocks parked)
            // (a second maintain would find this cache idle and send the blocks home)
            assertTrue(producerArena == alloc.arenaOf(x[0]) && !producerArena.isClosed());
            final Set<Long> adopterBlocks = new HashSet<>();
            TestAllocators.onOtherThread("adopter", () ->
            {
                for (int i = 0; i < 2000; i++)
                {
                    final long b = alloc.allocate(64);
                    Patterns.fill(b, 64, 1000 + i);
                    adopterBlocks.add(b);
                }
                assertTrue(alloc.arenaOf(adopterBlocks.iterator().next()) == producerArena, "adopted the orphan");
            });
            for (final long b : x)
            {
                assertFalse(adopterBlocks.contains(b), "a parked block was handed to the adopter");
            }
            final Set<Long> mine = new HashSet<>();
            for (int i = 0; i < x.length; i++)
            {
                mine.add(alloc.allocate(64));
            }
            for (final long b : x)
            {
                assertTrue(mine.contains(b), "the parked blocks are reused here");
            }
        }
    }

    @Test
    void shouldReturnTheGlobalBudgetToZeroAfterCachedChurnAcrossThreadsDeathAndClose() throws Exception
    {
        final ArenaAllocator alloc = TestAllocators.builder(Policy.PER_THREAD).maxTotalBytes(64L << 20)
            .threadCacheBytes(16 << 10).build();
        final int n = 4000;
        final long[] blocks = new long[n];
        final CountDownLatch produced = new CountDownLatch(1);
        final CountDownLatch consumed = new CountDownLatch(1);
        final Thread producer = new Thread(() ->
        {
            for (int i = 0; i < n; i++)
            {
                blocks[i] = alloc.allocate(16 + (i % 16) * 16);
                Patterns.fill(blocks[i], 16 + (i % 16) * 16, i);
            }
            produced.countDown();
            try
            {
                TestAllocators.await(consumed);
            }
            catch (final InterruptedException ex)
            {
                Thread.currentThread().interrupt();
            }
            for (int i = 0; i < 1000; i++)
            {
                alloc.free(alloc.allocate(32)); // drains its inbox: parks what the consumer's spills sent home
            }
        }, "producer");
        producer.start();
        TestAllocators.await(produced);
        alloc.free(alloc.allocate(16)); // own arena: caches
        for (int i = 0; i < n; i++)
        {
            Patterns.check(blocks[i], 16 + (i % 16) * 16, i, "block " + i);
            alloc.free(blocks[i]); // parks, spills home to the living producer
        }
        consumed.countDown();
        producer.join();
        alloc.flushThreadCache();
        TestAllocators.settle(alloc);
        assertEquals(0, alloc.liveBytes(), "every block came back");
        alloc.close();
        assertEquals(0, alloc.committedBytes(), "the global budget came back to 0");
    }
    // ---------------------------------------------------------------------------------------------------------------
    // stress: churn, hand-offs, reallocate, flush, maintain, short-lived threads (orphans, adoption), threads without
    // an arena (maxThreadArenas reached: stripes); a live set catches any block handed out twice
    // ---------------------------------------------------------------------------------------------------------------

    @Test
    void shouldNeverHandOutABlockTwiceUnderChurnHandOffsReallocationsAndThreadDeaths() throws Exception
    {
        final io.arenaalloc.core.NativeMemorySource source = new io.arenaalloc.core.NativeMemorySource();
        final ArenaAllocator alloc = TestAllocators.builder(Policy.PER_THREAD).threadCacheBytes(16 << 10)
            .maxThreadArenas(3).drainInterval(8)
            .arenaConfig(io.arenaalloc.core.ArenaConfig.builder().chunkSize(TestAllocators.CHUNK).memorySource(source)
                .spareChunks(0).build())
            .build();
        final java.util.concurrent.ConcurrentHashMap<Long, Boolean> live = new java.util.concurrent.ConcurrentHashMap<>();
        final java.util.concurrent.ConcurrentLinkedQueue<long[]> shared = new java.util.concurrent.ConcurrentLinkedQueue<>();
        final AtomicReference<Throwable> failure = new AtomicReference<>();
        final long deadline = System.nanoTime() + java.util.concurrent.TimeUnit.SECONDS.toNanos(8);
        final int slots = 3;
        final Thread[] runners = new Thread[slots];
        for (int s = 0; s < slots; s++)
        {
            final int slot = s;
            runners[s] = new Thread(() ->
            {
                int generation = 0;
                while (System.nanoTime() - deadline < 0 && failure.get() == null)
                {
                    final long seed0 = slot * 1_000_003L + generation++;
                    final Thread worker = new Thread(() -> churn(alloc, live, shared, failure, seed0, deadline),
                        "worker-" + slot + "-" + generation);
                    worker.start();
                    try
                    {
                        worker.join();
                    }
                    catch (final InterruptedException ex)
                    {
                        return;
                    }
                }
            }, "runner-" + s);
            runners[s].start();
        }
        for (final Thread t : runners)
        {
            t.join();
        }
        assertNull(failure.get(), () -> { final java.io.StringWriter w = new java.io.StringWriter();
            failure.get().printStackTrace(new java.io.PrintWriter(w)); return w.toString(); });
        long[] e;
        while ((e = shared.poll()) != null)
        {
            Patterns.check(e[0], e[1], e[2], "at the end");
            live.remove(e[0]);
            alloc.free(e[0]);
        }
        assertTrue(live.isEmpty(), "every live block was accounted for: " + live.size() + " left");
        assertTrue(alloc.counters().get(AllocatorCounters.ARENAS_ADOPTED) > 0, "arenas of ended threads were adopted");
        assertTrue(alloc.counters().get(AllocatorCounters.THREAD_CACHE_PARKED) > 0, "the caches were used");
        assertTrue(alloc.counters().get(AllocatorCounters.THREAD_CACHE_SENT_HOME) > 0, "blocks were sent home");
        alloc.flushThreadCache();
        // the last workers' arenas become orphans only when a liveness scan (livenessScanNanos apart) sees their
        // threads ended; then a reclaim drains their inboxes: maintain until then, with a deadline
        final long homeBy = System.nanoTime() + java.util.concurrent.TimeUnit.SECONDS.toNanos(10);
        while (alloc.liveBytes() != 0 && System.nanoTime() - homeBy < 0)
        {
            alloc.maintain(1_000_000);
            Thread.sleep(1);
        }
        assertEquals(0, alloc.liveBytes(), "every block came home");
        alloc.close();
        assertEquals(0, alloc.committedBytes(), "global budget back to 0");
        assertEquals(0, source.reservedBytes(), "every byte went back to the memory source");
    }

    private static void churn(final ArenaAllocator alloc, final java.util.Map<Long, Boolean> live,
        final java.util.Queue<long[]> shared, final AtomicReference<Throwable> failure, final long seed0, final long deadline)
    {
        final java.util.SplittableRandom random = new java.util.SplittableRandom(seed0);
        final List<long[]> mine = new ArrayList<>();
        final int ops = 500 + random.nextInt(3000);
        try
        {
            for (int op = 0; op < ops && System.nanoTime() - deadline < 0 && failure.get() == null; op++)
            {
                final int what = random.nextInt(100);
                if (what < 40 || mine.isEmpty())
                {
                    final long size = random.nextInt(20) == 0 ? 4097 + random.nextInt(3000) : 16 + random.nextInt(500);
                    final long a = alloc.allocate(size);
                    if (live.putIfAbsent(a, Boolean.TRUE) != null)
                    {
                        throw new AssertionError("block 0x" + Long.toHexString(a) + " handed out twice (allocate)");
                    }
                    final long seed = random.nextLong();
                    Patterns.fill(a, size, seed);
                    mine.add(new long[] {a, size, seed});
                }
                else if (what < 75)
                {
                    final long[] e = mine.remove(random.nextInt(mine.size()));
                    Patterns.check(e[0], e[1], e[2], "before free");
                    live.remove(e[0]);
                    alloc.free(e[0]);
                }
                else if (what < 88)
                {
                    shared.add(mine.remove(random.nextInt(mine.size())));
                    final long[] e = shared.poll();
                    if (e != null)
                    {
                        Patterns.check(e[0], e[1], e[2], "after hand-off");
                        mine.add(e);
                    }
                }
                else if (what < 96)
                {
                    final int i = random.nextInt(mine.size());
                    final long[] e = mine.get(i);
                    Patterns.check(e[0], e[1], e[2], "before reallocate");
                    final long size = random.nextInt(4) == 0 ? 4097 + random.nextInt(3000) : 16 + random.nextInt(500);
                    live.remove(e[0]);
                    final long r;
                    try
                    {
                        r = alloc.reallocate(e[0], size);
                    }
                    catch (final IllegalStateException notOwner)
                    {
                        live.put(e[0], Boolean.TRUE);
                        continue;
                    }
                    Patterns.check(r, Math.min(size, e[1]), e[2], "after reallocate");
                    if (live.putIfAbsent(r, Boolean.TRUE) != null)
                    {
                        throw new AssertionError("block 0x" + Long.toHexString(r) + " handed out twice (reallocate)");
                    }
                    final long seed = random.nextLong();
                    Patterns.fill(r, size, seed);
                    mine.set(i, new long[] {r, size, seed});
                }
                else if (what < 98)
                {
                    alloc.flushThreadCache();
                }
                else
                {
                    alloc.maintain(0);
                }
            }
        }
        catch (final Throwable ex)
        {
            failure.compareAndSet(null, ex);
        }
        shared.addAll(mine); // the thread ends holding nothing: the others (or the test) free its blocks
    }
}
