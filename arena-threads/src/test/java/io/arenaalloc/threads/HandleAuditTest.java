package io.arenaalloc.threads;

import io.arenaalloc.core.ArenaConfig;
import io.arenaalloc.core.NativeMemorySource;
import io.arenaalloc.core.StaleHandleException;
import org.junit.jupiter.api.Test;

import java.util.List;
import java.util.SplittableRandom;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicReference;

import static org.junit.jupiter.api.Assertions.*;

class HandleAuditTest
{
    private static ArenaConfig cfg(final NativeMemorySource source)
    {
        return ArenaConfig.builder().chunkSize(TestAllocators.CHUNK).memorySource(source).fragmentationThreshold(0.01).build();
    }

    private static void check(final long address, final long size, final long seed, final String what)
    {
        final long bad = Patterns.firstMismatch(address, size, seed);
        if (bad >= 0)
        {
            throw new AssertionError(what + ": mismatch at offset " + bad + " of " + size);
        }
    }

    @Test
    void shouldRejectAStaleHandleFreedOnAnotherThread() throws Exception
    {
        final List<Throwable> errors = new CopyOnWriteArrayList<>();
        try (ArenaAllocator alloc = TestAllocators.builderWithoutThreadCache(Policy.PER_THREAD)
            .errorHandler(errors::add).build())
        {
            final long h = alloc.allocateHandle(100);
            TestAllocators.onOtherThread("freer", () -> alloc.free(h));
            alloc.maintain(0);
            assertEquals(0, alloc.liveBytes());
            assertThrows(StaleHandleException.class, () -> alloc.free(h), "owner double free");
            TestAllocators.onOtherThread("pinner", () -> assertThrows(StaleHandleException.class, () -> alloc.pin(h)));
            assertThrows(StaleHandleException.class, () -> alloc.resolve(h));
            // the slot is reused with a new generation
            final long h2 = alloc.allocateHandle(100);
            Patterns.fill(alloc.resolve(h2), 100, 5);
            TestAllocators.onOtherThread("freer2", () -> alloc.free(h));
            alloc.maintain(0);
            assertEquals(1, errors.size(), () -> "stale remote free reported: " + errors);
            check(alloc.resolve(h2), 100, 5, "h2 after stale remote free");
            assertEquals(0, alloc.pinned(h2));
            alloc.free(h2);
            assertEquals(0, alloc.liveBytes());
        }
    }

    @Test
    void shouldDeferARemoteFreeOfAHandlePinnedAfterItWasQueuedAndApplyItOnce() throws Exception
    {
        final List<Throwable> errors = new CopyOnWriteArrayList<>();
        final NativeMemorySource source = new NativeMemorySource();
        final ArenaAllocator alloc = TestAllocators.builderWithoutThreadCache(Policy.PER_THREAD)
            .errorHandler(errors::add).arenaConfig(cfg(source)).build();
        try
        {
            final long[] hs = new long[200];
            for (int i = 0; i < hs.length; i++)
            {
                hs[i] = alloc.allocateHandle(50 + i * 37);
                Patterns.fill(alloc.resolve(hs[i]), 50 + i * 37, i);
            }
            final long h = hs[100];
            final long[] pinnedAt = new long[1];
            TestAllocators.onOtherThread("freer", () -> alloc.free(h));
            TestAllocators.onOtherThread("pinner", () -> pinnedAt[0] = alloc.pin(h));
            // free everything else so compaction wants to move
            for (int i = 0; i < hs.length; i++)
            {
                if (i != 100 && i % 3 != 0)
                {
                    alloc.free(hs[i]);
                }
            }
            alloc.maintain(50_000_000);
            assertEquals(1, alloc.counters().get(AllocatorCounters.REMOTE_FREES_DEFERRED));
            assertEquals(1, alloc.pinned(h));
            check(pinnedAt[0], 50 + 100 * 37, 100, "pinned block after deferred free and compaction");
            alloc.maintain(50_000_000);
            check(pinnedAt[0], 50 + 100 * 37, 100, "pinned block after second maintain");
            for (int i = 0; i < hs.length; i += 3)
            {
                if (i != 100)
                {
                    check(alloc.resolve(hs[i]), 50 + i * 37, i, "block " + i + " after compaction");
                }
            }
            TestAllocators.onOtherThread("unpinner", () -> alloc.unpin(h));
            alloc.maintain(0);
            assertThrows(StaleHandleException.class, () -> alloc.resolve(h));
            alloc.maintain(0);
            assertTrue(errors.isEmpty(), () -> "errors: " + errors);
            for (int i = 0; i < hs.length; i += 3)
            {
                if (i != 100)
                {
                    alloc.free(hs[i]);
                }
            }
            assertEquals(0, alloc.liveBytes());
        }
        finally
        {
            alloc.close();
        }
        assertEquals(0, source.reservedBytes());
    }

    /** Owner compacts and reallocates while another thread pins, checks, holds and unpins. */
    @Test
    void shouldNeverMoveAPinnedBlockWhileTheOwnerCompactsAndReallocates() throws Exception
    {
        final NativeMemorySource source = new NativeMemorySource();
        final ArenaAllocator alloc = TestAllocators.builderWithoutThreadCache(Policy.PER_THREAD)
            .arenaConfig(cfg(source)).build();
        final int n = 400;
        final long[] hs = new long[n];
        final long[] sizes = new long[n];
        final long[] seeds = new long[n];
        final AtomicBoolean stop = new AtomicBoolean();
        final AtomicReference<Throwable> failure = new AtomicReference<>();
        try
        {
            final SplittableRandom rnd = new SplittableRandom(3);
            for (int i = 0; i < n; i++)
            {
                sizes[i] = 16 + rnd.nextInt(i % 17 == 0 ? 60_000 : 3000);
                seeds[i] = i;
                hs[i] = alloc.allocateHandle(sizes[i]);
                Patterns.fill(alloc.resolve(hs[i]), sizes[i], seeds[i]);
            }
            // handles 0..n/2 are shared with the pinner and never reallocated/freed by owner while the pinner runs
            final int shared = n / 2;
            final Thread pinner = new Thread(() ->
            {
                final SplittableRandom r = new SplittableRandom(9);
                try
                {
                    while (!stop.get())
                    {
                        final int i = r.nextInt(shared);
                        final long a = alloc.pin(hs[i]);
                        check(a, sizes[i], seeds[i], "pinned " + i);
                        for (int k = 0; k < 20; k++)
                        {
                            Thread.onSpinWait();
                        }
                        assertEquals(a, alloc.pin(hs[i]), "nested pin same address");
                        alloc.unpin(hs[i]);
                        check(a, sizes[i], seeds[i], "still pinned " + i);
                        alloc.unpin(hs[i]);
                    }
                }
                catch (final Throwable ex)
                {
                    failure.compareAndSet(null, ex);
                }
            }, "pinner");
            pinner.start();
            final long end = System.nanoTime() + TimeUnit.SECONDS.toNanos(4);
            int round = 0;
            while (System.nanoTime() < end && failure.get() == null)
            {
                round++;
                for (int i = shared; i < n; i++)
                {
                    if ((i + round) % 2 == 0)
                    {
                        alloc.free(hs[i]);
                        sizes[i] = 16 + rnd.nextInt(i % 13 == 0 ? 40_000 : 2000);
                        seeds[i] = seeds[i] * 31 + round;
                        hs[i] = alloc.allocateHandle(sizes[i]);
                        Patterns.fill(alloc.resolve(hs[i]), sizes[i], seeds[i]);
                    }
                    else
                    {
                        final long old = sizes[i];
                        final long ns = 16 + rnd.nextInt(i % 11 == 0 ? 50_000 : 4000);
                        assertEquals(hs[i], alloc.reallocate(hs[i], ns));
                        check(alloc.resolve(hs[i]), Math.min(old, ns), seeds[i], "reallocated " + i);
                        sizes[i] = ns;
                        Patterns.fill(alloc.resolve(hs[i]), ns, seeds[i]);
                    }
                }
                alloc.maintain(2_000_000);
                for (int i = shared; i < n; i++)
                {
                    check(alloc.resolve(hs[i]), sizes[i], seeds[i], "owner block " + i + " after maintain");
                }
                // reallocate a shared one: either refused (pinned) or done
                final int j = rnd.nextInt(shared);
                try
                {
                    final long ns = sizes[j] + 1000;
                    alloc.reallocate(hs[j], ns);
                    // it moved or grew; shared thread only reads sizes[j] bytes; keep sizes
                    check(alloc.resolve(hs[j]), sizes[j], seeds[j], "shared realloc " + j);
                }
                catch (final IllegalStateException pinned)
                {
                    assertTrue(pinned.getMessage().contains("pinned"), pinned.getMessage());
                }
            }
            stop.set(true);
            pinner.join(10_000);
            assertNull(failure.get(), () -> "failure: " + failure.get());
            for (int i = 0; i < n; i++)
            {
                check(alloc.resolve(hs[i]), sizes[i], seeds[i], "final " + i);
                assertEquals(0, alloc.pinned(hs[i]));
                alloc.free(hs[i]);
            }
            assertEquals(0, alloc.liveBytes());
        }
        finally
        {
            stop.set(true);
            alloc.close();
        }
        assertEquals(0, source.reservedBytes());
    }

    @Test
    void shouldKeepStripedHandlesIntactAcrossThreadsPinsReallocateAndMaintenance() throws Exception
    {
        final NativeMemorySource source = new NativeMemorySource();
        final List<Throwable> errors = new CopyOnWriteArrayList<>();
        final ArenaAllocator alloc = TestAllocators.builder(Policy.STRIPED).errorHandler(errors::add)
            .arenaConfig(cfg(source)).build();
        try
        {
            final int n = 300;
            final long[] hs = new long[n];
            final long[] sizes = new long[n];
            TestAllocators.onOtherThread("producer", () ->
            {
                for (int i = 0; i < n; i++)
                {
                    sizes[i] = 10 + (i * 131L) % (i % 20 == 0 ? 30_000 : 2000);
                    hs[i] = alloc.allocateHandle(sizes[i]);
                    final long a = alloc.pin(hs[i]);
                    Patterns.fill(a, sizes[i], i);
                    alloc.unpin(hs[i]);
                }
                assertThrows(IllegalStateException.class, () -> alloc.resolve(hs[0]));
            });
            final AtomicReference<Throwable> failure = new AtomicReference<>();
            final CountDownLatch go = new CountDownLatch(1);
            final Thread[] ts = new Thread[2];
            for (int k = 0; k < 2; k++)
            {
                final int first = k;
                ts[k] = new Thread(() ->
                {
                    try
                    {
                        TestAllocators.await(go);
                        for (int i = first; i < n; i += 2)
                        {
                            if (i % 4 < 2)
                            {
                                alloc.free(hs[i]);
                                continue;
                            }
                            alloc.maintain(100_000);
                            final long ns = sizes[i] * 2 + 100;
                            assertEquals(hs[i], alloc.reallocate(hs[i], ns));
                            final long a = alloc.pin(hs[i]);
                            check(a, sizes[i], i, "striped realloc " + i);
                            alloc.unpin(hs[i]);
                        }
                    }
                    catch (final Throwable ex)
                    {
                        failure.compareAndSet(null, ex);
                    }
                });
                ts[k].start();
            }
            go.countDown();
            for (final Thread t : ts)
            {
                t.join(20_000);
            }
            assertNull(failure.get(), () -> "failure: " + failure.get());
            alloc.maintain(50_000_000);
            for (int i = 0; i < n; i++)
            {
                if (i % 4 >= 2)
                {
                    final long a = alloc.pin(hs[i]);
                    check(a, sizes[i], i, "striped after maintenance " + i);
                    alloc.unpin(hs[i]);
                    alloc.free(hs[i]);
                    assertThrows(StaleHandleException.class, () -> alloc.pin(hs[0]), "hs[0] was freed by a remote thread");
                }
            }
            assertEquals(0, TestAllocators.settle(alloc));
            assertTrue(errors.isEmpty(), () -> "errors " + errors);
        }
        finally
        {
            alloc.close();
        }
        assertEquals(0, source.reservedBytes());
    }

    @Test
    void shouldRejectAPinnedFreeFromTheOwnerWithoutChangingState() throws Exception
    {
        try (ArenaAllocator alloc = TestAllocators.builderWithoutThreadCache(Policy.PER_THREAD).build())
        {
            final long h = alloc.allocateHandle(1000);
            Patterns.fill(alloc.resolve(h), 1000, 1);
            final long a = alloc.pin(h);
            assertThrows(IllegalStateException.class, () -> alloc.free(h));
            assertThrows(IllegalStateException.class, () -> alloc.reallocate(h, 50_000));
            TestAllocators.onOtherThread("remote", () -> assertThrows(IllegalStateException.class, () -> alloc.free(h)));
            assertEquals(1, alloc.pinned(h));
            assertEquals(a, alloc.resolve(h));
            check(a, 1000, 1, "after refused frees");
            alloc.unpin(h);
            assertThrows(IllegalStateException.class, () -> alloc.unpin(h));
            assertEquals(0, alloc.pinned(h));
            alloc.free(h);
            assertEquals(0, alloc.liveBytes());
            assertThrows(StaleHandleException.class, () -> alloc.unpin(h));
        }
    }

    /** An ended thread's handles, pinned by another thread while the orphan is reclaimed/compacted. */
    @Test
    void shouldKeepPinnedHandlesOfAnEndedThreadInPlaceAndReturnEveryByte() throws Exception
    {
        final NativeMemorySource source = new NativeMemorySource();
        final List<Throwable> errors = new CopyOnWriteArrayList<>();
        final ArenaAllocator alloc = TestAllocators.builderWithoutThreadCache(Policy.PER_THREAD)
            .errorHandler(errors::add).arenaConfig(cfg(source)).build();
        try
        {
            final int n = 300;
            final long[] hs = new long[n];
            TestAllocators.onOtherThread("dying", () ->
            {
                for (int i = 0; i < n; i++)
                {
                    hs[i] = alloc.allocateHandle(100 + i * 11);
                    Patterns.fill(alloc.resolve(hs[i]), 100 + i * 11, i);
                }
            });
            final long[] pins = new long[n];
            for (int i = 0; i < n; i += 10)
            {
                pins[i] = alloc.pin(hs[i]);
            }
            for (int i = 0; i < n; i++)
            {
                if (i % 10 != 0 && i % 2 == 0)
                {
                    alloc.free(hs[i]);
                }
            }
            // a remote free of a pinned one, queued before the pin: use a different thread pinning after
            alloc.maintain(0);
            alloc.maintain(50_000_000);
            alloc.maintain(50_000_000);
            for (int i = 0; i < n; i += 10)
            {
                check(pins[i], 100 + i * 11, i, "pinned in orphan " + i);
                assertEquals(pins[i], alloc.pin(hs[i]));
                alloc.unpin(hs[i]);
            }
            for (int i = 1; i < n; i += 2)
            {
                final long a = alloc.pin(hs[i]);
                check(a, 100 + i * 11, i, "unpinned in orphan " + i);
                alloc.unpin(hs[i]);
            }
            // the adopter: a new thread adopts the orphan and frees/reallocates
            TestAllocators.onOtherThread("adopter", () ->
            {
                alloc.free(alloc.allocate(16));
                for (int i = 1; i < n; i += 2)
                {
                    alloc.reallocate(hs[i], 5000);
                    check(alloc.resolve(hs[i]), 100 + i * 11, i, "adopted realloc " + i);
                }
            });
            for (int i = 0; i < n; i += 10)
            {
                alloc.unpin(hs[i]);
                alloc.free(hs[i]);
            }
            for (int i = 1; i < n; i += 2)
            {
                alloc.free(hs[i]);
            }
            assertEquals(0, TestAllocators.settle(alloc), "every handle of the ended thread freed");
            assertTrue(errors.isEmpty(), () -> "errors " + errors);
        }
        finally
        {
            alloc.close();
        }
        assertEquals(0, source.reservedBytes());
    }

    /** ArenaAllocator.free: "@throws IllegalStateException for a handle pinned at that moment". A busy stripe. */
    @Test
    void shouldRefuseAFreeOfAPinnedStripedHandleEvenWhenItsStripeIsBusy() throws Exception
    {
        final List<Throwable> errors = new CopyOnWriteArrayList<>();
        try (ArenaAllocator alloc = TestAllocators.builder(Policy.STRIPED).errorHandler(errors::add).build())
        {
            final long h = alloc.allocateHandle(1000);
            final long a = alloc.pin(h);
            Patterns.fill(a, 1000, 4);
            final ManagedArena m = alloc.managedArenaOf(h);
            assertTrue(m.isStripe());
            // lock free: refused at once
            assertThrows(IllegalStateException.class, () -> alloc.free(h), "pinned, stripe lock free");
            final CountDownLatch locked = new CountDownLatch(1);
            final CountDownLatch release = new CountDownLatch(1);
            final Thread holder = new Thread(() ->
            {
                m.lock();
                try
                {
                    locked.countDown();
                    TestAllocators.await(release);
                }
                catch (final InterruptedException ex)
                {
                    throw new RuntimeException(ex);
                }
                finally
                {
                    m.unlockRelease();
                }
            });
            holder.start();
            TestAllocators.await(locked);
            Throwable thrown = null;
            try
            {
                alloc.free(h);
            }
            catch (final IllegalStateException ex)
            {
                thrown = ex;
            }
            release.countDown();
            holder.join(10_000);
            assertEquals(1, alloc.pinned(h));
            alloc.unpin(h);
            alloc.maintain(0);
            final boolean stillLive = alloc.liveBytes() != 0;
            assertNotNull(thrown, "free of a pinned handle into a busy stripe was accepted silently; after unpin the " +
                "handle is " + (stillLive ? "live" : "FREED by the deferred free"));
        }
    }

    /**
     * Debug mode: OffHeapArena.freeHandle poisons the block (beforeFree) before HandleTable.release checks the pins
     * with its CAS. A pin that lands in between makes the free throw "pinned" (nothing changed, says the contract),
     * yet the pinned block has been overwritten with the poison byte.
     */
    @Test
    void shouldNotPoisonAPinnedBlockWhenAFreeIsRefusedInDebugMode() throws Exception
    {
        final ArenaConfig debugCfg = ArenaConfig.builder().chunkSize(TestAllocators.CHUNK).debug(true).build();
        try (ArenaAllocator alloc = TestAllocators.builderWithoutThreadCache(Policy.PER_THREAD).arenaConfig(debugCfg).build())
        {
            final int size = 100_000;
            final java.util.concurrent.atomic.AtomicLong current = new java.util.concurrent.atomic.AtomicLong();
            final AtomicBoolean stop = new AtomicBoolean();
            final AtomicReference<Throwable> failure = new AtomicReference<>();
            final Thread pinner = new Thread(() ->
            {
                while (!stop.get())
                {
                    final long h = current.get();
                    if (h == 0)
                    {
                        Thread.onSpinWait();
                        continue;
                    }
                    try
                    {
                        alloc.pin(h);
                    }
                    catch (final RuntimeException staleOrClosed)
                    {
                        continue;
                    }
                    try
                    {
                        for (int k = 0; k < 200; k++)
                        {
                            Thread.onSpinWait();
                        }
                    }
                    finally
                    {
                        alloc.unpin(h);
                    }
                }
            }, "pinner");
            pinner.start();
            int refused = 0;
            final long end = System.nanoTime() + TimeUnit.SECONDS.toNanos(8);
            try
            {
                long seed = 0;
                while (System.nanoTime() < end && refused < 200)
                {
                    final long h = alloc.allocateHandle(size);
                    Patterns.fill(alloc.resolve(h), size, ++seed);
                    current.set(h);
                    while (true)
                    {
                        try
                        {
                            alloc.free(h);
                            break;
                        }
                        catch (final IllegalStateException pinned)
                        {
                            refused++;
                            // the refused free "changed nothing": the block, still live, must hold its data
                            final long a = alloc.pin(h);
                            try
                            {
                                check(a, size, seed, "pinned block after a free refused as pinned (refusal " + refused + ", thrown at " +
                                    pinned.getStackTrace()[0] + " <- " + pinned.getStackTrace()[1] + ")");
                            }
                            finally
                            {
                                alloc.unpin(h);
                            }
                        }
                    }
                    current.set(0);
                }
            }
            finally
            {
                stop.set(true);
                pinner.join(10_000);
            }
            System.out.println("refused frees: " + refused);
        }
    }

    /**
     * OffHeapArena.reset: "@throws IllegalStateException if a handle is pinned; nothing is changed then". Before the
     * fix it checked for a pinned slot, then overwrote every live state with a plain release store (no CAS): a pin from
     * another thread that landed between the scan and the store was wiped out, its block freed while pinned. Now
     * HandleTable.releaseAllUnpinned claims every slot (MOVING) before it ends them.
     */
    @Test
    void shouldNotDropAPinThatLandsWhileTheArenaResets() throws Exception
    {
        final io.arenaalloc.core.OffHeapArena arena = io.arenaalloc.core.OffHeapArena.create(
            ArenaConfig.builder().chunkSize(1 << 20).build());
        try
        {
            final int n = 60_000;
            final java.util.concurrent.atomic.AtomicLong target = new java.util.concurrent.atomic.AtomicLong();
            final AtomicBoolean stop = new AtomicBoolean();
            final AtomicReference<Throwable> lost = new AtomicReference<>();
            final Thread pinner = new Thread(() ->
            {
                while (!stop.get() && lost.get() == null)
                {
                    final long h = target.get();
                    if (h == 0)
                    {
                        continue;
                    }
                    try
                    {
                        arena.pin(h);
                    }
                    catch (final RuntimeException stale)
                    {
                        continue;
                    }
                    try
                    {
                        arena.unpin(h);
                    }
                    catch (final RuntimeException ex)
                    {
                        lost.compareAndSet(null, ex); // our pin succeeded, yet the handle died under it
                    }
                }
            }, "pinner");
            pinner.start();
            final long end = System.nanoTime() + TimeUnit.SECONDS.toNanos(8);
            int resets = 0;
            int refused = 0;
            try
            {
                while (System.nanoTime() < end && lost.get() == null)
                {
                    long first = 0;
                    for (int i = 0; i < n; i++)
                    {
                        final long h = arena.allocateHandle(16);
                        if (i == 0)
                        {
                            first = h;
                        }
                    }
                    target.set(first); // slot 0 is scanned first and released first too
                    while (true)
                    {
                        try
                        {
                            arena.reset();
                            resets++;
                            break;
                        }
                        catch (final IllegalStateException pinned)
                        {
                            refused++;
                        }
                    }
                    target.set(0);
                }
            }
            finally
            {
                stop.set(true);
                pinner.join(10_000);
            }
            System.out.println("resets " + resets + " refused " + refused);
            assertNull(lost.get(), () -> "a successful pin was wiped out by reset (which must refuse while pinned): " +
                lost.get());
        }
        finally
        {
            arena.close();
        }
    }
}
