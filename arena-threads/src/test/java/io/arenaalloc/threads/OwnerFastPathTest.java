package io.arenaalloc.threads;

import io.arenaalloc.core.InvalidBlockException;
import io.arenaalloc.core.OffHeapArena;
import org.junit.jupiter.api.Test;

import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertNotSame;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * The PER_THREAD owner's fast path: the thread-context table and the per-thread chunk cache (the allocators have no
 * {@link ThreadBlockCache}, which takes small frees before the chunk cache is asked).
 */
class OwnerFastPathTest
{
    @Test
    void shouldRememberOwnChunksAndForgetAChunkWhenItLeavesTheArena() throws Exception
    {
        try (ArenaAllocator alloc = TestAllocators.builderWithoutThreadCache(Policy.PER_THREAD).build())
        {
            final long small = alloc.allocate(64);
            final ThreadContext c = alloc.tableContextForTest();
            assertNotNull(c, "a registered PER_THREAD thread is in the table");
            final ManagedArena own = c.arena;
            final long other = alloc.allocate(64);
            alloc.free(other); // a cache miss: looked up, then remembered
            assertTrue(c.ownsPlain(small), "the chunk of a freed own block is remembered");

            final long huge = alloc.allocate(4 * TestAllocators.CHUNK); // a dedicated chunk
            Patterns.fill(huge, 4 * TestAllocators.CHUNK, 7);
            assertFalse(c.ownsPlain(huge), "not looked up yet");
            final long huge2 = alloc.allocate(4 * TestAllocators.CHUNK);
            alloc.free(huge2); // miss, remembered, then its chunk goes back: forgotten
            assertFalse(c.ownsPlain(huge2), "a released chunk must leave the cache");
            assertThrows(InvalidBlockException.class, () -> alloc.free(huge2), "its address is foreign now");

            alloc.free(huge);
            assertFalse(c.ownsPlain(huge));
            alloc.free(small);
            assertTrue(c.ownsPlain(small), "the small chunk is still cached");
            assertEquals(0, own.arena.liveBlocks());
        }
    }

    @Test
    void shouldTakeAnAdoptedArenasBlocksAsOwn() throws Exception
    {
        try (ArenaAllocator alloc = TestAllocators.builderWithoutThreadCache(Policy.PER_THREAD).build())
        {
            final long[] blocks = new long[100];
            TestAllocators.onOtherThread("first-owner", () ->
            {
                for (int i = 0; i < blocks.length; i++)
                {
                    blocks[i] = alloc.allocate(32 + i);
                    Patterns.fill(blocks[i], 32 + i, i);
                }
            });
            alloc.maintain(); // the liveness scan orphans the ended thread's arena
            TestAllocators.onOtherThread("adopter", () ->
            {
                final long mine = alloc.allocate(16); // adopts the orphan
                final ThreadContext c = alloc.tableContextForTest();
                assertSame(alloc.managedArenaOf(blocks[0]), c.arena, "adopted");
                for (int i = 0; i < blocks.length; i++)
                {
                    Patterns.check(blocks[i], 32 + i, i, "adopted block " + i);
                    alloc.free(blocks[i]); // own frees (a miss first, then cache hits)
                }
                assertTrue(c.ownsPlain(blocks[0]));
                alloc.free(mine);
                assertEquals(0, c.arena.inbox.openBatches());
                assertEquals(0, c.arena.arena.liveBlocks(), "every free was applied locally");
            });
        }
    }

    @Test
    void shouldWorkForAThreadWhoseTableSlotIsTaken() throws Exception
    {
        try (ArenaAllocator alloc = TestAllocators.builderWithoutThreadCache(Policy.PER_THREAD).build())
        {
            // this thread and the holder register first and fill the hot set (HOT_THREADS = 2), so the twin is
            // found neither there nor in its slot
            assertEquals(2, ArenaAllocator.HOT_THREADS);
            final long mainBlock = alloc.allocate(16);
            final CountDownLatch holderRegistered = new CountDownLatch(1);
            final CountDownLatch done = new CountDownLatch(1);
            final long[] holderBlock = new long[1];
            final Thread holder = new Thread(() ->
            {
                holderBlock[0] = alloc.allocate(100);
                holderRegistered.countDown();
                try
                {
                    done.await(30, TimeUnit.SECONDS);
                }
                catch (final InterruptedException ex)
                {
                    Thread.currentThread().interrupt();
                }
            }, "slot-holder");
            holder.start();
            assertTrue(holderRegistered.await(30, TimeUnit.SECONDS));

            final Throwable[] failure = new Throwable[1];
            final Thread twin = collidingThread(holder, () ->
            {
                try
                {
                    assertNull(alloc.tableContextForTest(), "the slot is held by the other thread");
                    final long a = alloc.allocate(48);
                    Patterns.fill(a, 48, 3);
                    assertNull(alloc.tableContextForTest(), "still out of the table: ThreadLocal path");
                    final long h = alloc.allocateHandle(80);
                    Patterns.check(a, 48, 3, "own block");
                    alloc.free(a);
                    alloc.free(h);
                    alloc.free(holderBlock[0]); // a remote free to the slot holder
                    assertEquals(0, alloc.ownArenaForTest().arena.liveBlocks());
                }
                catch (final Throwable ex)
                {
                    failure[0] = ex;
                }
            });
            twin.start();
            twin.join(30_000);
            done.countDown();
            holder.join(30_000);
            if (failure[0] != null)
            {
                throw new AssertionError("colliding thread failed", failure[0]);
            }
            alloc.maintain(); // holder ended: reclaimer drains the remote free and closes its emptied arena
            assertNull(alloc.managedArenaOf(holderBlock[0]), "the remote free reached the holder's arena");
            alloc.free(mainBlock);
        }
    }

    @Test
    void shouldRefuseTheFastPathAfterCloseOnALivingOwner() throws Exception
    {
        final ArenaAllocator alloc = TestAllocators.builderWithoutThreadCache(Policy.PER_THREAD).build();
        final CountDownLatch allocated = new CountDownLatch(1);
        final CountDownLatch closed = new CountDownLatch(1);
        final Throwable[] seen = new Throwable[2];
        final Thread owner = new Thread(() ->
        {
            final long a = alloc.allocate(64);
            alloc.free(a);
            final long b = alloc.allocate(64);
            allocated.countDown();
            try
            {
                closed.await(30, TimeUnit.SECONDS);
            }
            catch (final InterruptedException ex)
            {
                return;
            }
            seen[0] = catchThrowable(() -> alloc.allocate(64));
            seen[1] = catchThrowable(() -> alloc.free(b));
        }, "owner");
        owner.start();
        assertTrue(allocated.await(30, TimeUnit.SECONDS));
        alloc.close();
        closed.countDown();
        owner.join(30_000);
        assertTrue(seen[0] instanceof IllegalStateException, "allocate after close: " + seen[0]);
        assertTrue(seen[1] instanceof IllegalStateException, "free after close: " + seen[1]);
    }

    @Test
    void tableShouldOnlyEverReturnTheCallersOwnContext()
    {
        final ThreadContextTable table = new ThreadContextTable();
        final Thread me = Thread.currentThread();
        fillHotSet(table, me); // so that the slots alone decide below
        final Thread twin = collidingThread(me, () -> { });
        final ThreadContext twinContext = new ThreadContext(twin, 4, false, 0);
        assertTrue(table.claim(twinContext));
        assertNull(table.findPlain(me), "a colliding thread's context is not mine");
        final ThreadContext mine = new ThreadContext(me, 4, false, 0);
        assertFalse(table.claim(mine), "slot taken");
        table.release(mine); // not in: no effect
        assertSame(twinContext, table.findPlain(twin));
        table.release(twinContext);
        assertTrue(table.claim(mine));
        assertSame(mine, table.findPlain(me));
    }

    @Test
    void tableShouldMakeTheFirstRegisteredContextPrimaryUntilItIsReleased()
    {
        final ThreadContextTable table = new ThreadContextTable();
        final Thread me = Thread.currentThread();
        final Thread other = otherSlotThread(me);
        final ThreadContext theirs = new ThreadContext(other, 4, false, 0);
        final ThreadContext mine = new ThreadContext(me, 4, false, 0);
        assertNull(table.primaryPlain());
        assertTrue(table.claim(theirs));
        assertSame(theirs, table.primaryPlain(), "the first claim makes the primary");
        assertTrue(table.claim(mine));
        assertSame(theirs, table.primaryPlain(), "a later claim leaves the primary alone");
        assertSame(theirs, table.findPlain(other), "the primary is found");
        assertSame(mine, table.findPlain(me), "the second thread is found too (hot1)");
        assertSame(mine, table.hotPlain(1), "the second claim takes the second hot field");

        table.release(mine);
        assertSame(theirs, table.primaryPlain(), "releasing another context leaves the primary alone");
        assertNull(table.findPlain(me));
        table.release(theirs);
        assertNull(table.primaryPlain(), "releasing the primary clears it");
        assertNull(table.findPlain(other), "neither its primary nor its slot finds a released context");

        assertTrue(table.claim(mine));
        assertSame(mine, table.primaryPlain(), "the next claim makes the next primary");
        assertSame(mine, table.findPlain(me));
        assertNull(table.findPlain(other), "the primary never answers for another thread");
    }

    /**
     * The fast path's lookup has no policy check (the table is the allocator's superclass, read with no test of the
     * policy first): it relies on no thread ever registering under STRIPED. Threads that allocate, free and maintain
     * there must leave the hot set and every slot empty, and the fast path must find nothing.
     */
    @Test
    void shouldLeaveTheContextTableEmptyUnderStriped() throws Exception
    {
        try (ArenaAllocator alloc = TestAllocators.builderWithoutThreadCache(Policy.STRIPED).build())
        {
            final long mine = alloc.allocate(64);
            Patterns.fill(mine, 64, 1);
            final long handle = alloc.allocateHandle(128);
            TestAllocators.onOtherThread("striped-other", () ->
            {
                final long theirs = alloc.allocate(32);
                Patterns.fill(theirs, 32, 2);
                Patterns.check(theirs, 32, 2, "other thread's striped block");
                alloc.free(theirs);
                alloc.maintain(1_000_000L);
                assertNull(alloc.tableContextForTest(), "no context under STRIPED");
            });
            alloc.maintain(1_000_000L);
            Patterns.check(mine, 64, 1, "striped block");
            alloc.free(mine);
            alloc.free(handle);
            assertNull(alloc.tableContextForTest(), "no context under STRIPED");
            assertNull(alloc.primaryForTest(), "the hot set stays empty");
            for (final ThreadContext c : alloc.slots)
            {
                assertNull(c, "every slot stays empty");
            }
        }
    }

    @Test
    void shouldServeThePrimaryAndEveryOtherThreadFromTheirOwnArenas() throws Exception
    {
        try (ArenaAllocator alloc = TestAllocators.builderWithoutThreadCache(Policy.PER_THREAD).build())
        {
            final long first = alloc.allocate(64); // this thread registers first: the table's primary
            final ThreadContext primary = alloc.tableContextForTest();
            assertNotNull(primary);
            final OffHeapArena mine = alloc.arenaOf(first);
            final long[] theirs = new long[1];
            TestAllocators.onOtherThread("second", () ->
            {
                final ThreadContext c = alloc.tableContextForTest();
                assertNull(c, "not registered yet");
                final long[] blocks = new long[200];
                for (int i = 0; i < blocks.length; i++)
                {
                    blocks[i] = alloc.allocate(16 + i);
                    Patterns.fill(blocks[i], 16 + i, i);
                }
                final ThreadContext registered = alloc.tableContextForTest();
                assertNotNull(registered, "found through its slot");
                assertNotSame(primary, registered);
                assertNotSame(mine, alloc.arenaOf(blocks[0]), "its own arena, not the primary's");
                for (int i = 0; i < blocks.length; i++)
                {
                    Patterns.check(blocks[i], 16 + i, i, "second thread's block");
                    alloc.free(blocks[i]);
                }
                assertEquals(0, alloc.arenaOf(blocks[0]).liveBlocks(), "its frees took the owner's path");
                theirs[0] = alloc.allocate(64);
            });
            assertSame(primary, alloc.tableContextForTest(), "still the primary");
            assertEquals(1, mine.liveBlocks());
            alloc.free(first);
            alloc.free(theirs[0]); // the second thread's block: a remote free from the primary
            assertEquals(0, mine.liveBlocks());
        }
    }

    /**
     * The hot set follows the busiest threads: this thread and an idle helper register first and fill it; a busy
     * worker, found through its slot until then, replaces the least busy of them at the next scan; an idle scan
     * changes nothing; and this thread, once busier than the now idle members, takes a field back.
     */
    @Test
    void shouldHandTheHotSetToTheBusiestThreadsAtEachScan() throws Exception
    {
        try (ArenaAllocator alloc = TestAllocators.builderWithoutThreadCache(Policy.PER_THREAD).build()) // liveness scan at every maintain
        {
            final long setUp = alloc.allocate(64); // this thread registers first: primary
            final ThreadContext mine = alloc.tableContextForTest();
            assertSame(mine, alloc.primaryForTest());
            final CountDownLatch idleRegistered = new CountDownLatch(1);
            final CountDownLatch quiet = new CountDownLatch(1);
            final ThreadContext[] idle = new ThreadContext[1];
            final Thread idler = new Thread(() ->
            {
                alloc.free(alloc.allocate(16));
                idle[0] = alloc.tableContextForTest();
                idleRegistered.countDown();
                try
                {
                    TestAllocators.await(quiet);
                }
                catch (final InterruptedException ex)
                {
                    Thread.currentThread().interrupt();
                }
            }, "idle-helper");
            idler.start();
            assertTrue(idleRegistered.await(30, TimeUnit.SECONDS));
            assertTrue(alloc.isHotForTest(idle[0]), "the second thread to register takes the second hot field");

            final int busy = 4 * (int)ThreadRegistry.PROMOTE_MIN_ALLOCATIONS;
            final CountDownLatch churned = new CountDownLatch(1);
            final CountDownLatch scanned = new CountDownLatch(1);
            final ThreadContext[] worker = new ThreadContext[1];
            final Throwable[] failure = new Throwable[1];
            final Thread t = new Thread(() ->
            {
                try
                {
                    for (int i = 0; i < busy; i++)
                    {
                        final long a = alloc.allocate(32 + (i & 63));
                        Patterns.fill(a, 32 + (i & 63), i);
                        Patterns.check(a, 32 + (i & 63), i, "worker's block");
                        alloc.free(a);
                    }
                    worker[0] = alloc.tableContextForTest(); // found through its slot, the hot set being full
                    churned.countDown();
                    scanned.await();
                    assertSame(worker[0], alloc.tableContextForTest(), "a hot thread finds its own context");
                    TestAllocators.await(quiet);
                }
                catch (final Throwable ex)
                {
                    failure[0] = ex;
                }
            }, "busy-worker");
            t.start();
            assertTrue(churned.await(30, TimeUnit.SECONDS));
            assertNotNull(worker[0], "the worker is in the table");
            assertFalse(alloc.isHotForTest(worker[0]), "nothing changes between scans: the hot set was full");
            alloc.maintain(0); // a scan: the worker allocated 4096 times, this thread and the helper once each
            assertTrue(alloc.isHotForTest(worker[0]), "the busiest thread joins the hot set");
            assertFalse(alloc.isHotForTest(mine) && alloc.isHotForTest(idle[0]), "it replaced one of the others");
            assertSame(mine, alloc.tableContextForTest(), "this thread is still found (hot or through its slot)");
            scanned.countDown();

            alloc.maintain(0); // nobody allocated: nothing changes
            assertTrue(alloc.isHotForTest(worker[0]), "an idle scan keeps the hot set");
            final long[] blocks = new long[busy];
            for (int i = 0; i < blocks.length; i++)
            {
                blocks[i] = alloc.allocate(48);
            }
            alloc.maintain(0);
            assertTrue(alloc.isHotForTest(mine), "busier than the idle members: back in the hot set");
            for (final long b : blocks)
            {
                alloc.free(b);
            }
            alloc.free(setUp);
            quiet.countDown();
            t.join(30_000);
            idler.join(30_000);
            assertNull(failure[0], () -> "worker failed: " + failure[0]);
        }
    }

    /** Fills the hot set with contexts of new, unstarted threads whose slots are not {@code me}'s. */
    private static void fillHotSet(final ThreadContextTable table, final Thread me)
    {
        for (int i = 0; i < ThreadContextTable.HOT; i++)
        {
            table.claim(new ThreadContext(otherSlotThread(me), 4, false, 0));
        }
        for (int i = 0; i < ThreadContextTable.HOT; i++)
        {
            assertNotNull(table.hotPlain(i), "hot field " + i + " filled");
        }
    }

    @Test
    void tableShouldFindAThreadOutsideTheHotSetThroughItsSlotAndLetAFreedHotFieldBeTaken()
    {
        final ThreadContextTable table = new ThreadContextTable();
        final Thread me = Thread.currentThread();
        final ThreadContext first = new ThreadContext(otherSlotThread(me), 4, false, 0);
        final ThreadContext second = new ThreadContext(otherSlotThread(me), 4, false, 0);
        final ThreadContext mine = new ThreadContext(me, 4, false, 0);
        table.claim(first);
        table.claim(second);
        assertSame(first, table.hotPlain(0));
        assertSame(second, table.hotPlain(1));
        assertTrue(table.claim(mine), "its slot is free");
        assertFalse(table.isHot(mine), "the hot set was full");
        assertSame(mine, table.findPlain(me), "found through its slot");

        table.release(second);
        assertNull(table.hotPlain(1), "the released context's field is free");
        assertSame(first, table.hotPlain(0), "the other stays");
        assertSame(mine, table.findPlain(me), "still found through its slot");
        assertTrue(table.promote(1, null, mine), "a scan may put a living thread into the free field");
        assertTrue(table.isHot(mine));
        assertSame(mine, table.findPlain(me));
        assertFalse(table.promote(1, null, second), "the field changed: the CAS fails, nothing done");
        assertSame(mine, table.hotPlain(1));

        table.release(mine);
        assertFalse(table.isHot(mine));
        assertNull(table.findPlain(me), "out of the hot set and of its slot");
        assertSame(first, table.hotPlain(0));
    }

    /**
     * A scan may promote a context between the thread's registration and its own claim (the registry lists the
     * context first): the claim then puts it into a second free field. Both answer for the thread only, and its
     * release clears both.
     */
    @Test
    void tableShouldClearEveryFieldAContextSitsInWhenItIsReleased()
    {
        final ThreadContextTable table = new ThreadContextTable();
        final Thread me = Thread.currentThread();
        final ThreadContext mine = new ThreadContext(me, 4, false, 0);
        assertTrue(table.promote(1, null, mine), "the scan was first");
        assertTrue(table.claim(mine), "then the thread's own claim: the free hot0 and its slot");
        assertSame(mine, table.hotPlain(0));
        assertSame(mine, table.hotPlain(1));
        assertSame(mine, table.findPlain(me));
        final Thread other = otherSlotThread(me);
        assertNull(table.findPlain(other), "neither field answers for another thread");
        table.release(mine);
        assertNull(table.hotPlain(0));
        assertNull(table.hotPlain(1));
        assertNull(table.findPlain(me));
        final ThreadContext theirs = new ThreadContext(other, 4, false, 0);
        assertTrue(table.claim(theirs));
        assertSame(theirs, table.hotPlain(0), "the cleared fields are free again");
    }

    /** A new, unstarted thread whose id maps to a table slot other than {@code other}'s. */
    @SuppressWarnings("deprecation")
    private static Thread otherSlotThread(final Thread other)
    {
        final Thread t = new Thread(() -> { }, "other-slot");
        if (((t.getId() ^ other.getId()) & (ThreadContextTable.SIZE - 1)) == 0)
        {
            return otherSlotThread(other);
        }
        return t;
    }

    /** A new, unstarted thread whose id maps to the same table slot as {@code other}'s. */
    @SuppressWarnings("deprecation")
    private static Thread collidingThread(final Thread other, final Runnable task)
    {
        final long want = other.getId() & (ThreadContextTable.SIZE - 1);
        for (int i = 0; i < 4 * ThreadContextTable.SIZE; i++)
        {
            final Thread t = new Thread(task, "twin-" + i);
            if ((t.getId() & (ThreadContextTable.SIZE - 1)) == want)
            {
                return t;
            }
        }
        throw new AssertionError("no thread id collided with " + other.getId());
    }

    private static Throwable catchThrowable(final Runnable r)
    {
        try
        {
            r.run();
            return null;
        }
        catch (final Throwable ex)
        {
            return ex;
        }
    }
}
