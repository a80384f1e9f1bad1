package io.arenaalloc.threads;

import io.arenaalloc.core.ArenaConfig;
import io.arenaalloc.core.ChunkListener;
import io.arenaalloc.core.NativeMemorySource;
import io.arenaalloc.core.OffHeapArena;
import org.junit.jupiter.api.Test;

import java.io.OutputStream;
import java.io.PrintStream;
import java.util.ArrayList;
import java.util.List;
import java.util.SplittableRandom;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicReference;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;

/** Audit: thread lifecycle (orphans, adoption, reclaim), the global limit and its wait, maintenance and close. */
class LifecycleAuditTest
{
    private static final long CHUNK = TestAllocators.CHUNK;
    private static final long LIMIT = 4 * CHUNK;
    private static final long BLOCK = 100_000; // medium: two per chunk

    // ------------------------------------------------------------------------------------------------------------
    // maintenance listener throwing
    // ------------------------------------------------------------------------------------------------------------

    @Test
    void shouldFailALimitWaitWithTheLimitExceptionWhenTheMaintenanceListenerThrows() throws Exception
    {
        try (ArenaAllocator alloc = TestAllocators.builder(Policy.PER_THREAD).maxTotalBytes(LIMIT)
            .limitWaitNanos(TimeUnit.MILLISECONDS.toNanos(300)).build())
        {
            final List<Long> mine = new ArrayList<>();
            mine.add(alloc.allocate(BLOCK)); // this thread's arena first: the other thread's arena is not adopted
            final long[] theirs = new long[1];
            TestAllocators.onOtherThread("ends-with-a-live-block", () -> theirs[0] = alloc.allocate(BLOCK));
            for (int i = 0; i < 5; i++)
            {
                mine.add(alloc.allocate(BLOCK)); // 3 chunks here + 1 in the ended thread's arena = the limit
            }
            alloc.setMaintenanceListener((arena, now) ->
            {
                throw new IllegalStateException("listener failure");
            });
            final Throwable t = assertThrows(Throwable.class, () -> alloc.allocate(BLOCK));
            alloc.setMaintenanceListener(null);
            assertTrue(t instanceof AllocatorLimitExceededException,
                "a limit wait must end in AllocatorLimitExceededException, got " + t);
            assertEquals(alloc.counters().get(AllocatorCounters.LIMIT_WAITS),
                alloc.counters().get(AllocatorCounters.LIMIT_FAILURES), "a wait that gave up is a failure");
            mine.forEach(alloc::free);
            alloc.free(theirs[0]);
        }
    }

    @Test
    void shouldReclaimAnEmptyOrphanEvenWhenTheMaintenanceListenerThrows() throws Exception
    {
        final NativeMemorySource source = new NativeMemorySource();
        try (ArenaAllocator alloc = TestAllocators.builderWithoutThreadCache(Policy.PER_THREAD)
            .arenaConfig(ArenaConfig.builder().chunkSize(CHUNK).memorySource(source).build()).build())
        {
            TestAllocators.onOtherThread("short-lived", () ->
            {
                for (int i = 0; i < 10; i++)
                {
                    alloc.free(alloc.allocate(BLOCK));
                }
            });
            final AtomicInteger calls = new AtomicInteger();
            alloc.setMaintenanceListener((arena, now) ->
            {
                calls.incrementAndGet();
                throw new IllegalStateException("listener failure");
            });
            for (int i = 0; i < 5; i++)
            {
                try
                {
                    alloc.maintain(1_000_000); // this thread owns no arena: only the orphan is maintained
                }
                catch (final IllegalStateException expectedFromListener)
                {
                    // the listener's exception may surface; the orphan must still be reclaimed
                }
            }
            assertTrue(calls.get() > 0, "the listener was called");
            assertEquals(0, alloc.registry().orphanCount(), "an orphan with no live block is closed");
            assertEquals(0, alloc.committedBytes(), "its chunks went back");
        }
        assertEquals(0, source.reservedBytes());
    }

    /**
     * A listener that asks the allocator about a block of the very orphan it is given (usableSize borrows the orphan:
     * CAS ORPHANED to RECLAIMING) spins forever in ManagedArena.claimOrphan, because its own thread holds the orphan
     * RECLAIMING. The error handler is protected against exactly this (errors are reported after the release), the
     * listener is not. The test frees the spinning thread itself (by handing the state back) so the JVM can go on.
     */
    @Test
    void shouldNotHangWhenTheMaintenanceListenerQueriesABlockOfTheOrphanBeingReclaimed() throws Exception
    {
        try (ArenaAllocator alloc = TestAllocators.builderWithoutThreadCache(Policy.PER_THREAD).build())
        {
            final long[] b = new long[1];
            TestAllocators.onOtherThread("ends-with-a-live-block", () -> b[0] = alloc.allocate(BLOCK));
            final ManagedArena orphanArena = alloc.managedArenaOf(b[0]);
            final AtomicReference<Throwable> listenerFailure = new AtomicReference<>();
            alloc.setMaintenanceListener((arena, now) ->
            {
                if (arena == orphanArena.arena)
                {
                    try
                    {
                        alloc.usableSize(b[0]);
                    }
                    catch (final Throwable ex)
                    {
                        listenerFailure.set(ex);
                    }
                }
            });
            final Thread maintainer = new Thread(() -> alloc.maintain(1_000_000), "maintainer");
            maintainer.setDaemon(true);
            maintainer.start();
            maintainer.join(3000);
            final boolean hung = maintainer.isAlive();
            if (hung)
            {
                // unstick it: the spinning claimOrphan takes the orphan back, the listener returns
                orphanArena.casState(ManagedArena.RECLAIMING, ManagedArena.ORPHANED);
                maintainer.join(3000);
            }
            alloc.setMaintenanceListener(null);
            assertFalse(hung, "maintain() did not return within 3 s: the listener spins in claimOrphan on the " +
                "orphan its own thread holds RECLAIMING (listenerFailure=" + listenerFailure.get() + ")");
            alloc.free(b[0]);
        }
    }

    // ------------------------------------------------------------------------------------------------------------
    // error handler throwing an Error
    // ------------------------------------------------------------------------------------------------------------

    @Test
    void shouldNeverApplyARemoteFreeTwiceWhenTheErrorHandlerThrowsAnError() throws Exception
    {
        final AtomicInteger reports = new AtomicInteger();
        try (ArenaAllocator alloc = TestAllocators.builderWithoutThreadCache(Policy.PER_THREAD)
            .errorHandler(ex ->
            {
                if (reports.incrementAndGet() == 1)
                {
                    throw new AssertionError("a handler that fails (a test's fail(), an OutOfMemoryError)");
                }
            }).build())
        {
            final long x = alloc.allocate(BLOCK);
            final long y = alloc.allocate(BLOCK);
            final long z = alloc.allocate(BLOCK);
            final OffHeapArena arena = alloc.arenaOf(x);
            TestAllocators.onOtherThread("double-freer", () ->
            {
                alloc.free(x);
                alloc.free(x); // a double free: queued, found by the owner's drain
                alloc.free(y);
            });
            try
            {
                alloc.maintain(0); // drain: x applied, the second x reported, the handler throws
            }
            catch (final AssertionError fromHandler)
            {
                // the handler's Error escapes the drain
            }
            final List<Long> held = new ArrayList<>();
            for (int i = 0; i < 8 && !held.contains(x); i++)
            {
                held.add(alloc.allocate(BLOCK)); // until x's memory, freed by the drain, is handed out again
            }
            assertTrue(held.contains(x), "x was reused: " + held);
            Patterns.fill(x, BLOCK, 2);
            final long liveBefore = arena.liveBlocks();
            alloc.maintain(0); // the rest of the batch: y only
            assertEquals(liveBefore - 1, arena.liveBlocks(), "only y was freed; x (live again) must stay live");
            for (int i = 0; i < 8; i++)
            {
                final long again = alloc.allocate(BLOCK);
                held.add(again);
                assertNotEquals(x, again, "the live block x was handed out twice");
            }
            Patterns.check(x, BLOCK, 2, "x, live again");
            assertEquals(1, alloc.counters().get(AllocatorCounters.REMOTE_FREE_ERRORS),
                "one double free, one report: the drain re-applied the values it had already applied");
            alloc.free(z);
            held.forEach(alloc::free);
        }
    }

    // ------------------------------------------------------------------------------------------------------------
    // chunk listener throwing at close
    // ------------------------------------------------------------------------------------------------------------

    @Test
    void shouldReturnEveryByteAtCloseEvenWhenAChunkListenerThrows() throws Exception
    {
        final NativeMemorySource source = new NativeMemorySource();
        final AtomicBoolean failRemovals = new AtomicBoolean();
        final ChunkListener listener = new ChunkListener()
        {
            public void onChunkAdded(final OffHeapArena arena, final long base, final long size)
            {
            }

            public void onChunkRemoved(final OffHeapArena arena, final long base, final long size)
            {
                if (failRemovals.get())
                {
                    throw new IllegalStateException("listener failure on removal");
                }
            }
        };
        final ArenaAllocator alloc = TestAllocators.builder(Policy.PER_THREAD)
            .arenaConfig(ArenaConfig.builder().chunkSize(CHUNK).memorySource(source).chunkListener(listener).build())
            .build();
        alloc.allocate(BLOCK);
        TestAllocators.onOtherThread("second-arena", () -> alloc.allocate(BLOCK));
        assertTrue(source.reservedBytes() >= 2 * CHUNK);
        failRemovals.set(true);
        Throwable thrown = null;
        try
        {
            alloc.close();
        }
        catch (final RuntimeException ex)
        {
            thrown = ex;
        }
        failRemovals.set(false);
        alloc.close(); // idempotent: a second try must not be needed, but give it the chance
        assertTrue(alloc.isClosed());
        assertEquals(0, source.reservedBytes(), "close gave every byte back (close threw " + thrown + ")");
        assertEquals(0, alloc.committedBytes(), "the global budget is back to 0 (close threw " + thrown + ")");
    }

    // ------------------------------------------------------------------------------------------------------------
    // limit wait
    // ------------------------------------------------------------------------------------------------------------

    @Test
    void shouldFailAtOnceARequestLargerThanTheGlobalLimitInsteadOfWaitingForFreesThatCannotHelp()
    {
        final long wait = TimeUnit.SECONDS.toNanos(2);
        try (ArenaAllocator alloc = TestAllocators.builder(Policy.PER_THREAD).maxTotalBytes(LIMIT)
            .limitWaitNanos(wait).build())
        {
            final long start = System.nanoTime();
            final AllocatorLimitExceededException ex = assertThrows(AllocatorLimitExceededException.class,
                () -> alloc.allocate(LIMIT + CHUNK));
            final long took = System.nanoTime() - start;
            assertTrue(ex.isGlobal());
            assertTrue(took < wait / 4, "no free can ever make " + (LIMIT + CHUNK) + " bytes fit under " + LIMIT +
                ", yet the allocation waited " + took / 1_000_000 + " ms");
        }
    }

    @Test
    void shouldReportNoWaitWhenNoLimitWaitIsConfigured()
    {
        try (ArenaAllocator alloc = TestAllocators.builder(Policy.PER_THREAD).maxTotalBytes(LIMIT).build()) // wait 0
        {
            final List<Long> blocks = new ArrayList<>();
            AllocatorLimitExceededException ex = null;
            for (int i = 0; i < 20 && ex == null; i++)
            {
                try
                {
                    blocks.add(alloc.allocate(BLOCK));
                }
                catch (final AllocatorLimitExceededException e)
                {
                    ex = e;
                }
            }
            assertTrue(ex != null);
            assertEquals(0, alloc.counters().get(AllocatorCounters.LIMIT_WAITS));
            assertFalse(ex.getMessage().contains("after waiting"), "limitWaitNanos=0 (fail at once): " + ex.getMessage());
            assertEquals(0, ex.waitedNanos(), "documented: 0 without back-pressure");
            blocks.forEach(alloc::free);
        }
    }

    @Test
    void shouldEndALimitWaitWithIllegalStateExceptionWhenClosedAndReturnEveryByte() throws Exception
    {
        final NativeMemorySource source = new NativeMemorySource();
        final ArenaAllocator alloc = TestAllocators.builder(Policy.PER_THREAD).maxTotalBytes(LIMIT)
            .limitWaitNanos(TimeUnit.SECONDS.toNanos(20))
            .arenaConfig(ArenaConfig.builder().chunkSize(CHUNK).memorySource(source).build()).build();
        final AtomicReference<Throwable> waiterResult = new AtomicReference<>();
        final CountDownLatch full = new CountDownLatch(1);
        final Thread waiter = new Thread(() ->
        {
            try
            {
                for (int i = 0; i < 8; i++)
                {
                    alloc.allocate(BLOCK);
                }
                full.countDown();
                alloc.allocate(BLOCK); // waits
                waiterResult.set(new AssertionError("allocated past the limit"));
            }
            catch (final Throwable ex)
            {
                waiterResult.set(ex);
            }
        }, "waiter");
        waiter.start();
        TestAllocators.await(full);
        final long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(10);
        while (alloc.counters().get(AllocatorCounters.LIMIT_WAITS) == 0 && System.nanoTime() < deadline)
        {
            Thread.sleep(1);
        }
        Thread.sleep(20);
        alloc.close();
        waiter.join(5000);
        assertFalse(waiter.isAlive(), "the waiter ends once the allocator is closed");
        assertTrue(waiterResult.get() instanceof IllegalStateException, "got " + waiterResult.get());
        assertEquals(0, source.reservedBytes());
        assertEquals(0, alloc.committedBytes());
    }

    @Test
    void shouldLeaveTheBudgetAndTheArenaUnchangedWhenTheGlobalLimitRefusesAChunk()
    {
        try (ArenaAllocator alloc = TestAllocators.builderWithoutThreadCache(Policy.PER_THREAD).maxTotalBytes(LIMIT)
            .arenaConfig(ArenaConfig.builder().chunkSize(CHUNK).compactOnAllocationFailure(false).build()).build())
        {
            final List<Long> blocks = new ArrayList<>();
            for (int i = 0; i < 8; i++)
            {
                blocks.add(alloc.allocate(BLOCK));
            }
            final OffHeapArena arena = alloc.arenaOf(blocks.get(0));
            final long committed = alloc.committedBytes();
            final long arenaCommitted = arena.committedBytes();
            final long live = arena.liveBlocks();
            for (final long size : new long[] {BLOCK, 3 * CHUNK})
            {
                assertThrows(AllocatorLimitExceededException.class, () -> alloc.allocate(size));
                assertThrows(AllocatorLimitExceededException.class, () -> alloc.allocateHandle(size));
                assertEquals(committed, alloc.committedBytes(), "size " + size);
                assertEquals(arenaCommitted, arena.committedBytes(), "size " + size);
                assertEquals(live, arena.liveBlocks(), "size " + size);
            }
            alloc.free(blocks.remove(0));
            blocks.add(alloc.allocate(BLOCK));
            blocks.forEach(alloc::free);
        }
    }

    /**
     * A reallocate of an orphan's block (borrowed) meets the orphan's arena limit and waits; meanwhile a new thread adopts
     * the orphan. The wait's next round can no longer borrow the arena: it ends with the IllegalStateException of a
     * reallocate on another living thread's arena, naming the operation the caller made (it named "allocate" before).
     */
    @Test
    void shouldEndALimitWaitOfABorrowedReallocateWithAClearExceptionWhenANewThreadAdoptsTheOrphan() throws Exception
    {
        final long wait = TimeUnit.SECONDS.toNanos(2);
        try (ArenaAllocator alloc = TestAllocators.builder(Policy.PER_THREAD).limitWaitNanos(wait)
            .arenaConfig(ArenaConfig.builder().chunkSize(CHUNK).maxTotalBytes(2 * CHUNK).build()).build())
        {
            final long[] b = new long[4];
            TestAllocators.onOtherThread("ended-owner", () ->
            {
                for (int i = 0; i < b.length; i++)
                {
                    b[i] = alloc.allocate(BLOCK);
                }
            });
            final ManagedArena orphan = alloc.managedArenaOf(b[0]);
            final CountDownLatch release = new CountDownLatch(1);
            final AtomicBoolean adopted = new AtomicBoolean();
            final Thread helper = new Thread(() ->
            {
                final long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(5);
                while (alloc.counters().get(AllocatorCounters.LIMIT_WAITS) == 0 && System.nanoTime() < deadline)
                {
                    LockSupportPark.parkMicros(50);
                }
                for (int i = 0; i < 20 && !adopted.get(); i++)
                {
                    final Thread t = new Thread(() ->
                    {
                        try
                        {
                            alloc.allocate(16);
                        }
                        catch (final RuntimeException ignore)
                        {
                            // at the orphan's limit: adoption happened anyway
                        }
                        if (alloc.ownArenaForTest() == orphan)
                        {
                            adopted.set(true);
                            try
                            {
                                release.await(10, TimeUnit.SECONDS);
                            }
                            catch (final InterruptedException ignore)
                            {
                                // end
                            }
                        }
                    }, "adopter-" + i);
                    t.start();
                    final long until = System.nanoTime() + TimeUnit.MILLISECONDS.toNanos(50);
                    while (!adopted.get() && System.nanoTime() < until)
                    {
                        LockSupportPark.parkMicros(50);
                    }
                }
            }, "helper");
            helper.start();
            Throwable thrown = null;
            try
            {
                alloc.reallocate(b[0], 3 * BLOCK); // the orphan is full at its limit: waits
            }
            catch (final Throwable ex)
            {
                thrown = ex;
            }
            helper.join();
            final boolean wasAdopted = adopted.get();
            release.countDown();
            assertTrue(wasAdopted, "a new thread adopted the orphan during the wait");
            assertTrue(thrown instanceof AllocatorLimitExceededException || (thrown instanceof IllegalStateException &&
                thrown.getMessage().startsWith("reallocate:") && thrown.getMessage().contains("adopter")),
                "the limit's exception, or the clear refusal of a reallocate on the adopter's arena, got " + thrown);
        }
    }

    private static final class LockSupportPark
    {
        static void parkMicros(final long micros)
        {
            java.util.concurrent.locks.LockSupport.parkNanos(micros * 1000);
        }
    }

    /**
     * maxThreadArenas bounds the arenas living threads own; adoptOrphan (ThreadRegistry) takes an orphan without checking
     * it. A thread that starts while the orphan is held RECLAIMING makes a new arena (the bound is then reached), and
     * the next thread adopts the orphan on top of it.
     */
    @Test
    void shouldNotLetLivingThreadsOwnMoreThanMaxThreadArenasThroughAdoption() throws Exception
    {
        try (ArenaAllocator alloc = TestAllocators.builder(Policy.PER_THREAD).maxThreadArenas(1).build())
        {
            final long[] b = new long[1];
            TestAllocators.onOtherThread("ended-owner", () -> b[0] = alloc.allocate(BLOCK));
            final ManagedArena orphan = alloc.managedArenaOf(b[0]);
            final CountDownLatch release = new CountDownLatch(1);
            final AtomicInteger owning = new AtomicInteger();
            final CountDownLatch started = new CountDownLatch(2);
            final Runnable owner = () ->
            {
                final long a = alloc.allocate(64);
                if (alloc.ownArenaForTest() != null)
                {
                    owning.incrementAndGet();
                }
                started.countDown();
                try
                {
                    release.await(10, TimeUnit.SECONDS);
                }
                catch (final InterruptedException ignore)
                {
                    // end
                }
                alloc.free(a);
            };
            final Thread first = new Thread(owner, "starts-during-reclaim");
            final AtomicBoolean once = new AtomicBoolean();
            alloc.setMaintenanceListener((arena, now) ->
            {
                if (arena == orphan.arena && once.compareAndSet(false, true))
                {
                    first.start(); // the orphan is RECLAIMING now: not adoptable, so this thread makes an arena
                    final long until = System.nanoTime() + TimeUnit.SECONDS.toNanos(5);
                    while (started.getCount() == 2 && System.nanoTime() < until)
                    {
                        Thread.onSpinWait();
                    }
                }
            });
            alloc.maintain(1_000_000);
            alloc.setMaintenanceListener(null);
            final Thread second = new Thread(owner, "adopts-after");
            second.start();
            TestAllocators.await(started);
            final int owners = owning.get();
            release.countDown();
            first.join();
            second.join();
            alloc.free(b[0]);
            assertEquals(1, owners, "living threads owning an arena with maxThreadArenas=1 (adopted=" +
                alloc.counters().get(AllocatorCounters.ARENAS_ADOPTED) + ")");
        }
    }

    // ------------------------------------------------------------------------------------------------------------
    // LocalAllocator
    // ------------------------------------------------------------------------------------------------------------

    @Test
    void shouldRejectALocalAllocatorUsedAfterCloseOnItsOwnThreadAndOnAnother() throws Exception
    {
        final ArenaAllocator alloc = TestAllocators.create(Policy.PER_THREAD);
        final LocalAllocator local = alloc.local();
        final long a = local.allocate(64);
        final long h = local.allocateHandle(64);
        final long medium = local.allocate(BLOCK);
        alloc.close();
        assertThrows(IllegalStateException.class, () -> local.allocate(64));
        assertThrows(IllegalStateException.class, () -> local.allocateHandle(64));
        assertThrows(IllegalStateException.class, () -> local.free(a));
        assertThrows(IllegalStateException.class, () -> local.free(h));
        assertThrows(IllegalStateException.class, () -> local.free(medium));
        TestAllocators.onOtherThread("other", () ->
        {
            assertThrows(IllegalStateException.class, () -> local.allocate(64));
            assertThrows(IllegalStateException.class, () -> local.free(a));
        });
    }

    @Test
    void shouldServeTheLocalAllocatorOfAnEndedThreadSafelyAfterItsArenaWasAdopted() throws Exception
    {
        final NativeMemorySource source = new NativeMemorySource();
        try (ArenaAllocator alloc = TestAllocators.builder(Policy.PER_THREAD)
            .arenaConfig(ArenaConfig.builder().chunkSize(CHUNK).memorySource(source).build()).build())
        {
            final LocalAllocator[] dead = new LocalAllocator[1];
            final long[] blocks = new long[64];
            TestAllocators.onOtherThread("first", () ->
            {
                dead[0] = alloc.local();
                for (int i = 0; i < blocks.length; i++)
                {
                    blocks[i] = dead[0].allocate(16 + i * 8);
                    Patterns.fill(blocks[i], 16 + i * 8, i);
                }
            });
            TestAllocators.onOtherThread("adopter", () ->
            {
                assertFalse(dead[0].isOwnedByCurrentThread());
                final long mine = alloc.allocate(32); // adopts the first thread's arena
                assertEquals(1, alloc.counters().get(AllocatorCounters.ARENAS_ADOPTED));
                final List<Long> more = new ArrayList<>();
                for (int i = 0; i < 32; i++)
                {
                    final long b = dead[0].allocate(16 + i * 8); // the dead thread's view: the allocator's path
                    Patterns.fill(b, 16 + i * 8, 1000 + i);
                    more.add(b);
                }
                for (int i = 0; i < blocks.length; i += 2)
                {
                    dead[0].free(blocks[i]);
                    blocks[i] = 0;
                }
                for (int i = 0; i < more.size(); i++)
                {
                    Patterns.check(more.get(i), 16 + i * 8, 1000 + i, "block " + i);
                    dead[0].free(more.get(i));
                }
                alloc.free(mine);
                alloc.flushThreadCache();
            });
            for (int i = 0; i < blocks.length; i++)
            {
                if (blocks[i] != 0)
                {
                    Patterns.check(blocks[i], 16 + i * 8, i, "block " + i);
                    alloc.free(blocks[i]);
                }
            }
            assertEquals(0, TestAllocators.settle(alloc));
        }
        assertEquals(0, source.reservedBytes());
    }

    // ------------------------------------------------------------------------------------------------------------
    // churn: adoption, reclaim, remote frees, background maintenance
    // ------------------------------------------------------------------------------------------------------------

    @Test
    void shouldKeepEveryBlockIntactAndReturnEveryByteUnderAdoptionReclaimAndRemoteFreeChurn() throws Exception
    {
        final NativeMemorySource source = new NativeMemorySource();
        final AtomicInteger handlerErrors = new AtomicInteger();
        final ArenaAllocator alloc = TestAllocators.builder(Policy.PER_THREAD)
            .backgroundMaintenance(true).maintenancePeriodNanos(200_000).livenessScanNanos(0)
            .maxThreadArenas(3)
            .errorHandler(ex -> handlerErrors.incrementAndGet())
            .arenaConfig(ArenaConfig.builder().chunkSize(CHUNK).memorySource(source).fragmentationThreshold(0.05).build())
            .build();
        final ConcurrentLinkedQueue<long[]> handedOff = new ConcurrentLinkedQueue<>(); // {id, size, seed}
        final AtomicReference<Throwable> failure = new AtomicReference<>();
        final long end = System.nanoTime() + TimeUnit.SECONDS.toNanos(5);
        final AtomicInteger seeds = new AtomicInteger();
        final AtomicBoolean producing = new AtomicBoolean(true);
        final Thread spawner = startWaves("worker", end, failure, producing, seedBase ->
        {
            try
            {
                final SplittableRandom rnd = new SplittableRandom(seedBase);
                final List<long[]> kept = new ArrayList<>();
                for (int i = 0; i < 400; i++)
                {
                    final long size = rnd.nextInt(8) == 0 ? 2000 + rnd.nextInt(60_000) : 1 + rnd.nextInt(500);
                    final long[] rec = allocateFilled(alloc, size, rnd.nextInt(4) == 0, seeds);
                    switch (rnd.nextInt(3))
                    {
                        case 0: handedOff.add(rec); break; // freed by main (remote)
                        case 1: kept.add(rec); break; // freed here, later
                        default: handedOff.add(rec); break; // outlives its thread
                    }
                }
                for (int i = 0; i < kept.size(); i += 2)
                {
                    final long[] r = kept.get(i);
                    check(alloc, r);
                    alloc.free(r[0]);
                }
                for (int i = 1; i < kept.size(); i += 2)
                {
                    handedOff.add(kept.get(i)); // live at the thread's end
                }
            }
            catch (final Throwable ex)
            {
                failure.compareAndSet(null, ex);
            }
        });
        try
        {
            while (producing.get() || !handedOff.isEmpty())
            {
                final long[] r = handedOff.poll();
                if (r == null)
                {
                    alloc.maintain(50_000);
                    Thread.onSpinWait();
                    continue;
                }
                check(alloc, r);
                alloc.free(r[0]);
            }
            spawner.join();
            if (failure.get() != null)
            {
                throw new AssertionError("worker failed", failure.get());
            }
            assertEquals(0, handlerErrors.get(), "no free was reported as invalid");
            assertEquals(0, TestAllocators.settle(alloc), "live bytes");
        }
        finally
        {
            alloc.close();
        }
        assertEquals(0, alloc.committedBytes());
        assertEquals(0, source.reservedBytes(), "every byte went back to the source");
    }

    @Test
    void shouldKeepBlocksIntactAndTheBudgetExactWhenThreadsWaitAtTheGlobalLimitWhileOthersEndAndAreAdopted()
        throws Exception
    {
        final NativeMemorySource source = new NativeMemorySource();
        final long limit = 8 * CHUNK;
        final ArenaAllocator alloc = TestAllocators.builder(Policy.PER_THREAD)
            .backgroundMaintenance(true).maintenancePeriodNanos(500_000).livenessScanNanos(0)
            .maxTotalBytes(limit).limitWaitNanos(TimeUnit.MILLISECONDS.toNanos(20))
            .arenaConfig(ArenaConfig.builder().chunkSize(CHUNK).memorySource(source).fragmentationThreshold(0.05).build())
            .build();
        final ConcurrentLinkedQueue<long[]> handedOff = new ConcurrentLinkedQueue<>();
        final AtomicReference<Throwable> failure = new AtomicReference<>();
        final AtomicInteger seeds = new AtomicInteger();
        final AtomicInteger limitFailures = new AtomicInteger();
        final AtomicBoolean producing = new AtomicBoolean(true);
        final long end = System.nanoTime() + TimeUnit.SECONDS.toNanos(4);
        final Thread spawner = startWaves("limited", end, failure, producing, seedBase ->
        {
            final SplittableRandom rnd = new SplittableRandom(seedBase);
            for (int i = 0; i < 150 && failure.get() == null; i++)
            {
                final long size = rnd.nextInt(3) == 0 ? 20_000 + rnd.nextInt(100_000) : 1 + rnd.nextInt(3000);
                final boolean handle = rnd.nextInt(3) == 0;
                try
                {
                    final long[] rec = allocateFilled(alloc, size, handle, seeds);
                    if (rnd.nextBoolean())
                    {
                        check(alloc, rec);
                        alloc.free(rec[0]);
                    }
                    else
                    {
                        handedOff.add(rec);
                    }
                }
                catch (final AllocatorLimitExceededException ex)
                {
                    limitFailures.incrementAndGet();
                }
                catch (final Throwable ex)
                {
                    failure.compareAndSet(null, ex);
                }
            }
        });
        try
        {
            while (producing.get() || !handedOff.isEmpty())
            {
                final long[] r = handedOff.poll();
                if (r == null)
                {
                    Thread.onSpinWait();
                    continue;
                }
                check(alloc, r);
                alloc.free(r[0]);
                assertTrue(alloc.committedBytes() <= limit, "committed " + alloc.committedBytes());
            }
            spawner.join();
            if (failure.get() != null)
            {
                throw new AssertionError("worker failed (limit failures " + limitFailures.get() + ")", failure.get());
            }
            assertEquals(0, TestAllocators.settle(alloc), "live bytes");
        }
        finally
        {
            alloc.close();
        }
        assertEquals(0, alloc.committedBytes());
        assertEquals(0, source.reservedBytes(), "every byte went back to the source");
    }

    /**
     * Starts a thread that runs waves of three threads, {@code prefix-wave-t}, each running
     * {@code worker.accept(wave * 10 + t)} (its seed base), until {@code end} or a failure, joining each wave before the
     * next; {@code producing} is cleared after the last wave. @return the started spawner.
     */
    private static Thread startWaves(final String prefix, final long end, final AtomicReference<Throwable> failure,
        final AtomicBoolean producing, final java.util.function.IntConsumer worker)
    {
        final Thread spawner = new Thread(() ->
        {
            int wave = 0;
            while (System.nanoTime() < end && failure.get() == null)
            {
                final Thread[] ts = new Thread[3];
                for (int t = 0; t < ts.length; t++)
                {
                    final int seedBase = wave * 10 + t;
                    ts[t] = new Thread(() -> worker.accept(seedBase), prefix + "-" + wave + "-" + t);
                    ts[t].start();
                }
                for (final Thread t : ts)
                {
                    try
                    {
                        t.join();
                    }
                    catch (final InterruptedException ex)
                    {
                        return;
                    }
                }
                wave++;
            }
            producing.set(false);
        }, "spawner");
        spawner.start();
        return spawner;
    }

    /**
     * A fixed block, or a handle when {@code handle}, of {@code size} bytes, filled with the pattern of the next seed
     * (through a pin for a handle). @return {id, size, seed}.
     */
    private static long[] allocateFilled(final ArenaAllocator alloc, final long size, final boolean handle,
        final AtomicInteger seeds)
    {
        final long id = handle ? alloc.allocateHandle(size) : alloc.allocate(size);
        final long seed = seeds.incrementAndGet();
        final long addr = handle ? alloc.pin(id) : id;
        Patterns.fill(addr, size, seed);
        if (handle)
        {
            alloc.unpin(id);
        }
        return new long[] {id, size, seed};
    }

    private static void check(final ArenaAllocator alloc, final long[] r)
    {
        final long id = r[0];
        final long addr = id < 0 ? alloc.pin(id) : id;
        try
        {
            Patterns.check(addr, r[1], r[2], "block seed " + r[2]);
        }
        finally
        {
            if (id < 0)
            {
                alloc.unpin(id);
            }
        }
    }

    // ------------------------------------------------------------------------------------------------------------
    // close from the background thread (before the fix it left a daemon thread spinning in AgentRunner.close)
    // ------------------------------------------------------------------------------------------------------------

    @Test
    void shouldCloseWithoutHangingWhenAListenerOnTheBackgroundThreadClosesTheAllocator() throws Exception
    {
        final NativeMemorySource source = new NativeMemorySource();
        final ArenaAllocator alloc = TestAllocators.builder(Policy.STRIPED)
            .backgroundMaintenance(true).maintenancePeriodNanos(1_000_000)
            .arenaConfig(ArenaConfig.builder().chunkSize(CHUNK).memorySource(source).build()).build();
        alloc.free(alloc.allocate(64)); // a stripe with a chunk
        final CountDownLatch closeReturned = new CountDownLatch(1);
        final AtomicBoolean once = new AtomicBoolean();
        final PrintStream err = System.err;
        System.setErr(new PrintStream(OutputStream.nullOutputStream())); // Agrona's retry loop prints on every turn
        alloc.setMaintenanceListener((arena, now) ->
        {
            if (Thread.currentThread().getName().endsWith("-maintenance") && once.compareAndSet(false, true))
            {
                alloc.close(); // e.g. an application shutting down on a fatal condition seen in maintenance
                closeReturned.countDown();
            }
        });
        final boolean returned = closeReturned.await(3, TimeUnit.SECONDS);
        if (returned)
        {
            System.setErr(err);
        }
        assertTrue(once.get(), "the listener ran on the background thread");
        assertTrue(returned, "close() called on the background maintenance thread never returned " +
            "(AgentRunner.close joins its own thread); closed=" + alloc.isClosed() + ", bytes still held=" +
            source.reservedBytes());
        assertEquals(0, source.reservedBytes());
    }

    @Test
    void shouldNotFailTheBackgroundThreadOrLeakWhenTheAllocatorClosesWhileItMaintains() throws Exception
    {
        for (int round = 0; round < 30; round++)
        {
            final NativeMemorySource source = new NativeMemorySource();
            final AtomicInteger errors = new AtomicInteger();
            final ArenaAllocator alloc = TestAllocators.builder(Policy.PER_THREAD)
                .backgroundMaintenance(true).maintenancePeriodNanos(1_000).livenessScanNanos(0)
                .errorHandler(ex -> errors.incrementAndGet())
                .arenaConfig(ArenaConfig.builder().chunkSize(CHUNK).memorySource(source).build()).build();
            TestAllocators.onOtherThread("orphan-maker", () ->
            {
                for (int i = 0; i < 50; i++)
                {
                    alloc.allocate(1 + i * 300);
                }
            });
            Thread.sleep(2);
            alloc.close();
            assertEquals(0, source.reservedBytes(), "round " + round);
            assertEquals(0, errors.get(), "round " + round);
        }
    }
}
