package io.arenaalloc.threads;

import io.arenaalloc.core.ArenaConfig;
import io.arenaalloc.core.HandleTable;
import io.arenaalloc.core.InvalidBlockException;
import io.arenaalloc.core.OffHeapArena;
import io.arenaalloc.core.StaleHandleException;
import org.agrona.UnsafeApi;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;

import java.util.concurrent.atomic.AtomicLong;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

class AllocatorBasicsTest
{
    @ParameterizedTest
    @EnumSource(Policy.class)
    void shouldAllocateEverySizeRangeKeepPatternsAndFreeEverything(final Policy policy)
    {
        try (ArenaAllocator alloc = TestAllocators.create(policy))
        {
            final long[] sizes = {1, 16, 100, 4096, 4097, 60_000, TestAllocators.CHUNK / 2, TestAllocators.CHUNK * 3};
            final long[] blocks = new long[sizes.length * 2];
            for (int i = 0; i < sizes.length; i++)
            {
                blocks[2 * i] = alloc.allocate(sizes[i]);
                blocks[2 * i + 1] = alloc.allocateHandle(sizes[i]);
                assertTrue(blocks[2 * i] > 0 && (blocks[2 * i] & 15) == 0, "fixed blocks are 16-aligned addresses");
                assertTrue(blocks[2 * i + 1] < 0, "handles are negative");
                Patterns.fill(blocks[2 * i], sizes[i], i);
                Patterns.fill(alloc.pin(blocks[2 * i + 1]), sizes[i], -i);
                alloc.unpin(blocks[2 * i + 1]);
            }
            for (int i = 0; i < sizes.length; i++)
            {
                Patterns.check(blocks[2 * i], sizes[i], i, "fixed " + sizes[i]);
                Patterns.check(alloc.pin(blocks[2 * i + 1]), sizes[i], -i, "movable " + sizes[i]);
                alloc.unpin(blocks[2 * i + 1]);
                assertTrue(alloc.usableSize(blocks[2 * i]) >= sizes[i]);
                assertEquals(sizes[i], alloc.sizeOf(blocks[2 * i + 1]));
            }
            assertTrue(alloc.liveBytes() > 0);
            for (final long b : blocks)
            {
                alloc.free(b);
            }
            assertEquals(0, alloc.liveBytes());
        }
    }

    @ParameterizedTest
    @EnumSource(Policy.class)
    void shouldMapAddressesAndHandlesToTheirArena(final Policy policy)
    {
        try (ArenaAllocator alloc = TestAllocators.create(policy))
        {
            final long a = alloc.allocate(64);
            final long h = alloc.allocateHandle(64);
            final OffHeapArena arena = alloc.arenaOf(a);
            assertNotNull(arena);
            assertSame(arena, alloc.arenaOf(a + 63), "an address inside a block maps to its arena too");
            assertEquals(HandleTable.arenaIdOf(h), alloc.arenaOf(h).arenaId());
            assertNull(alloc.arenaOf(0x7000_0000_1000L), "foreign address");
            assertNull(alloc.arenaOf(0));
            alloc.free(a);
            alloc.free(h);
        }
    }

    @ParameterizedTest
    @EnumSource(Policy.class)
    void shouldZeroAlignAndReallocate(final Policy policy)
    {
        try (ArenaAllocator alloc = TestAllocators.create(policy))
        {
            final long z = alloc.allocateZeroed(1000);
            for (int i = 0; i < 1000; i++)
            {
                assertEquals(0, UnsafeApi.getByte(z + i));
            }
            final long aligned = alloc.allocateAligned(300, 4096);
            assertEquals(0, aligned & 4095);
            final long hz = alloc.allocateHandleZeroed(500);
            final long p = alloc.pin(hz);
            for (int i = 0; i < 500; i++)
            {
                assertEquals(0, UnsafeApi.getByte(p + i));
            }
            alloc.unpin(hz);

            Patterns.fill(z, 1000, 7);
            final long grown = alloc.reallocate(z, 50_000);
            Patterns.check(grown, 1000, 7, "grown block keeps its bytes");
            assertTrue(alloc.usableSize(grown) >= 50_000);
            Patterns.fill(alloc.pin(hz), 500, 9);
            alloc.unpin(hz);
            assertEquals(hz, alloc.reallocate(hz, 20_000), "a handle survives reallocation");
            Patterns.check(alloc.pin(hz), 500, 9, "reallocated handle keeps its bytes");
            alloc.unpin(hz);
            alloc.free(grown);
            alloc.free(aligned);
            alloc.free(hz);
            assertEquals(0, alloc.liveBytes());
        }
    }

    @Test
    void shouldResolveOnlyOnTheOwnerThread() throws Exception
    {
        try (ArenaAllocator alloc = TestAllocators.create(Policy.PER_THREAD))
        {
            final long h = alloc.allocateHandle(128);
            final long address = alloc.resolve(h);
            assertEquals(address, alloc.pin(h));
            alloc.unpin(h);
            TestAllocators.onOtherThread("non-owner", () ->
            {
                final IllegalStateException ex = assertThrows(IllegalStateException.class, () -> alloc.resolve(h));
                assertTrue(ex.getMessage().contains("owned by thread '" + Thread.currentThread().getName()) ||
                    ex.getMessage().contains("pin(handle)"), ex.getMessage());
                assertThrows(IllegalStateException.class, () -> alloc.sizeOf(h));
                assertThrows(IllegalStateException.class, () -> alloc.reallocate(h, 10));
                final long p = alloc.pin(h); // pin works from any thread
                assertEquals(address, p);
                alloc.unpin(h);
            });
            alloc.free(h);
        }
    }

    @Test
    void shouldRefuseResolveInStripedPolicy()
    {
        try (ArenaAllocator alloc = TestAllocators.create(Policy.STRIPED))
        {
            final long h = alloc.allocateHandle(128);
            final IllegalStateException ex = assertThrows(IllegalStateException.class, () -> alloc.resolve(h));
            assertTrue(ex.getMessage().contains("stripe arena"), ex.getMessage());
            alloc.free(h);
        }
    }

    @ParameterizedTest
    @EnumSource(Policy.class)
    void shouldRejectBadInputWithClearExceptions(final Policy policy)
    {
        final ArenaAllocator alloc = TestAllocators.create(policy);
        final long a = alloc.allocate(64);
        final long h = alloc.allocateHandle(64);

        final InvalidBlockException foreign = assertThrows(InvalidBlockException.class, () -> alloc.free(0x7000_0000_1000L));
        assertTrue(foreign.getMessage().contains("was not allocated by"), foreign.getMessage());
        assertTrue(assertThrows(InvalidBlockException.class, () -> alloc.free(0)).getMessage().contains("null"));
        final long foreignHandle = HandleTable.handle(ArenaConfig.MAX_ARENA_ID, 0, 0);
        assertThrows(StaleHandleException.class, () -> alloc.pin(foreignHandle));
        assertThrows(IllegalArgumentException.class, () -> alloc.allocate(0));
        assertThrows(IllegalArgumentException.class, () -> alloc.allocate(-5));
        assertThrows(IllegalArgumentException.class, () -> alloc.allocateAligned(64, 3));

        alloc.free(a);
        final InvalidBlockException doubleFree = assertThrows(InvalidBlockException.class, () -> alloc.free(a));
        assertTrue(doubleFree.getMessage().contains("live block"), doubleFree.getMessage()); // cached or not
        assertThrows(InvalidBlockException.class, () -> alloc.free(a + 16), "an address inside a block");

        alloc.pin(h);
        assertThrows(IllegalStateException.class, () -> alloc.free(h), "pinned");
        alloc.unpin(h);
        alloc.free(h);
        assertThrows(StaleHandleException.class, () -> alloc.free(h));
        assertThrows(StaleHandleException.class, () -> alloc.pin(h));

        alloc.close();
        alloc.close(); // idempotent
        final IllegalStateException closed = assertThrows(IllegalStateException.class, () -> alloc.allocate(8));
        assertTrue(closed.getMessage().contains("is closed"), closed.getMessage());
        assertThrows(IllegalStateException.class, () -> alloc.free(a));
        assertThrows(IllegalStateException.class, () -> alloc.pin(h));
        assertThrows(IllegalStateException.class, () -> alloc.maintain(0));
        assertEquals(0, alloc.committedBytes(), "close gives every chunk back");
    }

    @Test
    void shouldLetAClosedAllocatorBeCollectedWhileItsThreadsLiveOn() throws Exception
    {
        ArenaAllocator alloc = TestAllocators.create(Policy.PER_THREAD);
        final java.util.concurrent.CountDownLatch used = new java.util.concurrent.CountDownLatch(1);
        final java.util.concurrent.CountDownLatch release = new java.util.concurrent.CountDownLatch(1);
        final java.util.concurrent.atomic.AtomicReference<ArenaAllocator> box = new java.util.concurrent.atomic.AtomicReference<>(alloc);
        final Thread worker = new Thread(() ->
        {
            useOnce(box); // in its own frame: no local variable of this one keeps the allocator
            used.countDown();
            try
            {
                release.await(); // stays alive, with the allocator's ThreadLocal entry
            }
            catch (final InterruptedException ignore)
            {
                Thread.currentThread().interrupt();
            }
        }, "long-lived-worker");
        worker.start();
        TestAllocators.await(used);
        alloc.free(alloc.allocate(64)); // this thread too
        final java.lang.ref.WeakReference<ArenaAllocator> ref = new java.lang.ref.WeakReference<>(alloc);
        alloc.close();
        alloc = null;
        for (int i = 0; i < 50 && ref.get() != null; i++)
        {
            System.gc();
            Thread.sleep(10);
        }
        release.countDown();
        worker.join();
        assertNull(ref.get(), "living threads' ThreadLocal entries no longer hold the closed allocator");
    }

    private static void useOnce(final java.util.concurrent.atomic.AtomicReference<ArenaAllocator> box)
    {
        final ArenaAllocator alloc = box.getAndSet(null);
        alloc.free(alloc.allocate(64));
    }

    @Test
    void shouldTellForeignAddressesOfAnotherAllocatorApart()
    {
        try (ArenaAllocator one = TestAllocators.create(Policy.PER_THREAD);
            ArenaAllocator two = TestAllocators.create(Policy.PER_THREAD))
        {
            final long a = one.allocate(64);
            final long h = one.allocateHandle(64);
            assertThrows(InvalidBlockException.class, () -> two.free(a));
            assertThrows(InvalidBlockException.class, () -> two.free(h));
            assertNull(two.arenaOf(a));
            one.free(a);
            one.free(h);
        }
    }

    @Test
    void shouldGiveEachPlatformThreadItsOwnArenaUnderPerThread() throws Exception
    {
        try (ArenaAllocator alloc = TestAllocators.create(Policy.PER_THREAD))
        {
            final long mine = alloc.allocate(64);
            final AtomicLong theirs = new AtomicLong();
            TestAllocators.onOtherThread("other", () -> theirs.set(alloc.allocate(64)));
            assertNotEquals(alloc.arenaOf(mine).arenaId(), alloc.arenaOf(theirs.get()).arenaId());
            alloc.free(mine);
            alloc.free(theirs.get()); // a remote free into the other (ended) thread's arena
            alloc.flushThreadCache(); // main owns an arena, so its cache took that block: send it home now
            final int arenas = alloc.arenaCount();
            assertTrue(alloc.maintain(1_000_000) > 0, "scan, drain and close the ended thread's arena");
            assertEquals(arenas - 1, alloc.arenaCount());
            assertNull(alloc.arenaOf(theirs.get()), "its chunks left the address map");
        }
    }

    @Test
    void shouldUseStripesWhenThreadArenasAreExhausted() throws Exception
    {
        try (ArenaAllocator alloc = TestAllocators.builder(Policy.PER_THREAD).maxThreadArenas(1).build())
        {
            final long mine = alloc.allocate(64);
            assertEquals(ManagedArena.KIND_THREAD, alloc.managedArenaOf(mine).kind);
            final AtomicLong theirs = new AtomicLong();
            TestAllocators.onOtherThread("second", () ->
            {
                theirs.set(alloc.allocate(64));
                assertEquals(ManagedArena.KIND_STRIPE, alloc.managedArenaOf(theirs.get()).kind);
                alloc.free(theirs.get());
            });
            alloc.free(mine);
        }
    }

    @Test
    void shouldMoveToAnotherStripeWhenItsStripeIsBusy()
    {
        try (ArenaAllocator alloc = TestAllocators.builder(Policy.STRIPED).stripes(4).build())
        {
            final long first = alloc.allocate(64);
            final ManagedArena home = alloc.managedArenaOf(first);
            assertTrue(home.tryLock());
            try
            {
                final long second = alloc.allocate(64);
                assertNotEquals(home.id, alloc.managedArenaOf(second).id, "a busy stripe is left for another one");
                assertTrue(alloc.counters().get(AllocatorCounters.STRIPE_REHASHES) >= 1);
                final long third = alloc.allocate(64);
                assertEquals(alloc.managedArenaOf(second).id, alloc.managedArenaOf(third).id, "the move is remembered");
                alloc.free(second);
                alloc.free(third);
            }
            finally
            {
                home.unlockRelease();
            }
            alloc.free(first);
        }
    }
}
