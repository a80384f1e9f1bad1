package io.arenaalloc.threads;

import io.arenaalloc.core.ArenaConfig;
import io.arenaalloc.core.ArenaCounters;
import io.arenaalloc.core.InvalidBlockException;
import org.agrona.concurrent.BusySpinIdleStrategy;
import org.agrona.concurrent.IdleStrategy;
import org.junit.jupiter.api.Test;

import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.ThreadLocalRandom;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicLong;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotSame;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

/**
 * Audit of the STRIPED policy and of threads without a context (STRIPED threads, virtual threads under PER_THREAD):
 * marked frees through the freer's own stripe's outbox, the ring and lock fallbacks, maintenance, close.
 */
class StripedAuditTest
{
    /** One virtual thread per block: checks block k's pattern ({@code sizeOf(k)} bytes, seed k), then frees it. */
    private static void checkAndFreeOnVirtualThreads(final ArenaAllocator alloc, final long[] blocks,
        final java.util.function.IntUnaryOperator sizeOf) throws Exception
    {
        final ExecutorService executor = virtualThreadExecutor();
        try
        {
            final List<Future<?>> futures = new ArrayList<>();
            for (int i = 0; i < blocks.length; i++)
            {
                final int k = i;
                futures.add(executor.submit(() ->
                {
                    Patterns.check(blocks[k], sizeOf.applyAsInt(k), k, "block " + k);
                    alloc.free(blocks[k]);
                }));
            }
            for (final Future<?> f : futures)
            {
                f.get(30, TimeUnit.SECONDS);
            }
        }
        finally
        {
            executor.shutdown();
            assertTrue(executor.awaitTermination(30, TimeUnit.SECONDS));
        }
    }

    private static ExecutorService virtualThreadExecutor() throws Exception
    {
        return (ExecutorService)Executors.class.getMethod("newVirtualThreadPerTaskExecutor").invoke(null);
    }

    private static void assumeVirtualThreads()
    {
        assumeTrue(Runtime.version().feature() >= 21, "virtual threads need JDK 21+");
        assumeTrue(Threads.virtualThreadsSupported());
    }

    private static ManagedArena other(final ArenaAllocator alloc, final ManagedArena m)
    {
        final ManagedArena[] s = alloc.stripesForTest();
        return s[0] == m ? s[1] : s[0];
    }

    private static boolean waitFor(final java.util.function.BooleanSupplier condition, final long nanos) throws InterruptedException
    {
        final long deadline = System.nanoTime() + nanos;
        while (!condition.getAsBoolean())
        {
            if (System.nanoTime() - deadline >= 0)
            {
                return false;
            }
            Thread.sleep(1);
        }
        return true;
    }

    // =========================================================================================================
    // the bound on how long a freed block stays unusable
    // =========================================================================================================

    /**
     * A block of stripe A freed through stripe B's outbox; afterwards nobody calls the allocator at all: the
     * background thread alone must apply it (the batch was published when opened) within a few periods.
     */
    @Test
    void shouldMakeAStripedOutboxFreeReusableThroughBackgroundMaintenanceWhenNobodyCallsAgain() throws Exception
    {
        try (ArenaAllocator alloc = TestAllocators.builder(Policy.STRIPED).backgroundMaintenance(true)
            .maintenancePeriodNanos(TimeUnit.MILLISECONDS.toNanos(1)).build())
        {
            final long x = alloc.allocate(64);
            final ManagedArena a = alloc.managedArenaOf(x);
            final ManagedArena b = other(alloc, a);
            while (!a.tryLock())
            {
                Thread.onSpinWait(); // the background thread may hold it a moment
            }
            try
            {
                // A is busy: the free goes through the freer's stripe, B, and B's outbox into A's inbox
                TestAllocators.onOtherThread("freer", () -> alloc.free(x));
                assertEquals(1, a.arena.liveBlocks(), "queued, not applied: A is held");
            }
            finally
            {
                a.unlockRelease();
            }
            assertTrue(waitFor(() -> a.arena.counters().getOpaque(ArenaCounters.LIVE_BLOCKS) == 0,
                TimeUnit.SECONDS.toNanos(5)), "applied by the background thread alone");
            assertTrue(b.outbox.poolSize() == RemoteFreeOutbox.STRIPE_BATCHES);
        }
    }

    /**
     * Without the background thread the Javadoc promises ({@link RemoteFreeInbox}, "Bound"): "stripes: the next
     * drainInterval-th lock acquisition of the stripe". Here stripe A is locked 200 times (its holder frees blocks of
     * stripe B through A's outbox) but never drains, so the block of A queued in A's inbox stays unusable.
     */
    @Test
    void shouldApplyAQueuedStripedFreeWithinDrainIntervalLockAcquisitionsOfItsStripe() throws Exception
    {
        try (ArenaAllocator alloc = TestAllocators.builder(Policy.STRIPED).drainInterval(64).build())
        {
            final long x = alloc.allocate(64);
            final ManagedArena a = alloc.managedArenaOf(x);
            final ManagedArena b = other(alloc, a);
            final long[] ofB = new long[200];
            assertTrue(a.tryLock());
            try
            {
                for (int i = 0; i < ofB.length; i++)
                {
                    ofB[i] = alloc.allocate(64); // A held by us: this thread's stripe is B
                    assertEquals(b, alloc.managedArenaOf(ofB[i]));
                }
                alloc.free(x); // A busy: through B's outbox into A's inbox
            }
            finally
            {
                a.unlockRelease();
            }
            assertEquals(1, a.arena.liveBlocks());
            assertTrue(b.tryLock());
            try
            {
                for (final long y : ofB)
                {
                    alloc.free(y); // B busy: this thread locks A, 200 times, and writes into A's outbox for B
                }
            }
            finally
            {
                b.unlockRelease();
            }
            assertEquals(200, b.arena.liveBlocks(), "B not drained: nobody locked it since");
            assertEquals(0, a.arena.liveBlocks(),
                "A's lock was taken 200 times (drainInterval 64) yet the free queued for A was never applied");
        }
    }

    /**
     * PER_THREAD: virtual threads free a platform owner's small blocks (marked, through their stripes' outboxes); the
     * owner never allocates again but idles through {@link MaintainingIdleStrategy}: the frees are applied within a
     * bounded time.
     */
    @Test
    void shouldApplyVirtualThreadsFreesOfAnIdlingPlatformOwnersBlocksThroughItsIdleStrategy() throws Exception
    {
        assumeVirtualThreads();
        try (ArenaAllocator alloc = TestAllocators.create(Policy.PER_THREAD))
        {
            final int n = 3000;
            final long[] blocks = new long[n];
            final AtomicBoolean freed = new AtomicBoolean();
            final AtomicBoolean stop = new AtomicBoolean();
            final AtomicLong live = new AtomicLong(-1);
            final CountDownLatch allocated = new CountDownLatch(1);
            final Throwable[] failure = new Throwable[1];
            final Thread owner = new Thread(() ->
            {
                try
                {
                    for (int i = 0; i < n; i++)
                    {
                        blocks[i] = alloc.allocate(16 + (i % 8) * 16);
                        Patterns.fill(blocks[i], 16 + (i % 8) * 16, i);
                    }
                    final long survivor = alloc.allocate(64);
                    Patterns.fill(survivor, 64, -7);
                    allocated.countDown();
                    final IdleStrategy idle = alloc.idleStrategy(new BusySpinIdleStrategy());
                    while (!stop.get())
                    {
                        idle.idle(0);
                        if (freed.get())
                        {
                            live.set(alloc.ownArenaForTest().arena.liveBlocks());
                        }
                        Thread.sleep(0, 100_000);
                    }
                    Patterns.check(survivor, 64, -7, "survivor");
                    alloc.free(survivor);
                }
                catch (final Throwable ex)
                {
                    failure[0] = ex;
                }
            }, "idle-owner");
            owner.start();
            TestAllocators.await(allocated);
            checkAndFreeOnVirtualThreads(alloc, blocks, k -> 16 + (k % 8) * 16);
            freed.set(true);
            final boolean applied = waitFor(() -> live.get() == 1, TimeUnit.SECONDS.toNanos(5));
            stop.set(true);
            owner.join(10_000);
            if (failure[0] != null)
            {
                throw new AssertionError(failure[0]);
            }
            assertTrue(applied, "live blocks of the owner's arena: " + live.get() + ", expected 1 (the survivor)");
            assertEquals(0, alloc.counters().get(AllocatorCounters.REMOTE_FREE_ERRORS));
        }
    }

    /**
     * PER_THREAD: a platform thread allocates and ends; virtual threads free its blocks (marked, via stripe outboxes,
     * ring when the outbox pool is in flight); maintenance reclaims the orphan and closes it: its bytes return.
     */
    @Test
    void shouldLetAnOrphanCloseAndReturnItsBytesAfterVirtualThreadsFreeItsBlocks() throws Exception
    {
        assumeVirtualThreads();
        try (ArenaAllocator alloc = TestAllocators.builder(Policy.PER_THREAD).ringCapacity(16).build())
        {
            final int n = 4000;
            final long[] blocks = new long[n];
            final int[] arenaId = new int[1];
            TestAllocators.onOtherThread("ending-owner", () ->
            {
                for (int i = 0; i < n; i++)
                {
                    blocks[i] = alloc.allocate(48);
                    Patterns.fill(blocks[i], 48, i);
                }
                arenaId[0] = alloc.ownArenaForTest().id;
                alloc.flushThreadCache();
            });
            checkAndFreeOnVirtualThreads(alloc, blocks, k -> 48);
            assertTrue(waitFor(() ->
            {
                alloc.maintain(100_000);
                return alloc.arenaById(arenaId[0]) == null;
            }, TimeUnit.SECONDS.toNanos(10)), "the orphan was closed");
            assertEquals(0, alloc.counters().get(AllocatorCounters.REMOTE_FREE_ERRORS));
            assertTrue(alloc.counters().get(AllocatorCounters.STRIPE_OUTBOX_FULL) > 0, "the ring fallback ran");
            assertTrue(alloc.counters().get(AllocatorCounters.SINGLE_FREES_OVERFLOWED) > 0, "the overflow fallback ran");
            long stripesCommitted = 0;
            for (final ManagedArena s : alloc.stripesForTest())
            {
                stripesCommitted += s.arena.committedBytes();
            }
            assertEquals(stripesCommitted, alloc.committedBytes(), "only the stripes hold bytes");
        }
        // the stripes' outboxes' batches for the closed orphan must not break anything: a later allocator works
    }

    /**
     * A stripe's outbox has a fixed pool: a batch left open for an ended thread's arena, once that arena is closed,
     * must go back to the pool, or enough ended threads leave the stripe on the ring path for good.
     */
    @Test
    void shouldGiveAFixedPoolsBatchesBackWhenTheirDestinationArenasClose() throws Exception
    {
        try (ArenaAllocator alloc = TestAllocators.builder(Policy.PER_THREAD).build())
        {
            final int n = RemoteFreeOutbox.STRIPE_BATCHES;
            final long[] blocks = new long[n];
            final ManagedArena[] owners = new ManagedArena[n];
            final CountDownLatch allocated = new CountDownLatch(n);
            final CountDownLatch end = new CountDownLatch(1);
            final Thread[] threads = new Thread[n];
            for (int i = 0; i < n; i++)
            {
                final int k = i;
                threads[i] = new Thread(() ->
                {
                    blocks[k] = alloc.allocate(48); // n living threads: n arenas, none adopted by another
                    Patterns.fill(blocks[k], 48, k);
                    alloc.flushThreadCache();
                    allocated.countDown();
                    try
                    {
                        end.await();
                    }
                    catch (final InterruptedException ex)
                    {
                        Thread.currentThread().interrupt();
                    }
                }, "ending-owner-" + i);
                threads[i].start();
            }
            assertTrue(allocated.await(30, TimeUnit.SECONDS));
            for (int i = 0; i < n; i++)
            {
                owners[i] = alloc.managedArenaOf(blocks[i]);
                for (int j = 0; j < i; j++)
                {
                    assertNotSame(owners[j], owners[i], "one arena per living thread");
                }
            }
            final RemoteFreeOutbox outbox = new RemoteFreeOutbox(4, false, RemoteFreeOutbox.STRIPE_BATCHES);
            for (int i = 0; i < n; i++)
            {
                Patterns.check(blocks[i], 48, i, "block " + i);
                assertTrue(outbox.free(owners[i], blocks[i]), "a batch of the pool for destination " + i);
            }
            final long liveBlock = alloc.allocate(48); // the caller's own arena: a destination that stays open
            final ManagedArena living = alloc.managedArenaOf(liveBlock);
            assertFalse(outbox.free(living, liveBlock), "every batch is in flight, open for a thread's arena");
            end.countDown();
            for (final Thread t : threads)
            {
                t.join(TimeUnit.SECONDS.toMillis(30));
                assertFalse(t.isAlive());
            }
            assertTrue(waitFor(() ->
            {
                alloc.maintain(100_000);
                for (final ManagedArena m : owners)
                {
                    if (alloc.arenaById(m.id) != null)
                    {
                        return false;
                    }
                }
                return true;
            }, TimeUnit.SECONDS.toNanos(10)), "the ended threads' arenas were drained and closed");
            assertTrue(outbox.free(living, liveBlock), "a batch of a closed arena went back to the pool");
            assertTrue(outbox.poolSize() <= RemoteFreeOutbox.STRIPE_BATCHES, "the pool forgot the closed arenas' batches " +
                "and makes new ones up to its size, no more: " + outbox.poolSize());
            alloc.maintain(0);
            assertEquals(0, alloc.counters().get(AllocatorCounters.REMOTE_FREE_ERRORS));
            assertEquals(0, living.arena.liveBlocks(), "the last free applied too");
        }
    }

    // =========================================================================================================
    // close
    // =========================================================================================================

    /** Frees still queued in stripe outbox batches, rings and overflow at close: every byte goes back. */
    @Test
    void shouldReturnEveryByteAtCloseWithMarkedFreesStillInFlight() throws Exception
    {
        final ArenaAllocator alloc = TestAllocators.builder(Policy.STRIPED).remoteFreeBatchSize(4).ringCapacity(4)
            .maxTotalBytes(64L << 20).build();
        final long x = alloc.allocate(64);
        final ManagedArena a = alloc.managedArenaOf(x);
        final long[] blocks = new long[300];
        for (int i = 0; i < blocks.length; i++)
        {
            blocks[i] = alloc.allocate(32 + (i % 4) * 1000); // small and medium
        }
        final long h = alloc.allocateHandle(5000);
        assertTrue(a.tryLock());
        final Thread freer = new Thread(() ->
        {
            for (final long b : blocks)
            {
                if (alloc.managedArenaOf(b) == a)
                {
                    if (b % 3 == 0)
                    {
                        continue;
                    }
                }
                try
                {
                    alloc.free(b);
                }
                catch (final IllegalStateException ignore)
                {
                    // closed while waiting for a's lock
                }
            }
        }, "freer");
        freer.start();
        waitFor(() -> freer.getState() == Thread.State.TIMED_WAITING || !freer.isAlive(), TimeUnit.SECONDS.toNanos(5));
        Thread.sleep(50);
        a.unlockRelease();
        freer.join(10_000);
        assertFalse(freer.isAlive());
        assertTrue(alloc.committedBytes() > 0);
        alloc.close();
        assertEquals(0, alloc.committedBytes(), "close gave every byte back");
        assertThrows(IllegalStateException.class, () -> alloc.free(h));
        assertThrows(IllegalStateException.class, () -> alloc.free(x));
    }

    // =========================================================================================================
    // bad input
    // =========================================================================================================

    /**
     * An interior pointer (16-aligned, inside a small block of another stripe whose lock is busy) is bad input that the
     * freer can recognise on the chunk's slab map (not a block start); the class Javadoc ("Bad input") wants a clear
     * exception at once. The current code sends it to the stripe's ring and only the error handler hears of it later.
     */
    @Test
    void shouldRejectAnInteriorPointerIntoABusyStripesSmallBlockAtOnce() throws Exception
    {
        final List<Throwable> errors = new CopyOnWriteArrayList<>();
        try (ArenaAllocator alloc = TestAllocators.builder(Policy.STRIPED).errorHandler(errors::add).build())
        {
            final long block = alloc.allocate(48);
            Patterns.fill(block, 48, 3);
            final ManagedArena a = alloc.managedArenaOf(block);
            assertTrue(a.tryLock());
            final Throwable[] thrown = new Throwable[1];
            try
            {
                TestAllocators.onOtherThread("interior-freer", () ->
                {
                    try
                    {
                        alloc.free(block + 16);
                    }
                    catch (final InvalidBlockException ex)
                    {
                        thrown[0] = ex;
                    }
                });
            }
            finally
            {
                a.unlockRelease();
            }
            alloc.maintain(0);
            Patterns.check(block, 48, 3, "the block whose interior was freed");
            assertEquals(1, a.arena.liveBlocks(), "nothing changed");
            assertTrue(thrown[0] != null, "interior pointer not rejected at once; the error handler got it later: " + errors);
        }
    }

    /** A double free of a stripe's small block by STRIPED threads: rejected at once whichever stripe the freer locks. */
    @Test
    void shouldRejectAStripedDoubleFreeOfASmallBlockAtOnceOnEveryPath() throws Exception
    {
        try (ArenaAllocator alloc = TestAllocators.builder(Policy.STRIPED).remoteFreeBatchSize(1).ringCapacity(2).build())
        {
            final long[] blocks = new long[RemoteFreeOutbox.STRIPE_BATCHES + 4];
            for (int i = 0; i < blocks.length; i++)
            {
                blocks[i] = alloc.allocate(64);
            }
            final ManagedArena a = alloc.managedArenaOf(blocks[0]);
            assertTrue(a.tryLock()); // every free goes through the other stripe: outbox (16), ring (2), then waits
            final List<Throwable> missed = new CopyOnWriteArrayList<>();
            final Thread freer = new Thread(() ->
            {
                for (int i = 0; i < blocks.length; i++)
                {
                    if (alloc.managedArenaOf(blocks[i]) != a)
                    {
                        continue;
                    }
                    if (i < RemoteFreeOutbox.STRIPE_BATCHES + 2)
                    {
                        alloc.free(blocks[i]);
                        try
                        {
                            alloc.free(blocks[i]);
                            missed.add(new AssertionError("second free of block " + i + " accepted"));
                        }
                        catch (final InvalidBlockException expected)
                        {
                            // good
                        }
                    }
                }
            }, "double-freer");
            freer.start();
            freer.join(10_000);
            assertFalse(freer.isAlive());
            a.unlockRelease();
            alloc.maintain(0);
            assertTrue(missed.isEmpty(), missed.toString());
            assertEquals(0, alloc.counters().get(AllocatorCounters.REMOTE_FREE_ERRORS));
        }
    }

    // =========================================================================================================
    // deadlock
    // =========================================================================================================

    /**
     * An error handler that calls back into the allocator (which {@code RemoteFreeTest} allows under PER_THREAD) is
     * called by a stripe's drain while the drainer holds the stripe's lock: under STRIPED with one stripe its
     * allocation waits for that same lock forever.
     */
    @Test
    void shouldNotDeadlockWhenTheErrorHandlerCallsBackIntoTheAllocatorFromAStripeDrain() throws Exception
    {
        final ArenaAllocator[] self = new ArenaAllocator[1];
        final List<Throwable> errors = new CopyOnWriteArrayList<>();
        final ArenaAllocator alloc = TestAllocators.builder(Policy.STRIPED).stripes(1).errorHandler((ex) ->
        {
            errors.add(ex);
            self[0].free(self[0].allocate(32));
        }).build();
        self[0] = alloc;
        final Thread maintainer;
        String stuck = null;
        try
        {
            final long medium = alloc.allocate(8192);
            final ManagedArena a = alloc.managedArenaOf(medium);
            assertTrue(a.tryLock());
            try
            {
                TestAllocators.onOtherThread("double-freer", () ->
                {
                    alloc.free(medium); // stripe busy: its ring
                    alloc.free(medium); // again: found when the holder applies it
                });
            }
            finally
            {
                a.unlockRelease();
            }
            maintainer = new Thread(() -> alloc.maintain(0), "maintainer");
            maintainer.setDaemon(true);
            maintainer.start();
            maintainer.join(5_000);
            if (maintainer.isAlive())
            {
                final StringBuilder sb = new StringBuilder();
                for (final StackTraceElement e : maintainer.getStackTrace())
                {
                    sb.append("\n    at ").append(e);
                }
                stuck = sb.toString();
            }
        }
        finally
        {
            alloc.close(); // unblocks a waiting lock() (it throws when the stripe closes)
        }
        maintainer.join(5_000);
        assertEquals(null, stuck, "maintain() stuck for 5 s: the error handler's allocate waits for the stripe lock " +
            "its own thread holds in the stripe's drain");
        assertEquals(1, errors.size(), errors.toString());
    }

    // =========================================================================================================
    // stress: overlap, loss, budget
    // =========================================================================================================

    /**
     * STRIPED, threads handing small and medium blocks and handles to each other, a global limit with back-pressure,
     * the background thread on: no overlap (patterns), no loss (every stripe ends empty, committed back to spares),
     * no error, close returns every byte.
     */
    @Test
    void shouldLoseNothingAndOverlapNothingUnderStripedCrossThreadChurnWithAGlobalLimit() throws Exception
    {
        final List<Throwable> errors = new CopyOnWriteArrayList<>();
        final ArenaAllocator alloc = TestAllocators.builder(Policy.STRIPED).stripes(4).backgroundMaintenance(true)
            .maintenancePeriodNanos(TimeUnit.MILLISECONDS.toNanos(1)).remoteFreeBatchSize(8).ringCapacity(8)
            .maxTotalBytes(64 * TestAllocators.CHUNK).limitWaitNanos(TimeUnit.SECONDS.toNanos(5))
            .errorHandler(errors::add).build();
        final int threads = 4;
        final ConcurrentLinkedQueue<long[]> handoff = new ConcurrentLinkedQueue<>();
        final List<Throwable> failures = new CopyOnWriteArrayList<>();
        final long end = System.nanoTime() + TimeUnit.SECONDS.toNanos(4);
        final List<Thread> list = new ArrayList<>();
        for (int t = 0; t < threads; t++)
        {
            final int id = t;
            final Thread th = new Thread(() ->
            {
                final ThreadLocalRandom r = ThreadLocalRandom.current();
                long seed = (long)id << 40;
                try
                {
                    while (System.nanoTime() < end)
                    {
                        final int kind = r.nextInt(10);
                        final long size = kind < 7 ? 16 + r.nextInt(500) : kind < 9 ? 5000 + r.nextInt(20000) : 100 + r.nextInt(3000);
                        final long s = seed++;
                        final long v = kind == 9 ? alloc.allocateHandle(size) : alloc.allocate(size);
                        final long addr = v < 0 ? alloc.pin(v) : v;
                        Patterns.fill(addr, size, s);
                        if (v < 0)
                        {
                            alloc.unpin(v);
                        }
                        handoff.add(new long[] {v, size, s});
                        if (handoff.size() > 200 || r.nextInt(3) == 0)
                        {
                            final long[] e = handoff.poll();
                            if (e != null)
                            {
                                final long a2 = e[0] < 0 ? alloc.pin(e[0]) : e[0];
                                Patterns.check(a2, e[1], e[2], "handed-off block");
                                if (e[0] < 0)
                                {
                                    alloc.unpin(e[0]);
                                }
                                alloc.free(e[0]);
                            }
                        }
                    }
                }
                catch (final Throwable ex)
                {
                    failures.add(ex);
                }
            }, "churn-" + t);
            list.add(th);
            th.start();
        }
        for (final Thread th : list)
        {
            th.join(30_000);
        }
        try
        {
            assertTrue(failures.isEmpty(), () -> describe(alloc) + " handoff=" + handoff.size() + " " + failures.get(0));
            long[] e;
            while ((e = handoff.poll()) != null)
            {
                final long a2 = e[0] < 0 ? alloc.pin(e[0]) : e[0];
                Patterns.check(a2, e[1], e[2], "left-over block");
                if (e[0] < 0)
                {
                    alloc.unpin(e[0]);
                }
                alloc.free(e[0]);
            }
            assertEquals(0, TestAllocators.settle(alloc), "every free applied");
            for (final ManagedArena s : alloc.stripesForTest())
            {
                assertTrue(waitFor(() -> s.arena.counters().getOpaque(ArenaCounters.LIVE_BLOCKS) == 0,
                    TimeUnit.SECONDS.toNanos(5)), "stripe " + s.id + " live " + s.arena.liveBlocks());
            }
            assertTrue(errors.isEmpty(), errors.toString());
        }
        finally
        {
            alloc.close();
        }
        assertEquals(0, alloc.committedBytes());
    }

    /**
     * PER_THREAD: platform owners allocate small blocks, virtual threads check and free them (marked through their
     * stripes' outboxes), the owners keep allocating (so they drain) and end: no overlap, no loss.
     */
    @Test
    void shouldLoseNothingAndOverlapNothingWhenVirtualThreadsFreePlatformOwnersSmallBlocks() throws Exception
    {
        assumeVirtualThreads();
        final List<Throwable> errors = new CopyOnWriteArrayList<>();
        try (ArenaAllocator alloc = TestAllocators.builder(Policy.PER_THREAD).errorHandler(errors::add).ringCapacity(64)
            .build())
        {
            final ExecutorService executor = virtualThreadExecutor();
            final List<Throwable> failures = new CopyOnWriteArrayList<>();
            final long end = System.nanoTime() + TimeUnit.SECONDS.toNanos(3);
            final List<Thread> owners = new ArrayList<>();
            final AtomicLong outstanding = new AtomicLong();
            for (int t = 0; t < 2; t++)
            {
                final int id = t;
                final Thread th = new Thread(() ->
                {
                    long seed = (long)id << 40;
                    final ThreadLocalRandom r = ThreadLocalRandom.current();
                    try
                    {
                        while (System.nanoTime() < end)
                        {
                            if (outstanding.get() > 5000)
                            {
                                alloc.maintain(0);
                                Thread.yield();
                                continue;
                            }
                            final long size = 16 + r.nextInt(1000);
                            final long a = alloc.allocate(size);
                            final long s = seed++;
                            Patterns.fill(a, size, s);
                            outstanding.incrementAndGet();
                            executor.submit(() ->
                            {
                                try
                                {
                                    Patterns.check(a, size, s, "owner block");
                                    alloc.free(a);
                                }
                                catch (final Throwable ex)
                                {
                                    failures.add(ex);
                                }
                                finally
                                {
                                    outstanding.decrementAndGet();
                                }
                            });
                        }
                        while (outstanding.get() > 0)
                        {
                            alloc.maintain(0);
                            Thread.sleep(1);
                        }
                        alloc.maintain(0);
                        alloc.flushThreadCache();
                        alloc.maintain(0);
                        final long live = alloc.ownArenaForTest().arena.liveBlocks();
                        if (live != 0)
                        {
                            failures.add(new AssertionError("owner " + id + " arena live blocks " + live));
                        }
                    }
                    catch (final Throwable ex)
                    {
                        failures.add(ex);
                    }
                }, "owner-" + t);
                owners.add(th);
                th.start();
            }
            for (final Thread th : owners)
            {
                th.join(30_000);
            }
            executor.shutdown();
            assertTrue(executor.awaitTermination(30, TimeUnit.SECONDS));
            assertTrue(failures.isEmpty(), failures.toString());
            assertTrue(errors.isEmpty(), errors.toString());
        }
    }

    // =========================================================================================================
    // maintenance schedule
    // =========================================================================================================

    /**
     * maintain(budget, dutyCycle) from many idling threads: each stripe gets maintained (its queued free applied)
     * within a few periods even while another stripe stays busy.
     */
    @Test
    void shouldReachEveryFreeStripeFromDutyCycleMaintenanceWhileOneStaysBusy() throws Exception
    {
        try (ArenaAllocator alloc = TestAllocators.builder(Policy.STRIPED).stripes(4)
            .maintenancePeriodNanos(TimeUnit.MILLISECONDS.toNanos(1)).build())
        {
            final ManagedArena[] s = alloc.stripesForTest();
            // one block in every stripe: lock the others so this thread's stripe is the target
            final long[] blocks = new long[s.length];
            for (int i = 0; i < s.length; i++)
            {
                for (int j = 0; j < s.length; j++)
                {
                    if (j != i)
                    {
                        assertTrue(s[j].tryLock());
                    }
                }
                blocks[i] = alloc.allocate(100);
                assertEquals(s[i], alloc.managedArenaOf(blocks[i]));
                for (int j = 0; j < s.length; j++)
                {
                    if (j != i)
                    {
                        s[j].unlockRelease();
                    }
                }
            }
            // queue every free: hold the block's stripe while freeing (the free goes elsewhere, marked)
            for (int i = 0; i < s.length; i++)
            {
                assertTrue(s[i].tryLock());
                alloc.free(blocks[i]);
                s[i].unlockRelease();
                assertEquals(1, s[i].arena.liveBlocks());
            }
            assertTrue(s[0].tryLock()); // stripe 0 stays busy
            try
            {
                final IdleStrategy idle = alloc.idleStrategy(new BusySpinIdleStrategy());
                assertTrue(waitFor(() ->
                {
                    idle.idle(0);
                    for (int i = 1; i < s.length; i++)
                    {
                        if (s[i].arena.counters().getOpaque(ArenaCounters.LIVE_BLOCKS) != 0)
                        {
                            return false;
                        }
                    }
                    return true;
                }, TimeUnit.SECONDS.toNanos(5)), "every free stripe was maintained");
            }
            finally
            {
                s[0].unlockRelease();
            }
            final IdleStrategy idle = alloc.idleStrategy(new BusySpinIdleStrategy());
            assertTrue(waitFor(() ->
            {
                idle.idle(0);
                return s[0].arena.counters().getOpaque(ArenaCounters.LIVE_BLOCKS) == 0;
            }, TimeUnit.SECONDS.toNanos(5)), "the busy stripe once free");
        }
    }

    static String describe(final ArenaAllocator alloc)
    {
        final StringBuilder sb = new StringBuilder("committed=" + alloc.committedBytes() + " live=" + alloc.liveBytes());
        for (final ManagedArena s : alloc.stripesForTest())
        {
            final ArenaCounters c = s.arena.counters();
            sb.append(" [stripe ").append(s.id).append(" committed=").append(c.getOpaque(ArenaCounters.COMMITTED_BYTES))
                .append(" liveBytes=").append(c.getOpaque(ArenaCounters.LIVE_BYTES))
                .append(" liveBlocks=").append(c.getOpaque(ArenaCounters.LIVE_BLOCKS))
                .append(" handles=").append(c.getOpaque(ArenaCounters.LIVE_HANDLES))
                .append(" chunks=").append(c.getOpaque(ArenaCounters.CHUNKS))
                .append(" moved=").append(c.getOpaque(ArenaCounters.BLOCKS_MOVED))
                .append(" releaseBlocked=").append(c.getOpaque(ArenaCounters.RELEASE_BLOCKED))
                .append(" queued=").append(c.getOpaque(ArenaCounters.REMOTE_FREES_QUEUED))
                .append(" applied=").append(c.getOpaque(ArenaCounters.REMOTE_FREES_APPLIED)).append(']');
        }
        return sb.toString();
    }

    /** Sanity for the test helpers: a stripe's blocks really land in the stripe the test steers to. */
    @Test
    void shouldSteerAThreadToAStripeByHoldingTheOther()
    {
        try (ArenaAllocator alloc = TestAllocators.create(Policy.STRIPED))
        {
            final ManagedArena[] s = alloc.stripesForTest();
            assertTrue(s[0].tryLock());
            final long x = alloc.allocate(16);
            s[0].unlockRelease();
            assertEquals(s[1], alloc.managedArenaOf(x));
            assertNotSame(s[0], alloc.managedArenaOf(x));
            alloc.free(x);
        }
    }
}
