package io.arenaalloc.threads;

import io.arenaalloc.core.FreeMark;
import io.arenaalloc.core.InvalidBlockException;
import io.arenaalloc.core.OffHeapArena;
import io.arenaalloc.core.SizeClasses;
import org.agrona.UnsafeApi;
import org.junit.jupiter.api.Test;

import java.util.HashSet;
import java.util.List;
import java.util.Set;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.atomic.AtomicReference;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * {@link ThreadBlockCache}: a thread keeps the small fixed blocks it frees, its own arena's and other threads', and
 * reuses them; every byte is checked through each hand-off, every double free is rejected at once, and the blocks go
 * home when the thread is idle, ends, flushes or the allocator closes.
 */
class ThreadBlockCacheTest
{
    private static final int N = 40;

    private static long counter(final ArenaAllocator alloc, final int id)
    {
        return alloc.counters().get(id);
    }

    /**
     * Sends this thread's parked blocks home and maintains twice (the scan orphans the ended producer's arena, the
     * reclaimer drains it and closes it when empty); then the producer's arena must be gone.
     */
    private static void assertProducerArenaClosed(final ArenaAllocator alloc, final long producerBlock)
    {
        alloc.flushThreadCache();
        alloc.maintain(0);
        alloc.maintain(0);
        assertNull(alloc.arenaOf(producerBlock), "the producer's arena got every block back and closed");
    }

    @Test
    void shouldReuseABlockItFreedForTheNextAllocationOfItsClass()
    {
        try (ArenaAllocator alloc = TestAllocators.create(Policy.PER_THREAD))
        {
            final long keep = alloc.allocate(100);
            Patterns.fill(keep, 100, 1);
            final long a = alloc.allocate(100);
            final OffHeapArena arena = alloc.arenaOf(a);
            final long live = arena.liveBlocks();
            alloc.free(a);
            assertEquals(live, arena.liveBlocks(), "the arena still counts the cached block");
            assertEquals(alloc.usableSize(keep), alloc.liveBytes(), "the allocator does not");
            assertEquals(1, counter(alloc, AllocatorCounters.THREAD_CACHE_PARKED));
            assertEquals(a, alloc.allocate(SizeClasses.classSize(SizeClasses.classOf(100))), "same class: reused");
            assertEquals(1, counter(alloc, AllocatorCounters.THREAD_CACHE_REUSED));
            Patterns.fill(a, 100, 2);
            Patterns.check(keep, 100, 1, "the other block");
            alloc.free(a);
            alloc.free(keep);
            alloc.flushThreadCache();
            assertEquals(0, arena.liveBlocks());
        }
    }

    @Test
    void shouldKeepAnotherThreadsBlocksAndHandThemOutWithEveryByteIntact() throws Exception
    {
        try (ArenaAllocator alloc = TestAllocators.create(Policy.PER_THREAD))
        {
            final long mine = alloc.allocate(64); // this thread owns an arena: it may cache
            final long[] theirs = new long[N];
            final AtomicReference<OffHeapArena> producerArena = new AtomicReference<>();
            TestAllocators.onOtherThread("producer", () ->
            {
                for (int i = 0; i < N; i++)
                {
                    theirs[i] = alloc.allocate(16 + 16 * (i % 4));
                    Patterns.fill(theirs[i], 16 + 16 * (i % 4), i);
                }
                producerArena.set(alloc.arenaOf(theirs[0]));
            });
            final OffHeapArena arena = producerArena.get();
            final Set<Long> given = new HashSet<>();
            for (int i = 0; i < N; i++)
            {
                Patterns.check(theirs[i], 16 + 16 * (i % 4), i, "block " + i + " after the hand-off");
                alloc.free(theirs[i]);
                given.add(theirs[i]);
            }
            assertEquals(N, counter(alloc, AllocatorCounters.THREAD_CACHE_PARKED));
            assertEquals(N, arena.liveBlocks(), "the producer's arena still holds every parked block");
            assertEquals(0, counter(alloc, AllocatorCounters.REMOTE_FREES_BATCHED), "nothing was sent home");
            for (int i = 0; i < N; i++)
            {
                final long b = alloc.allocate(16 + 16 * (i % 4));
                assertTrue(given.remove(b), "reused a parked block of the producer");
                Patterns.fill(b, 16 + 16 * (i % 4), -i);
                theirs[i] = b;
            }
            for (int i = 0; i < N; i++)
            {
                Patterns.check(theirs[i], 16 + 16 * (i % 4), -i, "reused block " + i);
                alloc.free(theirs[i]);
            }
            alloc.free(mine);
            assertTrue(alloc.flushThreadCache() >= N);
            alloc.maintain(0); // the scan orphans the producer's arena; the reclaimer drains it
            alloc.maintain(0);
            assertNull(alloc.arenaOf(theirs[0]), "the producer's arena got every block back and closed");
        }
    }

    @Test
    void shouldRejectASecondFreeOfACachedBlockAndChangeNothing()
    {
        try (ArenaAllocator alloc = TestAllocators.create(Policy.PER_THREAD))
        {
            final long a = alloc.allocate(48);
            alloc.free(a);
            final InvalidBlockException ex = assertThrows(InvalidBlockException.class, () -> alloc.free(a));
            assertTrue(ex.getMessage().contains("double free") && ex.getMessage().contains(Long.toHexString(a)),
                ex.getMessage());
            assertEquals(1, counter(alloc, AllocatorCounters.THREAD_CACHE_PARKED), "parked once");
            assertEquals(a, alloc.allocate(48));
            assertEquals(0, alloc.allocate(48) == a ? 1 : 0, "and handed out once");
        }
    }

    @Test
    void shouldRejectTheOwnersFreeOfABlockAnotherThreadCached() throws Exception
    {
        try (ArenaAllocator alloc = TestAllocators.create(Policy.PER_THREAD))
        {
            final long a = alloc.allocate(32);
            final long b = alloc.allocate(32);
            Patterns.fill(b, 32, 9);
            final OffHeapArena arena = alloc.arenaOf(a);
            TestAllocators.onOtherThread("freer", () ->
            {
                alloc.free(alloc.allocate(32)); // an arena of its own, so it caches
                alloc.free(a);
                assertTrue(FreeMark.isMarked(a), "parked, marked");
                // the thread ends with a in its cache: the liveness scan sends it home
            });
            final InvalidBlockException ex = assertThrows(InvalidBlockException.class, () -> alloc.free(a));
            assertTrue(ex.getMessage().contains("double free"), ex.getMessage());
            assertEquals(2, arena.liveBlocks(), "the rejected free changed nothing");
            alloc.maintain(0); // scan: the ended freer's cache goes home, this thread's arena drains it
            alloc.maintain(0);
            assertEquals(1, arena.liveBlocks(), "a came home exactly once");
            Patterns.check(b, 32, 9, "the neighbour");
            alloc.free(b);
        }
    }

    @Test
    void shouldRejectAFreeOfABlockItsArenaAlreadyHoldsFree() throws Exception
    {
        try (ArenaAllocator alloc = TestAllocators.create(Policy.PER_THREAD))
        {
            final long a = alloc.allocate(64);
            alloc.free(a); // cached here, marked
            final AtomicReference<Throwable> thrown = new AtomicReference<>();
            TestAllocators.onOtherThread("late-freer", () ->
            {
                alloc.free(alloc.allocate(64));
                thrown.set(assertThrows(InvalidBlockException.class, () -> alloc.free(a)));
            });
            assertTrue(thrown.get().getMessage().contains("double free"), thrown.get().getMessage());
            assertEquals(a, alloc.allocate(64), "still in this thread's cache, once");
        }
    }

    @Test
    void shouldRejectAFreeOfABlockStartThatWasNeverAllocated() throws Exception
    {
        try (ArenaAllocator alloc = TestAllocators.create(Policy.PER_THREAD))
        {
            final long a = alloc.allocate(64); // the first block of a new slab
            final long never = a + 64 * 5;
            assertThrows(InvalidBlockException.class, () -> alloc.free(never), "own thread");
            TestAllocators.onOtherThread("stranger", () ->
            {
                alloc.free(alloc.allocate(64));
                assertThrows(InvalidBlockException.class, () -> alloc.free(never), "another thread");
            });
            assertThrows(InvalidBlockException.class, () -> alloc.free(a + 8), "inside a block");
            alloc.free(a);
            alloc.flushThreadCache();
            assertEquals(0, alloc.liveBytes());
        }
    }

    @Test
    void shouldRejectAFreeOfABlockOnItsWayHome() throws Exception
    {
        try (ArenaAllocator alloc = TestAllocators.create(Policy.PER_THREAD))
        {
            final long keep = alloc.allocate(4000);
            final long a = alloc.allocate(48);
            Patterns.fill(keep, 4000, 5);
            final OffHeapArena arena = alloc.arenaOf(a);
            TestAllocators.onOtherThread("cacher", () ->
            {
                alloc.free(alloc.allocate(48));
                alloc.free(a); // cached here
                assertTrue(alloc.flushThreadCache() >= 1); // sent home: queued in this thread's arena's inbox, marked
            });
            TestAllocators.onOtherThread("late-freer", () ->
            {
                alloc.free(alloc.allocate(48));
                final InvalidBlockException ex = assertThrows(InvalidBlockException.class, () -> alloc.free(a));
                assertTrue(ex.getMessage().contains("double free"), ex.getMessage());
            });
            assertThrows(InvalidBlockException.class, () -> alloc.free(a), "nor by its owner");
            assertEquals(2, arena.liveBlocks(), "still in flight");
            alloc.allocate(16); // this thread's next allocation from its arena drains the inbox
            alloc.maintain(0);
            assertEquals(2, arena.liveBlocks(), "a freed exactly once (keep and the 16-byte block are live)");
            Patterns.check(keep, 4000, 5, "the neighbour");
            arena.validate();
        }
    }

    @Test
    void shouldRejectAMisalignedFreeOnAnyThreadAtOnce() throws Exception
    {
        try (ArenaAllocator alloc = TestAllocators.create(Policy.PER_THREAD))
        {
            final long a = alloc.allocate(64);
            assertThrows(InvalidBlockException.class, () -> alloc.free(a + 1));
            TestAllocators.onOtherThread("stranger", () ->
            {
                final InvalidBlockException ex = assertThrows(InvalidBlockException.class, () -> alloc.free(a + 8));
                assertTrue(ex.getMessage().contains("16-byte aligned"), ex.getMessage());
            });
            assertEquals(0, alloc.counters().get(AllocatorCounters.REMOTE_FREES_BATCHED), "nothing was queued");
            alloc.free(a);
        }
    }

    @Test
    void shouldSendCachedBlocksHomeOnceTheThreadIsIdle()
    {
        try (ArenaAllocator alloc = TestAllocators.create(Policy.PER_THREAD))
        {
            final long keep = alloc.allocate(4000);
            final long a = alloc.allocate(200);
            final OffHeapArena arena = alloc.arenaOf(a);
            alloc.free(a);
            alloc.maintain(0);
            assertEquals(2, arena.liveBlocks(), "busy since the last look: kept");
            alloc.maintain(0);
            assertEquals(1, arena.liveBlocks(), "idle since the last look: home");
            assertEquals(1, counter(alloc, AllocatorCounters.THREAD_CACHE_SENT_HOME));
            alloc.free(keep);
        }
    }

    @Test
    void shouldSendTheCacheOfAnEndedThreadHomeAndKeepEveryByte() throws Exception
    {
        try (ArenaAllocator alloc = TestAllocators.create(Policy.PER_THREAD))
        {
            final long[] blocks = new long[N];
            for (int i = 0; i < N; i++)
            {
                blocks[i] = alloc.allocate(24 + i);
                Patterns.fill(blocks[i], 24 + i, i);
            }
            final OffHeapArena arena = alloc.arenaOf(blocks[0]);
            TestAllocators.onOtherThread("consumer", () ->
            {
                alloc.free(alloc.allocate(8));
                for (int i = 0; i < N; i += 2)
                {
                    Patterns.check(blocks[i], 24 + i, i, "handed-off block " + i);
                    alloc.free(blocks[i]);
                }
            });
            assertEquals(N, arena.liveBlocks());
            alloc.maintain(0);
            alloc.maintain(0);
            assertEquals(N / 2, arena.liveBlocks(), "the ended consumer's cached blocks came home");
            for (int i = 1; i < N; i += 2)
            {
                Patterns.check(blocks[i], 24 + i, i, "kept block " + i);
                alloc.free(blocks[i]);
            }
            alloc.flushThreadCache();
            assertEquals(0, arena.liveBlocks());
        }
    }

    @Test
    void shouldKeepNoMoreThanItsCapacityAndFreeTheOwnersRestInItsArena()
    {
        try (ArenaAllocator alloc = TestAllocators.builder(Policy.PER_THREAD).threadCacheBytes(1024).build())
        {
            final long[] blocks = new long[100];
            for (int i = 0; i < blocks.length; i++)
            {
                blocks[i] = alloc.allocate(i % 2 == 0 ? 16 : 64);
            }
            final OffHeapArena arena = alloc.arenaOf(blocks[0]);
            for (final long b : blocks)
            {
                alloc.free(b);
            }
            final long parked = counter(alloc, AllocatorCounters.THREAD_CACHE_PARKED);
            assertTrue(parked > 0 && parked < blocks.length, "parked " + parked);
            assertEquals(parked, arena.liveBlocks(), "everything else was freed in the arena, none spilled");
            assertEquals(0, counter(alloc, AllocatorCounters.THREAD_CACHE_SENT_HOME));
            assertTrue(arena.liveBytes() <= 1024, "parked bytes within the budget: " + arena.liveBytes());
            arena.validate();
        }
    }

    @Test
    void shouldFreeTheOwnersBlockInItsArenaWhenTheClassIsFull()
    {
        try (ArenaAllocator alloc = TestAllocators.create(Policy.PER_THREAD))
        {
            final int depth = ThreadBlockCache.depthFor(AllocatorConfig.DEFAULT_THREAD_CACHE_BYTES);
            final long keep = alloc.allocate(4000);
            Patterns.fill(keep, 4000, 3);
            final long[] blocks = new long[depth + 1];
            for (int i = 0; i < blocks.length; i++)
            {
                blocks[i] = alloc.allocate(64);
                Patterns.fill(blocks[i], 64, i);
            }
            final OffHeapArena arena = alloc.arenaOf(keep);
            for (int i = 0; i < blocks.length; i++)
            {
                Patterns.check(blocks[i], 64, i, "block " + i + " at its free");
                alloc.free(blocks[i]);
            }
            assertEquals(depth, counter(alloc, AllocatorCounters.THREAD_CACHE_PARKED), "the class filled up");
            assertEquals(0, counter(alloc, AllocatorCounters.THREAD_CACHE_SENT_HOME), "an own block is not spilled");
            assertEquals(1 + depth, arena.liveBlocks(), "keep and the parked blocks; the last one is free in the arena");
            assertThrows(InvalidBlockException.class, () -> alloc.free(blocks[depth]), "and marked there");
            for (int i = depth - 1; i >= 0; i--)
            {
                assertEquals(blocks[i], alloc.allocate(64), "the youngest parked block first (LIFO), " + i);
            }
            assertEquals(1 + depth, arena.liveBlocks(), "reused, not allocated");
            Patterns.check(keep, 4000, 3, "the neighbour");
            arena.validate();
        }
    }

    @Test
    void shouldSpillAnotherThreadsBlocksHomeThroughItsInbox() throws Exception
    {
        try (ArenaAllocator alloc = TestAllocators.create(Policy.PER_THREAD))
        {
            final int depth = ThreadBlockCache.depthFor(AllocatorConfig.DEFAULT_THREAD_CACHE_BYTES);
            final long mine = alloc.allocate(4000); // this thread owns an arena: it may cache
            final long[] theirs = new long[depth + 1];
            final AtomicReference<OffHeapArena> producerArena = new AtomicReference<>();
            final long[] keep = new long[1];
            TestAllocators.onOtherThread("producer", () ->
            {
                keep[0] = alloc.allocate(4000);
                for (int i = 0; i < theirs.length; i++)
                {
                    theirs[i] = alloc.allocate(64);
                    Patterns.fill(theirs[i], 64, i);
                }
                producerArena.set(alloc.arenaOf(theirs[0]));
            });
            final OffHeapArena arena = producerArena.get();
            for (int i = 0; i < theirs.length; i++)
            {
                Patterns.check(theirs[i], 64, i, "block " + i + " after the hand-off");
                alloc.free(theirs[i]);
            }
            assertEquals(depth + 1, counter(alloc, AllocatorCounters.THREAD_CACHE_PARKED));
            assertEquals(depth / 2, counter(alloc, AllocatorCounters.THREAD_CACHE_SENT_HOME));
            assertEquals(depth / 2, counter(alloc, AllocatorCounters.REMOTE_FREES_BATCHED), "sent as remote frees");
            assertEquals(1 + depth + 1, arena.liveBlocks(), "in flight: the producer's arena has not seen them yet");
            alloc.maintain(0); // publishes this thread's batches; the scan orphans the producer's arena, the reclaimer drains it
            assertEquals(1 + depth / 2 + 1, arena.liveBlocks(), "the spilled half came home (keep + the parked half live)");
            for (int i = depth; i >= depth / 2; i--)
            {
                final long b = alloc.allocate(64);
                assertEquals(theirs[i], b, "the youngest parked block first, " + i);
                Patterns.fill(b, 64, -i);
            }
            for (int i = depth; i >= depth / 2; i--)
            {
                Patterns.check(theirs[i], 64, -i, "reused block " + i);
                alloc.free(theirs[i]);
            }
            alloc.free(keep[0]);
            alloc.free(mine);
            assertProducerArenaClosed(alloc, theirs[0]);
        }
    }

    @Test
    void shouldSpillHalfOfEveryClassWhenTheByteBudgetIsSpent() throws Exception
    {
        try (ArenaAllocator alloc = TestAllocators.builder(Policy.PER_THREAD).threadCacheBytes(1024).build())
        {
            final long mine = alloc.allocate(4000); // this thread owns an arena: it may cache
            final long[] sixtyFours = new long[16]; // 16 x 64 = 1024: the budget exactly
            final long[] small = new long[1];
            TestAllocators.onOtherThread("producer", () ->
            {
                for (int i = 0; i < sixtyFours.length; i++)
                {
                    sixtyFours[i] = alloc.allocate(64);
                }
                small[0] = alloc.allocate(32);
            });
            for (final long b : sixtyFours)
            {
                alloc.free(b);
            }
            assertEquals(0, counter(alloc, AllocatorCounters.THREAD_CACHE_SENT_HOME), "16 parked, the budget is full");
            alloc.free(small[0]); // 1024 + 32 > 1024: every class sends its older half home
            assertEquals(8, counter(alloc, AllocatorCounters.THREAD_CACHE_SENT_HOME));
            assertEquals(8, counter(alloc, AllocatorCounters.REMOTE_FREES_BATCHED), "to the producer's arena");
            assertEquals(17, counter(alloc, AllocatorCounters.THREAD_CACHE_PARKED), "and the free parked");
            assertEquals(small[0], alloc.allocate(32));
            for (int i = 15; i >= 8; i--)
            {
                assertEquals(sixtyFours[i], alloc.allocate(64), "the younger half stayed, " + i);
            }
            for (int i = 8; i < 16; i++)
            {
                alloc.free(sixtyFours[i]);
            }
            alloc.free(small[0]);
            alloc.free(mine);
            assertProducerArenaClosed(alloc, sixtyFours[0]);
        }
    }

    @Test
    void shouldNeverParkMoreThanTheBudgetEvenForABlockLargerThanIt() throws Exception
    {
        try (ArenaAllocator alloc = TestAllocators.builder(Policy.PER_THREAD).threadCacheBytes(1024).build())
        {
            final long mine = alloc.allocate(4000); // this thread owns an arena: it may cache
            final long[] theirs = new long[2];
            TestAllocators.onOtherThread("producer", () ->
            {
                theirs[0] = alloc.allocate(512);
                theirs[1] = alloc.allocate(2048);
                Patterns.fill(theirs[1], 2048, 7);
            });
            alloc.free(theirs[0]); // 512 of 1024: parks
            assertEquals(1, counter(alloc, AllocatorCounters.THREAD_CACHE_PARKED));
            Patterns.check(theirs[1], 2048, 7, "before its free");
            alloc.free(theirs[1]); // 2048 > 1024: the spill empties the cache and the block still does not fit
            assertEquals(1, counter(alloc, AllocatorCounters.THREAD_CACHE_PARKED), "not parked");
            assertEquals(1, counter(alloc, AllocatorCounters.THREAD_CACHE_SENT_HOME), "the 512-byte block spilled");
            assertEquals(2, counter(alloc, AllocatorCounters.REMOTE_FREES_BATCHED), "both went home as remote frees");
            assertEquals(0, alloc.tableContextForTest().cache.bytes(), "nothing parked");
            alloc.free(mine);
            alloc.maintain(0);
            alloc.maintain(0);
            assertNull(alloc.arenaOf(theirs[0]), "the producer's arena got both blocks back and closed");
        }
    }

    @Test
    void shouldParkTheOwnersBlocksAsItsCaches()
    {
        try (ArenaAllocator alloc = TestAllocators.create(Policy.PER_THREAD))
        {
            // 3 MiB of 1 KiB blocks fill most of a 4 MiB chunk, which the memory source seldom aligns on 4 MiB: the
            // blocks then lie in two of the descriptor cache's windows. Freed from both ends in turn, each of the
            // first depth frees must park (own blocks included), as they did not when the descriptor cache learnt
            // one window of a chunk at a time.
            final int depth = ThreadBlockCache.depthFor(AllocatorConfig.DEFAULT_THREAD_CACHE_BYTES);
            final long[] blocks = new long[3072];
            for (int i = 0; i < blocks.length; i++)
            {
                blocks[i] = alloc.allocate(1024);
                UnsafeApi.putLong(blocks[i] + 16, i);
            }
            final OffHeapArena arena = alloc.arenaOf(blocks[0]);
            for (int k = 0; k < blocks.length; k++)
            {
                final int i = (k & 1) == 0 ? k / 2 : blocks.length - 1 - k / 2;
                assertEquals(i, UnsafeApi.getLong(blocks[i] + 16));
                alloc.free(blocks[i]);
                if (k < depth)
                {
                    assertEquals(k + 1, counter(alloc, AllocatorCounters.THREAD_CACHE_PARKED), "free " + k + " parked");
                }
            }
            assertEquals(depth, arena.liveBlocks(), "the class full, the rest freed in the arena");
            alloc.flushThreadCache();
            assertEquals(0, arena.liveBlocks());
        }
    }

    @Test
    void shouldRelearnAnOwnChunkTheDescriptorCacheLost()
    {
        try (ArenaAllocator alloc = TestAllocators.create(Policy.PER_THREAD))
        {
            final long medium = alloc.allocate(10_000);
            final long a = alloc.allocate(64);
            final long b = alloc.allocate(64);
            alloc.free(medium); // teaches the context's chunk cache (ownsPlain) the chunk
            alloc.free(a); // teaches the descriptor cache the chunk
            assertEquals(1, counter(alloc, AllocatorCounters.THREAD_CACHE_PARKED));
            final AddressMap.Descriptor real = alloc.addressMap().find(b);
            final long far = 1L << (ThreadBlockCache.DESCRIPTOR_SHIFT + 4); // 16 windows on: the same entries
            final ThreadBlockCache cache = alloc.tableContextForTest().cache;
            cache.remember(new AddressMap.Descriptor(real.arena, real.base + far, real.end - real.base, real.slabMap));
            alloc.free(b); // the context still knows the chunk; the descriptor cache lost it: it must learn it again
            assertEquals(2, counter(alloc, AllocatorCounters.THREAD_CACHE_PARKED), "parked like any other block");
            assertEquals(ThreadBlockCache.NOT_PARKED, cache.tryFree(b + 8, null, null), "and the chunk is known again");
        }
    }

    @Test
    void shouldHoldOneBlockAClassPer4KiBOfBudgetFrom16To64()
    {
        assertEquals(16, ThreadBlockCache.depthFor(1));
        assertEquals(16, ThreadBlockCache.depthFor(64 << 10));
        assertEquals(32, ThreadBlockCache.depthFor(128 << 10));
        assertEquals(64, ThreadBlockCache.depthFor(AllocatorConfig.DEFAULT_THREAD_CACHE_BYTES));
        assertEquals(64, ThreadBlockCache.depthFor(AllocatorConfig.MAX_THREAD_CACHE_BYTES));
    }

    @Test
    void shouldKeepTwoNeighbourChunksThatShareAWindow()
    {
        try (ArenaAllocator alloc = TestAllocators.create(Policy.PER_THREAD))
        {
            final long a = alloc.allocate(64);
            final AddressMap.Descriptor real = alloc.addressMap().find(a);
            final long window = 1L << ThreadBlockCache.DESCRIPTOR_SHIFT;
            // two made-up chunks of one window's length, side by side, neither aligned: they share a window
            final long base = ((real.base + window - 1) & -window) + window / 4;
            final AddressMap.Descriptor first = new AddressMap.Descriptor(real.arena, base, window, real.slabMap);
            final AddressMap.Descriptor second = new AddressMap.Descriptor(real.arena, base + window, window, real.slabMap);
            final ThreadBlockCache cache = new ThreadBlockCache(1 << 16);
            cache.remember(first);
            cache.remember(second);
            final long sharedWindowOfFirst = base + window - 8; // both in the window starting at base + 3/4 window
            final long sharedWindowOfSecond = base + window + 8;
            for (int i = 0; i < 3; i++)
            {
                assertEquals(ThreadBlockCache.NOT_PARKED, cache.tryFree(sharedWindowOfFirst, null, null), "first, " + i);
                assertEquals(ThreadBlockCache.NOT_PARKED, cache.tryFree(sharedWindowOfSecond, null, null), "second, " + i);
            }
            assertEquals(ThreadBlockCache.NOT_PARKED, cache.tryFree(base + 8, null, null), "first's own window");
            alloc.free(a);
        }
    }

    @Test
    void shouldLearnEveryWindowAChunkOverlaps()
    {
        try (ArenaAllocator alloc = TestAllocators.create(Policy.PER_THREAD))
        {
            final long a = alloc.allocate(64);
            final AddressMap.Descriptor real = alloc.addressMap().find(a);
            final long window = 1L << ThreadBlockCache.DESCRIPTOR_SHIFT;
            // a made-up chunk of two windows' length starting in the middle of one: it overlaps three
            final long base = ((real.base + window - 1) & -window) + window / 2;
            final AddressMap.Descriptor d = new AddressMap.Descriptor(real.arena, base, 2 * window, real.slabMap);
            final ThreadBlockCache cache = new ThreadBlockCache(1 << 16);
            assertEquals(ThreadBlockCache.UNKNOWN_CHUNK, cache.tryFree(base + 8, null, null));
            cache.remember(d);
            // addresses that are no block start: known chunk, nothing parked, no memory read
            assertEquals(ThreadBlockCache.NOT_PARKED, cache.tryFree(base + 8, null, null), "first window");
            assertEquals(ThreadBlockCache.NOT_PARKED, cache.tryFree(base + window + 8, null, null), "middle window");
            assertEquals(ThreadBlockCache.NOT_PARKED, cache.tryFree(base + 2 * window - 8, null, null), "last window");
            assertEquals(ThreadBlockCache.UNKNOWN_CHUNK, cache.tryFree(base - 8, null, null), "just before the chunk");
            assertEquals(ThreadBlockCache.UNKNOWN_CHUNK, cache.tryFree(base + 2 * window + 8, null, null), "just after it");
            alloc.free(a);
        }
    }

    @Test
    void shouldLeaveHandlesLargeBlocksAndThreadsWithoutAnArenaOutOfTheCache() throws Exception
    {
        try (ArenaAllocator alloc = TestAllocators.create(Policy.PER_THREAD))
        {
            final long h = alloc.allocateHandle(64);
            final long medium = alloc.allocate(SizeClasses.SMALL_MAX + 1);
            final OffHeapArena arena = alloc.arenaOf(medium);
            alloc.free(h);
            alloc.free(medium);
            assertEquals(0, arena.liveBlocks(), "not cached: freed at once");
            final long small = alloc.allocate(64);
            TestAllocators.onOtherThread("only-frees", () -> alloc.free(small)); // no arena: the remote-free path
            assertEquals(0, counter(alloc, AllocatorCounters.THREAD_CACHE_PARKED));
            assertEquals(1, counter(alloc, AllocatorCounters.REMOTE_FREES_BATCHED));
        }
        try (ArenaAllocator alloc = TestAllocators.builder(Policy.PER_THREAD).threadCacheBytes(0).build())
        {
            final long a = alloc.allocate(64);
            final OffHeapArena arena = alloc.arenaOf(a);
            alloc.free(a);
            assertEquals(0, arena.liveBlocks(), "no cache: freed at once");
            assertEquals(0, counter(alloc, AllocatorCounters.THREAD_CACHE_PARKED));
        }
    }

    @Test
    void shouldMissOnADescriptorWhoseChunkLeftTheMap()
    {
        try (ArenaAllocator alloc = TestAllocators.create(Policy.PER_THREAD))
        {
            final long a = alloc.allocate(64);
            final AddressMap.Descriptor real = alloc.addressMap().find(a);
            assertNotNull(real.slabMap);
            // the same chunk in a map of its own, so that removing it there leaves the allocator alone
            final AddressMap map = new AddressMap();
            final AddressMap.Descriptor d = new AddressMap.Descriptor(real.arena, real.base, real.end - real.base,
                real.slabMap);
            map.add(d);
            final ThreadBlockCache cache = new ThreadBlockCache(1 << 16);
            cache.remember(d);
            assertFalse(d.isRemovedPlain());
            assertTrue(map.remove(real.arena, real.base, real.end - real.base));
            assertTrue(d.isRemovedPlain(), "removal marks the descriptor");
            assertEquals(ThreadBlockCache.UNKNOWN_CHUNK, cache.tryFree(a, null, null), "a removed descriptor is a miss, never used");
            assertFalse(FreeMark.isMarked(a));
            alloc.free(a);
        }
    }

    @Test
    void shouldGiveCachedBlocksBackAtCloseSoNoArenaReportsThemAsLeaks()
    {
        final ArenaAllocator alloc = TestAllocators.create(Policy.PER_THREAD);
        final long a = alloc.allocate(64);
        final OffHeapArena arena = alloc.arenaOf(a);
        alloc.free(a);
        assertEquals(1, arena.liveBlocks(), "cached");
        alloc.close();
        assertEquals(0, arena.liveBlocks(), "freed into its arena before the arena closed");
    }

    // ---------------------------------------------------------------------------------------------------------------
    // step 5: the owner parks the remote frees of its small blocks while it drains before an allocation
    // ---------------------------------------------------------------------------------------------------------------

    /** Frees {@code blocks} on a thread that owns no arena (so each free is a remote free through its outbox). */
    private static void freeOnAThreadWithoutAnArena(final ArenaAllocator alloc, final long... blocks) throws Exception
    {
        TestAllocators.onOtherThread("freer", () ->
        {
            for (final long b : blocks)
            {
                alloc.free(b);
            }
        });
    }

    @Test
    void shouldParkRemoteFreesOfItsOwnBlocksWhileDrainingAndServeTheNextAllocationsFromThem() throws Exception
    {
        try (ArenaAllocator alloc = TestAllocators.builder(Policy.PER_THREAD).drainInterval(1).build())
        {
            final long keep = alloc.allocate(4000);
            Patterns.fill(keep, 4000, 7);
            final long[] blocks = new long[N];
            final Set<Long> freed = new HashSet<>();
            for (int i = 0; i < N; i++)
            {
                blocks[i] = alloc.allocate(100);
                Patterns.fill(blocks[i], 100, i);
                freed.add(blocks[i]);
            }
            final OffHeapArena arena = alloc.arenaOf(keep);
            freeOnAThreadWithoutAnArena(alloc, blocks);
            assertEquals(N, counter(alloc, AllocatorCounters.REMOTE_FREES_BATCHED),
                "remote frees, not parked by the freer");
            assertEquals(0, counter(alloc, AllocatorCounters.THREAD_CACHE_PARKED));

            final long other = alloc.allocate(1000); // another class: the drain before it parks the 40 blocks
            assertFalse(freed.contains(other));
            assertEquals(N, counter(alloc, AllocatorCounters.THREAD_CACHE_PARKED), "parked by the owner");
            assertEquals(2 + N, arena.liveBlocks(), "the arena still counts them: parked, not freed there");
            assertEquals(N, arena.counters().getOpaque(io.arenaalloc.core.ArenaCounters.REMOTE_FREES_APPLIED));
            for (final long b : blocks)
            {
                assertTrue(FreeMark.isMarked(b), "a parked block carries its mark");
            }
            final InvalidBlockException again = assertThrows(InvalidBlockException.class, () -> alloc.free(blocks[3]),
                "a free of a block the owner parked is a double free");
            assertTrue(again.getMessage().contains("double free"), again.getMessage());

            final long reusedBefore = counter(alloc, AllocatorCounters.THREAD_CACHE_REUSED);
            for (int i = 0; i < N; i++)
            {
                final long b = alloc.allocate(100);
                assertTrue(freed.remove(b), "served from the parked blocks, " + i);
                Patterns.fill(b, 100, 1000 + i);
                blocks[i] = b;
            }
            assertEquals(N, counter(alloc, AllocatorCounters.THREAD_CACHE_REUSED) - reusedBefore);
            assertEquals(2 + N, arena.liveBlocks(), "reused, not allocated");
            for (int i = 0; i < N; i++)
            {
                Patterns.check(blocks[i], 100, 1000 + i, "reused block " + i);
                alloc.free(blocks[i]);
            }
            Patterns.check(keep, 4000, 7, "the neighbour");
            alloc.free(keep);
            alloc.free(other);
            alloc.flushThreadCache();
            assertEquals(0, arena.liveBlocks(), "every block back in the arena");
            arena.validate();
        }
    }

    @Test
    void shouldRejectTheSecondFreeOfAThreadWithoutAnArenaAtOnceAndParkTheBlockOnce() throws Exception
    {
        final List<Throwable> errors = new CopyOnWriteArrayList<>();
        try (ArenaAllocator alloc = TestAllocators.builder(Policy.PER_THREAD).drainInterval(1).errorHandler(errors::add)
            .build())
        {
            final long keep = alloc.allocate(4000);
            final long a = alloc.allocate(100);
            final OffHeapArena arena = alloc.arenaOf(a);
            TestAllocators.onOtherThread("freer", () ->
            {
                alloc.free(a); // checked and marked on this thread, queued marked (no arena, so no cache, here)
                final long batched = counter(alloc, AllocatorCounters.REMOTE_FREES_BATCHED);
                final InvalidBlockException ex = assertThrows(InvalidBlockException.class, () -> alloc.free(a));
                assertTrue(ex.getMessage().contains("double free") && ex.getMessage().contains(Long.toHexString(a)),
                    ex.getMessage());
                assertEquals(batched, counter(alloc, AllocatorCounters.REMOTE_FREES_BATCHED), "nothing queued");
            });
            alloc.allocate(1000); // the drain parks a, with the mark it carries
            assertTrue(errors.isEmpty(), () -> "nothing left for the owner to find: " + errors);
            assertEquals(0, counter(alloc, AllocatorCounters.REMOTE_FREE_ERRORS));
            assertEquals(1, counter(alloc, AllocatorCounters.THREAD_CACHE_PARKED), "parked once");
            assertEquals(a, alloc.allocate(100), "the block comes back once");
            final long b = alloc.allocate(100);
            assertTrue(b != a, "and only once");
            Patterns.fill(a, 100, 1);
            Patterns.fill(b, 100, 2);
            Patterns.check(a, 100, 1, "a");
            alloc.free(a);
            alloc.free(b);
            alloc.free(keep);
            arena.validate();
        }
    }

    @Test
    void shouldParkABlockAnotherThreadsCacheSentHomeWithTheMarkItCarries() throws Exception
    {
        try (ArenaAllocator alloc = TestAllocators.builder(Policy.PER_THREAD).drainInterval(1).build())
        {
            final long keep = alloc.allocate(4000);
            final long a = alloc.allocate(100);
            Patterns.fill(a, 100, 5);
            final OffHeapArena arena = alloc.arenaOf(a);
            TestAllocators.onOtherThread("cacher", () ->
            {
                final long theirs = alloc.allocate(64); // owns an arena: it parks a, then sends it home
                Patterns.check(a, 100, 5, "a after the hand-off");
                alloc.free(a);
                alloc.flushThreadCache();
                alloc.free(theirs);
            });
            assertEquals(1, counter(alloc, AllocatorCounters.THREAD_CACHE_SENT_HOME));
            assertTrue(FreeMark.isMarked(a), "on its way home, still marked");
            final long parkedBefore = counter(alloc, AllocatorCounters.THREAD_CACHE_PARKED);
            alloc.allocate(1000); // the drain parks it here, mark kept
            assertEquals(1, counter(alloc, AllocatorCounters.THREAD_CACHE_PARKED) - parkedBefore, "parked here");
            assertTrue(FreeMark.isMarked(a));
            assertThrows(InvalidBlockException.class, () -> alloc.free(a), "still a double free here");
            assertEquals(a, alloc.allocate(100), "served from the owner's cache");
            assertFalse(FreeMark.isMarked(a), "live again");
            Patterns.fill(a, 100, 6);
            Patterns.check(a, 100, 6, "a reused");
            alloc.free(a);
            alloc.free(keep);
            alloc.flushThreadCache();
            assertEquals(1, arena.liveBlocks(), "the block of 1000 bytes");
            arena.validate();
        }
    }

    @Test
    void shouldFreeRemoteFreesInTheArenaWhenMaintainingOrWhenTheClassIsFull() throws Exception
    {
        final long budget = 1 << 16;
        final int depth = ThreadBlockCache.depthFor(budget);
        try (ArenaAllocator alloc = TestAllocators.builder(Policy.PER_THREAD).drainInterval(1).threadCacheBytes(budget)
            .build())
        {
            final long keep = alloc.allocate(4000);
            final OffHeapArena arena = alloc.arenaOf(keep);
            final long[] blocks = new long[depth + 8];
            for (int i = 0; i < blocks.length; i++)
            {
                blocks[i] = alloc.allocate(64);
            }
            freeOnAThreadWithoutAnArena(alloc, blocks[0]);
            alloc.maintain(0);
            assertEquals(blocks.length, arena.liveBlocks(), "maintain frees in the arena, it does not park");
            assertEquals(0, counter(alloc, AllocatorCounters.THREAD_CACHE_PARKED));

            final long[] rest = java.util.Arrays.copyOfRange(blocks, 1, blocks.length);
            freeOnAThreadWithoutAnArena(alloc, rest);
            final long other = alloc.allocate(1000);
            assertEquals(depth, counter(alloc, AllocatorCounters.THREAD_CACHE_PARKED), "the class filled up");
            assertEquals(1 + depth + 1, arena.liveBlocks(), "keep, the parked blocks and the block of 1000 bytes");
            for (final long b : rest)
            {
                assertTrue(FreeMark.isMarked(b), "parked or free in the arena: marked either way");
            }
            alloc.free(other);
            alloc.free(keep);
            alloc.flushThreadCache();
            assertEquals(0, arena.liveBlocks());
            arena.validate();
        }
    }
}
