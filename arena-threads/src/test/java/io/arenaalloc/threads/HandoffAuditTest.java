package io.arenaalloc.threads;

import io.arenaalloc.core.ArenaConfig;
import io.arenaalloc.core.InvalidBlockException;
import io.arenaalloc.core.NativeMemorySource;
import io.arenaalloc.core.StaleHandleException;
import org.junit.jupiter.api.Test;

import java.util.ArrayList;
import java.util.List;
import java.util.SplittableRandom;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicReference;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * Cross-thread hand-offs as a production user meets them: blocks outliving the thread that allocated them,
 * frees and pins from other threads while the owner (or a reclaimer) drains and compacts, close with blocks
 * and queued frees still out, double frees queued remotely. Every block carries a pattern checked after each
 * hand-off; bytes are counted at a shared {@link NativeMemorySource} as well as by the allocator. The allocators
 * have no {@link ThreadBlockCache}, so every cross-thread free takes the remote-free protocol audited here
 * ({@code ThreadBlockCacheTest} audits the cached path).
 */
class HandoffAuditTest
{
    /** Fixed (even) and movable (odd) blocks, small, medium and a few above half a chunk. */
    private static long sizeOf(final int i)
    {
        if (i % 50 == 7)
        {
            return 150_000 + i; // above chunkSize / 2: a huge chunk of its own
        }
        return 1 + (i * 97L) % (i % 5 == 0 ? 9000 : 700);
    }

    private static ArenaConfig arenaConfig(final NativeMemorySource source)
    {
        return ArenaConfig.builder().chunkSize(TestAllocators.CHUNK).memorySource(source).fragmentationThreshold(0.05).build();
    }

    private static long pinOrAddress(final ArenaAllocator alloc, final long id)
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

    private static void join(final List<Thread> threads) throws InterruptedException
    {
        for (final Thread t : threads)
        {
            t.join(TimeUnit.SECONDS.toMillis(30));
            assertFalse(t.isAlive(), t.getName() + " did not finish");
        }
    }

    /**
     * Scenario: a producer allocates fixed blocks and handles, hands every one to consumers and ends; the consumers
     * (started only after it ended, so before any liveness scan: its arena is still OWNED by a dead thread) pin,
     * check and unpin each handle, check each fixed block, and free everything. Every free lands, the dead thread's
     * arena is reclaimed with nothing left, and every byte goes back to the memory source.
     */
    @Test
    void shouldLandEveryFreeOfAnEndedProducersBlocksAndGiveEveryByteBack() throws Exception
    {
        final NativeMemorySource source = new NativeMemorySource();
        final List<Throwable> errors = new CopyOnWriteArrayList<>();
        final ArenaAllocator alloc = TestAllocators.builderWithoutThreadCache(Policy.PER_THREAD).remoteFreeBatchSize(8)
            .errorHandler(errors::add).arenaConfig(arenaConfig(source)).build();
        try
        {
            final int n = 600;
            final long[] ids = new long[n];
            TestAllocators.onOtherThread("producer", () ->
            {
                for (int i = 0; i < n; i++)
                {
                    ids[i] = (i & 1) == 0 ? alloc.allocate(sizeOf(i)) : alloc.allocateHandle(sizeOf(i));
                    Patterns.fill(pinOrAddress(alloc, ids[i]), sizeOf(i), i);
                    unpinIfHandle(alloc, ids[i]);
                }
            });
            final ManagedArena m = alloc.managedArenaOf(ids[1]);
            assertEquals(ManagedArena.OWNED, m.stateAcquire(), "no scan yet: the dead thread still owns its arena");
            assertTrue(source.reservedBytes() > 0);

            final int consumers = 3;
            final CountDownLatch start = new CountDownLatch(1);
            final AtomicReference<Throwable> failure = new AtomicReference<>();
            final List<Thread> threads = new ArrayList<>();
            for (int k = 0; k < consumers; k++)
            {
                final int first = k;
                threads.add(new Thread(() ->
                {
                    try
                    {
                        TestAllocators.await(start);
                        for (int i = first; i < n; i += consumers)
                        {
                            final long address = pinOrAddress(alloc, ids[i]);
                            if (ids[i] < 0)
                            {
                                assertEquals(address, alloc.pin(ids[i]), "nested pin, same address");
                                alloc.unpin(ids[i]);
                            }
                            Patterns.check(address, sizeOf(i), i, "block " + i + " of the ended producer");
                            unpinIfHandle(alloc, ids[i]);
                            alloc.free(ids[i]);
                        }
                    }
                    catch (final Throwable ex)
                    {
                        failure.compareAndSet(null, ex);
                    }
                }, "consumer-" + k));
            }
            threads.forEach(Thread::start);
            start.countDown();
            join(threads);
            assertNull(failure.get(), () -> "consumer failed: " + failure.get());

            final long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(5);
            while (!m.arena.isClosed() && System.nanoTime() < deadline)
            {
                alloc.maintain(1_000_000);
            }
            assertTrue(m.arena.isClosed(), () -> "the orphan is reclaimed once every free landed: " + m + " " +
                alloc.counters());
            assertTrue(errors.isEmpty(), () -> "remote frees rejected: " + errors);
            assertEquals(0, alloc.counters().get(AllocatorCounters.REMOTE_FREE_ERRORS));
            assertEquals(0, alloc.committedBytes(), "no arena is left holding memory");
            assertEquals(0, source.reservedBytes(), "every byte went back to the source");
            assertEquals(0, alloc.arenaCount());
            // the freed values are now foreign: rejected at once, on the caller
            assertThrows(InvalidBlockException.class, () -> alloc.free(ids[0]));
            assertThrows(StaleHandleException.class, () -> alloc.free(ids[1]));
        }
        finally
        {
            alloc.close();
        }
        assertEquals(0, source.reservedBytes());
    }

    /**
     * Scenario: the producer hands blocks off while it runs, frees some of its own (so its arena fragments), and
     * ends in the middle of the consumers' work; the background thread orphans and compacts its arena while the
     * consumers pin (holding each pin across a few re-checks), unpin and free. Pinned addresses never move, patterns
     * survive every move, nothing is left.
     */
    @Test
    void shouldKeepPinsAndPatternsWhileAnEndedProducersArenaIsCompactedAndReclaimed() throws Exception
    {
        final NativeMemorySource source = new NativeMemorySource();
        final List<Throwable> errors = new CopyOnWriteArrayList<>();
        final ArenaAllocator alloc = TestAllocators.builderWithoutThreadCache(Policy.PER_THREAD)
            .backgroundMaintenance(true)
            .maintenancePeriodNanos(TimeUnit.MICROSECONDS.toNanos(200))
            .livenessScanNanos(TimeUnit.MICROSECONDS.toNanos(200))
            .maintenanceBudgetNanos(TimeUnit.MILLISECONDS.toNanos(1))
            .remoteFreeBatchSize(4)
            .errorHandler(errors::add)
            .arenaConfig(arenaConfig(source))
            .build();
        try
        {
            final int n = 3000;
            final ConcurrentLinkedQueue<long[]> handoff = new ConcurrentLinkedQueue<>(); // {id, i}
            final CountDownLatch producerDone = new CountDownLatch(1);
            final AtomicReference<Throwable> failure = new AtomicReference<>();
            final Thread producer = new Thread(() ->
            {
                try
                {
                    final long[] mine = new long[n];
                    for (int i = 0; i < n; i++)
                    {
                        final long size = 2000 + (i * 31L) % 5000; // medium: frees coalesce into runs to compact
                        final long id = alloc.allocateHandle(size);
                        Patterns.fill(alloc.pin(id), size, i);
                        alloc.unpin(id);
                        if (i % 3 == 0)
                        {
                            handoff.add(new long[] {id, i, size});
                        }
                        else
                        {
                            mine[i] = id;
                        }
                    }
                    for (int i = 0; i < n; i++)
                    {
                        if (mine[i] != 0)
                        {
                            alloc.free(mine[i]); // two thirds freed: holes everywhere
                        }
                    }
                }
                catch (final Throwable ex)
                {
                    failure.compareAndSet(null, ex);
                }
                finally
                {
                    producerDone.countDown();
                }
            }, "producer");
            final List<Thread> consumers = new ArrayList<>();
            for (int k = 0; k < 2; k++)
            {
                consumers.add(new Thread(() ->
                {
                    try
                    {
                        while (true)
                        {
                            final long[] b = handoff.poll();
                            if (b == null)
                            {
                                if (producerDone.getCount() == 0 && handoff.isEmpty())
                                {
                                    return;
                                }
                                Thread.onSpinWait();
                                continue;
                            }
                            final long address = alloc.pin(b[0]);
                            for (int r = 0; r < 3; r++)
                            {
                                Patterns.check(address, b[2], b[1], "pinned block " + b[1] + ", re-check " + r);
                                Thread.yield(); // give the compactor time to (not) move it
                                assertEquals(address, alloc.pin(b[0]), "a pinned block does not move");
                                alloc.unpin(b[0]);
                            }
                            alloc.unpin(b[0]);
                            alloc.free(b[0]);
                        }
                    }
                    catch (final Throwable ex)
                    {
                        failure.compareAndSet(null, ex);
                    }
                }, "consumer-" + k));
            }
            producer.start();
            consumers.forEach(Thread::start);
            producer.join();
            join(consumers);
            assertNull(failure.get(), () -> "failure: " + failure.get());

            final long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(5);
            while (alloc.arenaCount() != 0 && System.nanoTime() < deadline)
            {
                Thread.sleep(1); // the background thread reclaims
            }
            assertEquals(0, alloc.arenaCount(), () -> "the producer's arena was reclaimed: " + alloc.counters());
            assertTrue(errors.isEmpty(), () -> "errors: " + errors);
            assertEquals(0, source.reservedBytes());
        }
        finally
        {
            alloc.close();
        }
        assertEquals(0, source.reservedBytes());
    }

    /**
     * Scenario: close while an owner thread still holds blocks and a view, a freer holds a pin and has remote frees
     * queued (unapplied: the owner is parked), and the background thread runs. Close gives every byte back; every
     * later call on those threads fails with an IllegalStateException that says the allocator is closed.
     */
    @Test
    void shouldReturnEveryByteAtCloseWithBlocksOutAndFreesQueuedThenRefuseEveryLaterCall() throws Exception
    {
        final NativeMemorySource source = new NativeMemorySource();
        final ArenaAllocator alloc = TestAllocators.builderWithoutThreadCache(Policy.PER_THREAD)
            .backgroundMaintenance(true)
            .maintenancePeriodNanos(TimeUnit.MILLISECONDS.toNanos(1))
            .arenaConfig(arenaConfig(source))
            .build();
        final int n = 300;
        final long[] ids = new long[n];
        final CountDownLatch allocated = new CountDownLatch(1);
        final CountDownLatch queued = new CountDownLatch(1);
        final CountDownLatch closed = new CountDownLatch(1);
        final AtomicReference<Throwable> failure = new AtomicReference<>();
        final List<Thread> threads = new ArrayList<>();
        threads.add(new Thread(() ->
        {
            try
            {
                final LocalAllocator local = alloc.local();
                for (int i = 0; i < n; i++)
                {
                    ids[i] = (i & 1) == 0 ? local.allocate(sizeOf(i)) : local.allocateHandle(sizeOf(i));
                    Patterns.fill(pinOrAddress(alloc, ids[i]), sizeOf(i), i);
                    unpinIfHandle(alloc, ids[i]);
                }
                allocated.countDown();
                TestAllocators.await(closed);
                assertClosed(() -> local.free(ids[0]));
                assertClosed(() -> local.free(ids[1]));
                assertClosed(() -> local.allocate(8));
                assertClosed(() -> local.allocateHandle(8));
                assertClosed(() -> alloc.free(ids[2]));
                assertClosed(() -> alloc.allocate(8));
                assertClosed(() -> alloc.pin(ids[3]));
                assertClosed(() -> alloc.reallocate(ids[2], 100));
                assertClosed(() -> alloc.maintain(0));
                assertClosed(alloc::local);
            }
            catch (final Throwable ex)
            {
                failure.compareAndSet(null, ex);
            }
        }, "owner"));
        threads.add(new Thread(() ->
        {
            try
            {
                TestAllocators.await(allocated);
                for (int i = 4; i < n; i++)
                {
                    alloc.free(ids[i]); // queued for the owner, which never drains again
                }
                alloc.pin(ids[3]);
                queued.countDown();
                TestAllocators.await(closed);
                assertClosed(() -> alloc.unpin(ids[3]));
                assertClosed(() -> alloc.free(ids[3]));
                assertClosed(() -> alloc.pinned(ids[3]));
            }
            catch (final Throwable ex)
            {
                failure.compareAndSet(null, ex);
            }
        }, "freer"));
        threads.forEach(Thread::start);
        TestAllocators.await(queued);
        assertNull(failure.get(), () -> "failure: " + failure.get());
        final ManagedArena m = alloc.managedArenaOf(ids[1]);
        assertTrue(m.inbox.hasWorkRelaxed(), "frees are queued, unapplied");
        assertTrue(source.reservedBytes() > 0);

        alloc.close();
        assertEquals(0, alloc.committedBytes());
        assertEquals(0, source.reservedBytes(), "close gave every byte back, queued frees and pins notwithstanding");
        closed.countDown();
        join(threads);
        assertNull(failure.get(), () -> "failure: " + failure.get());
        assertEquals(0, source.reservedBytes());
    }

    private static void assertClosed(final org.junit.jupiter.api.function.Executable call)
    {
        final IllegalStateException ex = assertThrows(IllegalStateException.class, call);
        assertTrue(ex.getMessage().contains("is closed"), ex.getMessage());
    }

    /**
     * Scenario: two freers free the same address, and the same handle, remotely (and a third frees a handle that was
     * already freed and whose slot is live again). The owner applies one free of each, reports every other one to
     * the error handler as an InvalidRemoteFreeException naming the value, and its arena validates clean with the
     * blocks it kept intact.
     */
    @Test
    void shouldReportEveryRemoteDoubleFreeAndKeepTheArenaValid() throws Exception
    {
        final List<Throwable> errors = new CopyOnWriteArrayList<>();
        try (ArenaAllocator alloc = TestAllocators.builderWithoutThreadCache(Policy.PER_THREAD).errorHandler(errors::add).build())
        {
            final int n = 200;
            final long[] ids = new long[n];
            for (int i = 0; i < n; i++)
            {
                ids[i] = (i & 1) == 0 ? alloc.allocate(sizeOf(i)) : alloc.allocateHandle(sizeOf(i));
                Patterns.fill(pinOrAddress(alloc, ids[i]), sizeOf(i), i);
                unpinIfHandle(alloc, ids[i]);
            }
            final ManagedArena m = alloc.managedArenaOf(ids[1]);
            final CountDownLatch go = new CountDownLatch(1);
            final List<Thread> freers = new ArrayList<>();
            for (int k = 0; k < 2; k++)
            {
                freers.add(new Thread(() ->
                {
                    try
                    {
                        TestAllocators.await(go);
                        for (int i = 0; i < n / 2; i++)
                        {
                            alloc.free(ids[i]); // both freers: every one of the first half, twice in all
                        }
                    }
                    catch (final InterruptedException ex)
                    {
                        Thread.currentThread().interrupt();
                    }
                }, "double-freer-" + k));
            }
            freers.forEach(Thread::start);
            go.countDown();
            join(freers);
            alloc.maintain(0);
            assertEquals(n / 2, m.arena.liveBlocks(), "one free of each doubled value applied");
            assertEquals(n / 2, errors.size(), () -> "one report per second free: " + errors);
            assertEquals(n / 2, alloc.counters().get(AllocatorCounters.REMOTE_FREE_ERRORS));
            for (final Throwable t : errors)
            {
                final InvalidRemoteFreeException ex = assertInstanceOf(InvalidRemoteFreeException.class, t);
                assertTrue(ex.getMessage().contains(Long.toHexString(ex.value())), ex.getMessage());
            }
            m.arena.validate();

            // a stale handle whose slot is live again: its remote free is stale, not a free of the new block
            final long reused = alloc.allocateHandle(64);
            Patterns.fill(alloc.pin(reused), 64, -1);
            alloc.unpin(reused);
            TestAllocators.onOtherThread("stale-freer", () ->
            {
                for (int i = 1; i < n / 2; i += 2)
                {
                    alloc.free(ids[i]);
                }
            });
            alloc.maintain(0);
            assertEquals(n / 2 + n / 4, errors.size());
            assertEquals(n / 2 + 1, m.arena.liveBlocks(), "the reused slot's block is still live");
            Patterns.check(alloc.resolve(reused), 64, -1, "block in a reused handle slot");
            for (int i = n / 2; i < n; i++)
            {
                Patterns.check(ids[i] < 0 ? alloc.resolve(ids[i]) : ids[i], sizeOf(i), i, "kept block " + i);
                alloc.free(ids[i]);
            }
            alloc.free(reused);
            m.arena.validate();
            assertEquals(0, m.arena.liveBlocks());
        }
    }

    /**
     * Scenario: the owner reallocates a handle (each size change moves a medium block) while another thread pins it
     * to read it. Either the reallocation finds the pin and refuses, or the pin comes after the move; a pinned
     * address must never be moved or freed under its pin.
     */
    @Test
    void shouldNeverMoveAPinnedBlockWhenTheOwnerReallocatesItsHandle() throws Exception
    {
        try (ArenaAllocator alloc = TestAllocators.builderWithoutThreadCache(Policy.PER_THREAD)
            .arenaConfig(ArenaConfig.builder().chunkSize(TestAllocators.CHUNK).debug(true).build()).build())
        {
            final long small = 2048;
            final long large = 24_000;
            final long h = alloc.allocateHandle(small);
            Patterns.fill(alloc.resolve(h), small, 42);
            final AtomicReference<Throwable> failure = new AtomicReference<>();
            final java.util.concurrent.atomic.AtomicBoolean stop = new java.util.concurrent.atomic.AtomicBoolean();
            final java.util.concurrent.atomic.AtomicLong pins = new java.util.concurrent.atomic.AtomicLong();
            final Thread pinner = new Thread(() ->
            {
                try
                {
                    while (!stop.get())
                    {
                        final long address = alloc.pin(h);
                        try
                        {
                            for (int r = 0; r < 4; r++)
                            {
                                Patterns.check(address, small, 42, "pinned block, read " + r);
                                final long again = alloc.pin(h);
                                alloc.unpin(h);
                                assertEquals(address, again, "the block moved under its pin");
                            }
                        }
                        finally
                        {
                            alloc.unpin(h);
                        }
                        pins.incrementAndGet();
                        Thread.yield(); // leave the owner a window between pins: on 2 busy cores it may see none
                    }
                }
                catch (final Throwable ex)
                {
                    failure.compareAndSet(null, ex);
                }
            }, "pinner");
            pinner.start();
            long moves = 0;
            long refused = 0;
            // run until both sides have done enough work (a fixed time gave 4 moves on a loaded 2-core CI box)
            final long end = System.nanoTime() + TimeUnit.SECONDS.toNanos(20);
            while (failure.get() == null && System.nanoTime() < end && (moves < 200 || pins.get() < 200))
            {
                try
                {
                    alloc.reallocate(h, (moves & 1) == 0 ? large : small);
                    moves++;
                }
                catch (final IllegalStateException ex)
                {
                    assertTrue(ex.getMessage().contains("pinned"), ex.getMessage());
                    refused++;
                    Thread.yield();
                }
            }
            stop.set(true);
            pinner.join();
            final long m = moves;
            final long r = refused;
            assertNull(failure.get(), () -> "after " + m + " moves, " + r + " refusals, " + pins.get() + " pins: " +
                failure.get());
            assertTrue(moves >= 200 && pins.get() >= 200, "moves=" + m + ", pins=" + pins.get() + ", refusals=" + r);
            Patterns.check(alloc.resolve(h), small, 42, "the block after every reallocation");
            alloc.free(h);
        }
    }

    /** Starts {@code task} on a virtual thread (JDK 21+, through reflection: this module compiles for 17), else null. */
    private static Thread startVirtual(final Runnable task)
    {
        try
        {
            return (Thread)Thread.class.getMethod("startVirtualThread", Runnable.class).invoke(null, task);
        }
        catch (final NoSuchMethodException ex)
        {
            return null;
        }
        catch (final ReflectiveOperationException ex)
        {
            throw new AssertionError(ex);
        }
    }

    /**
     * Scenario: the smallest inbox there is (a batch queue of 2, batches of 3, a ring of 2) and four platform freers
     * (plus two virtual ones where the JDK has them) freeing at once into one living owner's arena, while the owner
     * keeps allocating, filling, freeing its own blocks and draining every call. Every queued free is applied exactly
     * once: no report, the owner's own blocks (allocated meanwhile, possibly at addresses just freed remotely) keep
     * their patterns, and the arena validates with exactly the blocks kept.
     */
    @Test
    void shouldApplyEveryRemoteFreeExactlyOnceThroughAFullInboxUnderConcurrentFreers() throws Exception
    {
        final List<Throwable> errors = new CopyOnWriteArrayList<>();
        try (ArenaAllocator alloc = TestAllocators.builderWithoutThreadCache(Policy.PER_THREAD).inboxCapacity(2).remoteFreeBatchSize(3)
            .ringCapacity(2).drainInterval(1).errorHandler(errors::add).build())
        {
            final int n = 6000;
            final long[] ids = new long[n];
            for (int i = 0; i < n; i++)
            {
                final long size = 1 + (i * 37L) % 1500;
                ids[i] = (i & 1) == 0 ? alloc.allocate(size) : alloc.allocateHandle(size);
                Patterns.fill((i & 1) == 0 ? ids[i] : alloc.resolve(ids[i]), size, i);
            }
            final ManagedArena m = alloc.managedArenaOf(ids[0]);
            final int freers = 6;
            final CountDownLatch go = new CountDownLatch(1);
            final CountDownLatch done = new CountDownLatch(freers);
            final AtomicReference<Throwable> failure = new AtomicReference<>();
            final List<Thread> threads = new ArrayList<>();
            int virtual = 0;
            for (int k = 0; k < freers; k++)
            {
                final int first = k;
                final Runnable task = () ->
                {
                    try
                    {
                        TestAllocators.await(go);
                        for (int i = first; i < n; i += freers)
                        {
                            if (i % 4 != 3) // every fourth block stays with the owner
                            {
                                alloc.free(ids[i]);
                            }
                        }
                    }
                    catch (final Throwable ex)
                    {
                        failure.compareAndSet(null, ex);
                    }
                    finally
                    {
                        done.countDown();
                    }
                };
                final Thread v = k >= 4 ? startVirtual(task) : null;
                if (v != null)
                {
                    virtual++;
                    threads.add(v);
                }
                else
                {
                    final Thread t = new Thread(task, "freer-" + k);
                    t.start();
                    threads.add(t);
                }
            }
            // the owner churns its own blocks (drainInterval 1: every call drains) while the frees arrive
            final List<long[]> own = new ArrayList<>(); // {address, size, seed}
            final SplittableRandom rnd = new SplittableRandom(11);
            go.countDown();
            long seed = 1_000_000;
            while (done.getCount() != 0 || own.size() < 200)
            {
                final long size = 1 + rnd.nextInt(1500);
                final long a = alloc.allocate(size);
                Patterns.fill(a, size, seed);
                own.add(new long[] {a, size, seed++});
                if (own.size() > 400)
                {
                    final long[] b = own.remove(rnd.nextInt(own.size()));
                    Patterns.check(b[0], b[1], b[2], "owner's block while remote frees land");
                    alloc.free(b[0]);
                }
            }
            join(threads);
            assertNull(failure.get(), () -> "freer failed: " + failure.get());
            alloc.maintain(0);
            assertTrue(m.inbox.isQuiescent(), "everything applied");
            assertTrue(errors.isEmpty(), () -> "no free applied twice or lost: " + errors);
            assertTrue(alloc.counters().get(AllocatorCounters.BATCHES_OVERFLOWED) > 0, alloc.counters().toString());
            if (virtual > 0)
            {
                assertTrue(alloc.counters().get(AllocatorCounters.SINGLE_FREES_OVERFLOWED) +
                    alloc.counters().get(AllocatorCounters.SINGLE_FREES) > 0, alloc.counters().toString());
            }
            assertEquals(n / 4 + own.size(), m.arena.liveBlocks(), "exactly the kept blocks are live");
            m.arena.validate();
            for (final long[] b : own)
            {
                Patterns.check(b[0], b[1], b[2], "owner's block at the end");
                alloc.free(b[0]);
            }
            for (int i = 3; i < n; i += 4)
            {
                final long size = 1 + (i * 37L) % 1500;
                Patterns.check((i & 1) == 0 ? ids[i] : alloc.resolve(ids[i]), size, i, "kept block " + i);
                alloc.free(ids[i]);
            }
            assertEquals(0, m.arena.liveBlocks());
        }
    }

    /**
     * Scenario: a living owner compacts its fragmented arena through maintain(budget) in a loop (and keeps
     * fragmenting it) while platform threads and, where the JDK has them, virtual threads pin its handles, hold
     * each pin across re-checks, unpin, and finally free their share remotely. Compaction moves blocks; no pinned
     * block moves; every pattern survives; every free lands.
     */
    @Test
    void shouldKeepPinnedAddressesValidWhileTheOwnerCompactsThroughMaintain() throws Exception
    {
        final List<Throwable> errors = new CopyOnWriteArrayList<>();
        try (ArenaAllocator alloc = TestAllocators.builderWithoutThreadCache(Policy.PER_THREAD).errorHandler(errors::add)
            .arenaConfig(ArenaConfig.builder().chunkSize(TestAllocators.CHUNK).fragmentationThreshold(0.05).build()).build())
        {
            final int n = 1600;
            final long[] all = new long[n];
            for (int i = 0; i < n; i++)
            {
                final long size = 2000 + (i * 53L) % 6000;
                all[i] = alloc.allocateHandle(size);
                Patterns.fill(alloc.resolve(all[i]), size, i);
            }
            for (int i = 0; i < n; i++)
            {
                if (i % 4 != 0)
                {
                    alloc.free(all[i]); // three quarters go: holes for the compactor to fill
                }
            }
            final ManagedArena m = alloc.managedArenaOf(all[0]);
            final long movedBefore = m.arena.counters().getOpaque(io.arenaalloc.core.ArenaCounters.BYTES_MOVED);
            final java.util.concurrent.atomic.AtomicBoolean stop = new java.util.concurrent.atomic.AtomicBoolean();
            final AtomicReference<Throwable> failure = new AtomicReference<>();
            final int pinners = 4;
            final CountDownLatch done = new CountDownLatch(pinners);
            final CountDownLatch stopped = new CountDownLatch(pinners);
            final List<Thread> threads = new ArrayList<>();
            for (int k = 0; k < pinners; k++)
            {
                final int first = k;
                final Runnable task = () ->
                {
                    try
                    {
                        final SplittableRandom rnd = new SplittableRandom(first);
                        while (!stop.get())
                        {
                            final int i = 4 * rnd.nextInt(n / 4);
                            final long size = 2000 + (i * 53L) % 6000;
                            final long address = alloc.pin(all[i]);
                            try
                            {
                                for (int r = 0; r < 3; r++)
                                {
                                    Patterns.check(address, size, i, "pinned handle " + i + ", check " + r);
                                    Thread.yield();
                                    assertEquals(address, alloc.pin(all[i]), "moved under its pin");
                                    alloc.unpin(all[i]);
                                }
                            }
                            finally
                            {
                                alloc.unpin(all[i]);
                            }
                        }
                        stopped.countDown();
                        TestAllocators.await(stopped); // nobody pins any more: free this thread's share
                        for (int i = 4 * first; i < n; i += 4 * pinners)
                        {
                            alloc.free(all[i]);
                        }
                    }
                    catch (final Throwable ex)
                    {
                        failure.compareAndSet(null, ex);
                    }
                    finally
                    {
                        done.countDown();
                    }
                };
                final Thread v = (k & 1) == 1 ? startVirtual(task) : null;
                if (v != null)
                {
                    threads.add(v);
                }
                else
                {
                    final Thread t = new Thread(task, "pinner-" + k);
                    t.start();
                    threads.add(t);
                }
            }
            final SplittableRandom rnd = new SplittableRandom(5);
            // at least 1.2 s, and on until a move has finished (most steps find a pinned block or give a staged move
            // up, so on a busy CI core the first finished move can take longer), 20 s at most
            final long start = System.nanoTime();
            final long end = start + TimeUnit.MILLISECONDS.toNanos(1200);
            final long cap = start + TimeUnit.SECONDS.toNanos(20);
            long extra = 0;
            while (failure.get() == null && (System.nanoTime() < end || System.nanoTime() < cap &&
                m.arena.counters().getOpaque(io.arenaalloc.core.ArenaCounters.BYTES_MOVED) == movedBefore))
            {
                alloc.maintain(200_000);
                final long h = alloc.allocateHandle(2000 + rnd.nextInt(6000)); // the owner keeps churning
                if (extra != 0)
                {
                    alloc.free(extra);
                }
                extra = h;
            }
            stop.set(true);
            TestAllocators.await(done);
            join(threads);
            assertNull(failure.get(), () -> "failure: " + failure.get());
            if (extra != 0)
            {
                alloc.free(extra);
            }
            assertTrue(m.arena.counters().getOpaque(io.arenaalloc.core.ArenaCounters.BYTES_MOVED) > movedBefore,
                "the owner's maintenance moved blocks meanwhile");
            alloc.maintain(0);
            assertTrue(errors.isEmpty(), () -> "errors: " + errors);
            assertEquals(0, m.arena.liveBlocks(), "every remote free of the pinners landed");
            m.arena.validate();
        }
    }

    /**
     * Scenario: the producer ended a moment ago (joined), no liveness scan has run yet (the background thread is
     * off and the scan interval long), and a consumer asks for the size of a handed-off block and reallocates it.
     * The class Javadoc says a caller borrows the arena of an owner that ended; that must hold from the moment the
     * owner ended, not only after the next scan.
     */
    @Test
    void shouldBorrowTheArenaOfAnOwnerThatEndedBeforeAnyScanSawIt() throws Exception
    {
        try (ArenaAllocator alloc = TestAllocators.builderWithoutThreadCache(Policy.PER_THREAD).livenessScanNanos(TimeUnit.SECONDS.toNanos(60))
            .build())
        {
            final long[] ids = new long[2];
            TestAllocators.onOtherThread("short-lived-producer", () ->
            {
                ids[0] = alloc.allocate(100);
                ids[1] = alloc.allocateHandle(300);
                Patterns.fill(ids[0], 100, 1);
                Patterns.fill(alloc.resolve(ids[1]), 300, 2);
            });
            final ManagedArena m = alloc.managedArenaOf(ids[0]);
            assertTrue(alloc.usableSize(ids[0]) >= 100);
            assertEquals(300, alloc.sizeOf(ids[1]));
            final long moved = alloc.reallocate(ids[0], 5000);
            Patterns.check(moved, 100, 1, "fixed block reallocated in the ended owner's arena");
            assertEquals(ids[1], alloc.reallocate(ids[1], 9000));
            Patterns.check(alloc.pin(ids[1]), 300, 2, "handle reallocated in the ended owner's arena");
            alloc.unpin(ids[1]);
            alloc.free(moved);
            alloc.free(ids[1]);
            alloc.maintain(0);
            assertTrue(m.arena.isClosed() || m.arena.liveBlocks() == 0);
        }
    }
}
