package io.arenaalloc.threads;

import io.arenaalloc.core.ArenaConfig;
import io.arenaalloc.core.ArenaCounters;
import io.arenaalloc.core.InvalidBlockException;
import io.arenaalloc.core.OffHeapArena;
import org.agrona.concurrent.NoOpIdleStrategy;
import org.junit.jupiter.api.Test;

import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * Frees by threads that do not own the block: batching, draining, full inboxes, bad frees, the bound. The
 * allocators have no {@link ThreadBlockCache}, which would keep small blocks on the freeing thread instead
 * ({@code ThreadBlockCacheTest} covers that path).
 */
class RemoteFreeTest
{
    @Test
    void shouldBatchRemoteFreesAndApplyThemAtTheOwnersNextDrain() throws Exception
    {
        try (ArenaAllocator alloc = TestAllocators.builderWithoutThreadCache(Policy.PER_THREAD).build())
        {
            final int n = 1000;
            final long[] blocks = new long[n];
            for (int i = 0; i < n; i++)
            {
                blocks[i] = alloc.allocate(64);
            }
            final OffHeapArena arena = alloc.arenaOf(blocks[0]);
            TestAllocators.onOtherThread("freer", () ->
            {
                for (final long b : blocks)
                {
                    alloc.free(b);
                }
            });
            assertEquals(n, arena.liveBlocks(), "remote frees wait for the owner");
            assertEquals(n, alloc.counters().get(AllocatorCounters.REMOTE_FREES_BATCHED));
            assertEquals((n + 63) / 64, alloc.counters().get(AllocatorCounters.BATCHES_PUBLISHED),
                "one publication (one CAS) per 64 frees");

            // drainInterval (64) calls on the owner's arena drain the inbox without any maintain call
            final long[] fresh = new long[64];
            for (int i = 0; i < fresh.length; i++)
            {
                fresh[i] = alloc.allocate(64);
            }
            assertEquals(64, arena.liveBlocks());
            assertEquals(n, arena.counters().getOpaque(ArenaCounters.REMOTE_FREES_APPLIED));
            for (final long b : fresh)
            {
                alloc.free(b);
            }
            assertEquals(0, arena.liveBlocks());
        }
    }

    @Test
    void shouldApplyRemoteFreesWithinDrainIntervalAllocationsOfTheOwnerButNotOnItsFrees() throws Exception
    {
        try (ArenaAllocator alloc = TestAllocators.builderWithoutThreadCache(Policy.PER_THREAD).drainInterval(8).build())
        {
            final long[] own = new long[16];
            final long[] remote = new long[8];
            for (int i = 0; i < own.length; i++)
            {
                own[i] = alloc.allocate(48);
                Patterns.fill(own[i], 48, i);
            }
            for (int i = 0; i < remote.length; i++)
            {
                remote[i] = alloc.allocate(96);
            }
            final OffHeapArena arena = alloc.arenaOf(own[0]);
            TestAllocators.onOtherThread("freer", () ->
            {
                for (final long b : remote)
                {
                    alloc.free(b);
                }
            });
            for (int i = 0; i < own.length; i++)
            {
                Patterns.check(own[i], 48, i, "own block");
                alloc.free(own[i]);
            }
            assertEquals(remote.length, arena.liveBlocks(), "the owner's frees do not drain its inbox");
            assertEquals(0, arena.counters().getOpaque(ArenaCounters.REMOTE_FREES_APPLIED));
            final long[] fresh = new long[8];
            for (int i = 0; i < fresh.length; i++)
            {
                fresh[i] = alloc.allocate(48); // drainInterval (8) allocations reach the drain mark
            }
            assertEquals(remote.length, arena.counters().getOpaque(ArenaCounters.REMOTE_FREES_APPLIED));
            assertEquals(fresh.length, arena.liveBlocks());
            for (final long b : fresh)
            {
                alloc.free(b);
            }
            assertEquals(0, arena.liveBlocks());
        }
    }

    @Test
    void shouldMakeFreedBytesReusableWhileTheOwnerOnlyIdles() throws Exception
    {
        try (ArenaAllocator alloc = TestAllocators.builderWithoutThreadCache(Policy.PER_THREAD).build())
        {
            final long[] blocks = new long[500];
            final CountDownLatch allocated = new CountDownLatch(1);
            final AtomicBoolean stop = new AtomicBoolean();
            final OffHeapArena[] arena = new OffHeapArena[1];
            final Thread owner = new Thread(() ->
            {
                for (int i = 0; i < blocks.length; i++)
                {
                    blocks[i] = alloc.allocate(100);
                }
                arena[0] = alloc.arenaOf(blocks[0]);
                allocated.countDown();
                final MaintainingIdleStrategy idle = new MaintainingIdleStrategy(alloc, NoOpIdleStrategy.INSTANCE, 10_000);
                while (!stop.get())
                {
                    idle.idle(0); // an event loop with nothing to do: never allocates again
                    Thread.onSpinWait();
                }
            }, "idle-owner");
            owner.start();
            TestAllocators.await(allocated);
            for (final long b : blocks)
            {
                alloc.free(b);
            }
            final long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(10);
            while (arena[0].counters().getOpaque(ArenaCounters.LIVE_BLOCKS) != 0 && System.nanoTime() < deadline)
            {
                Thread.sleep(1);
            }
            stop.set(true);
            owner.join();
            assertEquals(0, arena[0].counters().getOpaque(ArenaCounters.LIVE_BLOCKS),
                "the idle owner applied every remote free");
        }
    }

    @Test
    void shouldSeeTheFreesOfAFreerThatStopsInTheMiddleOfABatch() throws Exception
    {
        try (ArenaAllocator alloc = TestAllocators.builderWithoutThreadCache(Policy.PER_THREAD).build())
        {
            final long[] blocks = {alloc.allocate(64), alloc.allocate(64), alloc.allocate(64)};
            final OffHeapArena arena = alloc.arenaOf(blocks[0]);
            final CountDownLatch freed = new CountDownLatch(1);
            final CountDownLatch release = new CountDownLatch(1);
            final Thread freer = new Thread(() ->
            {
                for (final long b : blocks)
                {
                    alloc.free(b);
                }
                freed.countDown();
                try
                {
                    release.await(); // alive, silent, its batch 3/64 full
                }
                catch (final InterruptedException ignore)
                {
                    Thread.currentThread().interrupt();
                }
            }, "silent-freer");
            freer.start();
            TestAllocators.await(freed);
            assertEquals(3, arena.liveBlocks());
            alloc.maintain(0);
            assertEquals(0, arena.liveBlocks(), "batches are published when opened: no flush needed");
            release.countDown();
            freer.join();
        }
    }

    @Test
    void shouldNeverLoseAFreeWhenTheBatchQueueIsFull() throws Exception
    {
        try (ArenaAllocator alloc = TestAllocators.builderWithoutThreadCache(Policy.PER_THREAD).inboxCapacity(2).remoteFreeBatchSize(1).build())
        {
            for (int round = 0; round < 3; round++)
            {
                final long[] blocks = new long[200];
                for (int i = 0; i < blocks.length; i++)
                {
                    blocks[i] = alloc.allocate(32);
                }
                final OffHeapArena arena = alloc.arenaOf(blocks[0]);
                final long overflowedBefore = alloc.counters().get(AllocatorCounters.BATCHES_OVERFLOWED);
                TestAllocators.onOtherThread("freer-" + round, () ->
                {
                    for (final long b : blocks)
                    {
                        alloc.free(b);
                    }
                });
                assertTrue(alloc.counters().get(AllocatorCounters.BATCHES_OVERFLOWED) - overflowedBefore >= 198,
                    "a queue of 2 batches overflows onto the stack");
                alloc.maintain(0);
                assertEquals(0, arena.liveBlocks(), "round " + round + ": every free arrived");
            }
        }
    }

    @Test
    void shouldNeverLoseASingleFreeWhenTheRingIsFull()
    {
        try (ArenaAllocator alloc = TestAllocators.builderWithoutThreadCache(Policy.PER_THREAD).ringCapacity(2).build())
        {
            final long[] blocks = new long[10];
            for (int i = 0; i < blocks.length; i++)
            {
                blocks[i] = alloc.allocate(48);
            }
            final ManagedArena m = alloc.managedArenaOf(blocks[0]);
            int overflowed = 0;
            for (final long b : blocks)
            {
                // the path of a thread without an outbox (a virtual thread), taken directly
                if (!m.inbox.offerSingle(b))
                {
                    m.inbox.pushOverflowSingle(b);
                    overflowed++;
                }
            }
            assertEquals(8, overflowed, "a ring of 2 takes 2");
            assertEquals(10, m.arena.liveBlocks());
            assertEquals(10, m.inbox.drain());
            assertEquals(0, m.arena.liveBlocks());
            assertTrue(m.inbox.isQuiescent());
        }
    }

    /** Larger than {@code SizeClasses.SMALL_MAX}: a medium block, which a thread without a context frees under its stripe's lock. */
    private static final int MEDIUM = 8192;

    @Test
    void shouldFreeAMediumBlockIntoABusyStripeThroughItsRingAndWaitOnlyWhenTheRingIsFull() throws Exception
    {
        try (ArenaAllocator alloc = TestAllocators.builderWithoutThreadCache(Policy.STRIPED).ringCapacity(2).build())
        {
            final long[] blocks = new long[10];
            for (int i = 0; i < blocks.length; i++)
            {
                blocks[i] = alloc.allocate(MEDIUM);
            }
            final ManagedArena m = alloc.managedArenaOf(blocks[0]);
            for (final long b : blocks)
            {
                assertEquals(m, alloc.managedArenaOf(b), "one thread, one stripe");
            }
            assertTrue(m.tryLock());
            final Thread freer = new Thread(() ->
            {
                for (final long b : blocks)
                {
                    alloc.free(b);
                }
            }, "striped-freer");
            freer.start();
            final long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(10);
            while (alloc.counters().get(AllocatorCounters.RING_FULL_LOCKED_FREES) == 0 && System.nanoTime() < deadline)
            {
                Thread.sleep(1);
            }
            assertTrue(freer.isAlive(), "the third waits for the lock: the ring is full");
            m.unlockRelease();
            freer.join();
            alloc.maintain(0);
            assertEquals(0, m.arena.liveBlocks());
            assertEquals(2, alloc.counters().get(AllocatorCounters.SINGLE_FREES), "two frees went through the ring");
        }
    }

    @Test
    void shouldFreeSmallBlocksOfABusyStripeThroughTheFreersOwnStripeWithoutWaiting() throws Exception
    {
        try (ArenaAllocator alloc = TestAllocators.builderWithoutThreadCache(Policy.STRIPED).ringCapacity(2).build())
        {
            final long[] blocks = new long[100];
            for (int i = 0; i < blocks.length; i++)
            {
                blocks[i] = alloc.allocate(48);
                Patterns.fill(blocks[i], 48, i);
            }
            final long survivor = alloc.allocate(48);
            Patterns.fill(survivor, 48, -1);
            final ManagedArena m = alloc.managedArenaOf(blocks[0]);
            assertTrue(m.tryLock()); // the blocks' stripe is busy the whole time: the freer never waits for it
            final Thread freer = new Thread(() ->
            {
                for (int i = 0; i < blocks.length; i++)
                {
                    Patterns.check(blocks[i], 48, i, "block " + i + " before its free");
                    alloc.free(blocks[i]);
                }
            }, "striped-freer");
            freer.start();
            freer.join(TimeUnit.SECONDS.toMillis(10));
            assertFalse(freer.isAlive(), "the freer finished while the blocks' stripe stayed locked");
            assertEquals(101, m.arena.liveBlocks(), "queued for the stripe, not applied yet");
            assertEquals(100, alloc.counters().get(AllocatorCounters.REMOTE_FREES_BATCHED),
                "through the freer's own stripe's outbox (its lock found the blocks' stripe taken and moved on)");
            assertEquals(0, alloc.counters().get(AllocatorCounters.SINGLE_FREES), "no ring");
            assertEquals(0, alloc.counters().get(AllocatorCounters.RING_FULL_LOCKED_FREES), "no wait");
            m.unlockRelease();
            alloc.maintain(0);
            assertEquals(1, m.arena.liveBlocks(), "the stripe's maintenance applied the marked frees");
            assertEquals(0, alloc.counters().get(AllocatorCounters.REMOTE_FREE_ERRORS));
            Patterns.check(survivor, 48, -1, "the survivor");
            alloc.free(survivor);
        }
    }

    @Test
    void shouldFallBackToTheRingThenTheLockWhenEveryBatchOfTheStripesOutboxIsInFlight() throws Exception
    {
        try (ArenaAllocator alloc = TestAllocators.builderWithoutThreadCache(Policy.STRIPED).remoteFreeBatchSize(2)
            .ringCapacity(2).build())
        {
            final int inBatches = RemoteFreeOutbox.STRIPE_BATCHES * 2; // the fixed pool, every batch filled
            final long[] blocks = new long[inBatches + 3]; // then two through the ring, then one waits for the lock
            for (int i = 0; i < blocks.length; i++)
            {
                blocks[i] = alloc.allocate(32);
                Patterns.fill(blocks[i], 32, i);
            }
            final ManagedArena m = alloc.managedArenaOf(blocks[0]);
            assertTrue(m.tryLock()); // nobody drains m meanwhile: its batches stay in flight
            final Thread freer = new Thread(() ->
            {
                for (int i = 0; i < blocks.length; i++)
                {
                    Patterns.check(blocks[i], 32, i, "block " + i + " before its free");
                    alloc.free(blocks[i]);
                }
            }, "striped-freer");
            freer.start();
            final long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(10);
            while (alloc.counters().get(AllocatorCounters.RING_FULL_LOCKED_FREES) == 0 && System.nanoTime() < deadline)
            {
                Thread.sleep(1);
            }
            assertTrue(freer.isAlive(), "the last free waits for m's lock: its outbox and m's ring are full");
            assertEquals(inBatches, alloc.counters().get(AllocatorCounters.REMOTE_FREES_BATCHED));
            assertEquals(3, alloc.counters().get(AllocatorCounters.STRIPE_OUTBOX_FULL));
            assertEquals(blocks.length, m.arena.liveBlocks(), "nothing applied while m is locked");
            m.unlockRelease();
            freer.join();
            alloc.maintain(0);
            assertEquals(0, m.arena.liveBlocks(), "every free applied, none lost");
            assertEquals(0, alloc.counters().get(AllocatorCounters.REMOTE_FREE_ERRORS));
            assertEquals(RemoteFreeOutbox.STRIPE_BATCHES, alloc.stripesForTest()[0].outbox.poolSize(), "the pool did not grow");
            assertEquals(RemoteFreeOutbox.STRIPE_BATCHES, alloc.stripesForTest()[1].outbox.poolSize(), "the pool did not grow");
        }
    }

    @Test
    void shouldRejectADoubleFreeOfAnotherStripesSmallBlockAtOnceAndChangeNothing() throws Exception
    {
        try (ArenaAllocator alloc = TestAllocators.builderWithoutThreadCache(Policy.STRIPED).build())
        {
            final long block = alloc.allocate(64);
            final long survivor = alloc.allocate(64);
            Patterns.fill(survivor, 64, 5);
            final ManagedArena m = alloc.managedArenaOf(block);
            assertTrue(m.tryLock()); // the freer's stripe will be the other one
            final Throwable[] second = new Throwable[1];
            TestAllocators.onOtherThread("striped-freer", () ->
            {
                alloc.free(block);
                second[0] = assertThrows(InvalidBlockException.class, () -> alloc.free(block));
            });
            assertTrue(second[0].getMessage().contains("0x" + Long.toHexString(block)) &&
                second[0].getMessage().contains("double free"), second[0].getMessage());
            assertEquals(1, alloc.counters().get(AllocatorCounters.REMOTE_FREES_BATCHED), "only the first was queued");
            m.unlockRelease();
            alloc.maintain(0);
            assertEquals(1, m.arena.liveBlocks(), "the first free applied, the second changed nothing");
            assertEquals(0, alloc.counters().get(AllocatorCounters.REMOTE_FREE_ERRORS));
            Patterns.check(survivor, 64, 5, "the survivor");
            assertThrows(InvalidBlockException.class, () -> alloc.free(block), "the owner's own free sees it free too");
            alloc.free(survivor);
            assertEquals(0, m.arena.liveBlocks());
        }
    }

    @Test
    void shouldApplyAFreeQueuedInABusyStripeWithinTheMaintenancePeriod() throws Exception
    {
        try (ArenaAllocator alloc = TestAllocators.builderWithoutThreadCache(Policy.STRIPED)
            .backgroundMaintenance(true)
            .maintenancePeriodNanos(TimeUnit.MILLISECONDS.toNanos(1))
            .build())
        {
            final long block = alloc.allocate(100);
            final ManagedArena m = alloc.managedArenaOf(block);
            while (!m.tryLock())
            {
                Thread.onSpinWait(); // the background thread may hold it for a moment
            }
            TestAllocators.onOtherThread("freer", () -> alloc.free(block)); // busy stripe: into its ring
            // checked while the stripe is still held: only its holder applies queued frees (once it is released the
            // background thread may apply it before this thread runs again)
            assertEquals(1, m.arena.counters().getOpaque(ArenaCounters.LIVE_BLOCKS), "queued, not applied");
            m.unlockRelease();
            final long start = System.nanoTime();
            while (m.arena.counters().getOpaque(ArenaCounters.LIVE_BLOCKS) != 0 &&
                System.nanoTime() - start < TimeUnit.SECONDS.toNanos(10))
            {
                Thread.sleep(1); // nobody calls the allocator: only the background thread can apply it
            }
            assertEquals(0, m.arena.counters().getOpaque(ArenaCounters.LIVE_BLOCKS));
        }
    }

    @Test
    void shouldReportADoubleFreeAcrossThreadsToTheErrorHandler() throws Exception
    {
        final List<Throwable> errors = new CopyOnWriteArrayList<>();
        try (ArenaAllocator alloc = TestAllocators.builderWithoutThreadCache(Policy.PER_THREAD).errorHandler(errors::add).build())
        {
            final long a = alloc.allocate(64);
            final long h = alloc.allocateHandle(64);
            TestAllocators.onOtherThread("double-freer", () ->
            {
                alloc.free(a);
                alloc.free(a);
                alloc.free(h);
            });
            alloc.free(alloc.allocate(8)); // keep the arena busy: nothing else breaks
            alloc.maintain(0);
            assertEquals(1, errors.size(), errors.toString());
            final InvalidRemoteFreeException ex = assertInstanceOf(InvalidRemoteFreeException.class, errors.get(0));
            assertEquals(a, ex.value());
            assertTrue(ex.getMessage().contains("not the start of a live block"), ex.getMessage());
            assertEquals(1, alloc.counters().get(AllocatorCounters.REMOTE_FREE_ERRORS));
            assertEquals(ex, alloc.lastRemoteFreeError());

            // the handle was freed once, remotely; a second remote free of it is stale
            TestAllocators.onOtherThread("stale-freer", () -> alloc.free(h));
            alloc.maintain(0);
            assertEquals(2, errors.size());
            assertTrue(errors.get(1).getMessage().contains("stale"), errors.get(1).getMessage());
            assertEquals(0, alloc.arenaOf(a).liveBlocks());
        }
    }

    @Test
    void shouldSurviveAnErrorHandlerThatCallsBackIntoTheAllocator() throws Exception
    {
        final ArenaAllocator[] self = new ArenaAllocator[1];
        final List<Throwable> errors = new CopyOnWriteArrayList<>();
        try (ArenaAllocator alloc = TestAllocators.builderWithoutThreadCache(Policy.PER_THREAD).drainInterval(1).errorHandler((ex) ->
        {
            errors.add(ex);
            self[0].free(self[0].allocate(32)); // re-enters the owner's arena in the middle of its drain
        }).build())
        {
            self[0] = alloc;
            final long[] blocks = {alloc.allocate(64), alloc.allocate(64), alloc.allocate(64)};
            TestAllocators.onOtherThread("freer", () ->
            {
                alloc.free(blocks[0]);
                alloc.free(blocks[0]); // rejected later: the handler runs inside the drain
                alloc.free(blocks[1]);
                alloc.free(blocks[2]);
            });
            alloc.maintain(0);
            assertEquals(1, errors.size());
            assertEquals(0, alloc.arenaOf(blocks[0]).liveBlocks(), "the drain finished every other free");
        }
    }

    @Test
    void shouldRejectAQueuedDuplicateAtOnceInDebugMode() throws Exception
    {
        try (ArenaAllocator alloc = TestAllocators.builderWithoutThreadCache(Policy.PER_THREAD)
            .arenaConfig(ArenaConfig.builder().chunkSize(TestAllocators.CHUNK).debug(true).build()).build())
        {
            final long a = alloc.allocate(64);
            TestAllocators.onOtherThread("debug-freer", () ->
            {
                alloc.free(a);
                final InvalidBlockException ex = assertThrows(InvalidBlockException.class, () -> alloc.free(a));
                assertTrue(ex.getMessage().contains("already queued"), ex.getMessage());
            });
            alloc.maintain(0);
            assertEquals(0, alloc.arenaOf(a).liveBlocks());
        }
    }

    @Test
    void shouldRefuseAPinnedHandleAtOnceAndDeferOneThatWasPinnedLater() throws Exception
    {
        try (ArenaAllocator alloc = TestAllocators.builderWithoutThreadCache(Policy.PER_THREAD).build())
        {
            final long h = alloc.allocateHandle(256);
            final OffHeapArena arena = alloc.arenaOf(h);
            alloc.pin(h);
            TestAllocators.onOtherThread("pinned-freer", () ->
                assertThrows(IllegalStateException.class, () -> alloc.free(h)));
            alloc.unpin(h);

            TestAllocators.onOtherThread("freer", () -> alloc.free(h)); // unpinned now: queued
            alloc.pin(h); // pinned before the owner applies it
            alloc.maintain(0);
            assertEquals(1, arena.liveBlocks(), "a pinned block is not freed under its pin");
            assertEquals(1, alloc.counters().get(AllocatorCounters.REMOTE_FREES_DEFERRED));
            alloc.unpin(h);
            alloc.maintain(0);
            assertEquals(0, arena.liveBlocks(), "the deferred free lands after the unpin");
        }
    }

    @Test
    void shouldRecycleBatchesSoAFreerStopsMakingThem() throws Exception
    {
        try (ArenaAllocator alloc = TestAllocators.builderWithoutThreadCache(Policy.PER_THREAD).build())
        {
            final long[] blocks = new long[64 * 20];
            final CountDownLatch[] go = {new CountDownLatch(1), new CountDownLatch(1)};
            final CountDownLatch[] done = {new CountDownLatch(1), new CountDownLatch(1)};
            final int[] pool = new int[2];
            final Thread freer = new Thread(() ->
            {
                try
                {
                    for (int round = 0; round < 2; round++)
                    {
                        go[round].await();
                        for (final long b : blocks)
                        {
                            alloc.free(b);
                        }
                        pool[round] = alloc.registry().poolSizeOf(Thread.currentThread());
                        done[round].countDown();
                    }
                }
                catch (final InterruptedException ex)
                {
                    Thread.currentThread().interrupt();
                }
            }, "recycling-freer");
            freer.start();
            for (int round = 0; round < 2; round++)
            {
                for (int i = 0; i < blocks.length; i++)
                {
                    blocks[i] = alloc.allocate(64);
                }
                go[round].countDown();
                TestAllocators.await(done[round]);
                alloc.maintain(0);
                assertEquals(0, alloc.arenaOf(blocks[0]).liveBlocks());
            }
            freer.join();
            assertEquals(20, pool[0], "20 batches in flight at most in round 0");
            assertEquals(20, pool[1], "round 1 reused them all: no new batch, no garbage");
        }
    }
}
