package io.arenaalloc.threads;

import io.arenaalloc.core.InvalidBlockException;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.condition.EnabledForJreRange;
import org.junit.jupiter.api.condition.JRE;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;

import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** Thousands of platform threads, and (JDK 21+) thousands of virtual threads: never an arena per thread. */
class ManyThreadsTest
{
    private static final int VIRTUAL_THREADS = 5_000;
    private static final int PLATFORM_THREADS = 500;

    /** {@code Executors.newVirtualThreadPerTaskExecutor()}, through reflection: this module compiles for 17. */
    private static ExecutorService virtualThreadExecutor() throws Exception
    {
        return (ExecutorService)Executors.class.getMethod("newVirtualThreadPerTaskExecutor").invoke(null);
    }

    private static void work(final ArenaAllocator alloc, final long seed, final ConcurrentLinkedQueue<long[]> handoff)
    {
        final long[] ids = new long[8];
        for (int i = 0; i < ids.length; i++)
        {
            final long size = 16L << ((seed + i) % 9);
            ids[i] = (i & 1) == 0 ? alloc.allocate(size) : alloc.allocateHandle(size);
            final long address = ids[i] < 0 ? alloc.pin(ids[i]) : ids[i];
            Patterns.fill(address, size, seed * 31 + i);
            if (ids[i] < 0)
            {
                alloc.unpin(ids[i]);
            }
            Thread.yield(); // let other threads interleave (a virtual thread unmounts here)
        }
        for (int i = 0; i < ids.length; i++)
        {
            final long size = 16L << ((seed + i) % 9);
            final long address = ids[i] < 0 ? alloc.pin(ids[i]) : ids[i];
            Patterns.check(address, size, seed * 31 + i, "thread " + seed);
            if (ids[i] < 0)
            {
                alloc.unpin(ids[i]);
            }
            if (i < 4)
            {
                alloc.free(ids[i]);
            }
            else
            {
                handoff.add(new long[] {ids[i], size, seed * 31 + i}); // freed later by another thread
            }
        }
    }

    private static void freeHandedOff(final ArenaAllocator alloc, final ConcurrentLinkedQueue<long[]> handoff)
    {
        long[] b;
        while ((b = handoff.poll()) != null)
        {
            final long address = b[0] < 0 ? alloc.pin(b[0]) : b[0];
            Patterns.check(address, b[1], b[2], "handed off");
            if (b[0] < 0)
            {
                alloc.unpin(b[0]);
            }
            alloc.free(b[0]);
        }
    }

    @ParameterizedTest
    @EnumSource(Policy.class)
    @EnabledForJreRange(min = JRE.JAVA_21)
    void shouldServeThousandsOfVirtualThreadsFromTheStripes(final Policy policy) throws Exception
    {
        assertTrue(Threads.virtualThreadsSupported());
        try (ArenaAllocator alloc = TestAllocators.builder(policy).backgroundMaintenance(true).build())
        {
            final ConcurrentLinkedQueue<long[]> handoff = new ConcurrentLinkedQueue<>();
            final List<Future<?>> futures = new ArrayList<>();
            final ExecutorService executor = virtualThreadExecutor();
            try
            {
                for (int t = 0; t < VIRTUAL_THREADS; t++)
                {
                    final long seed = t;
                    futures.add(executor.submit(() ->
                    {
                        if (!Threads.isVirtual(Thread.currentThread()))
                        {
                            throw new AssertionError("expected a virtual thread");
                        }
                        work(alloc, seed, handoff);
                    }));
                }
                for (final Future<?> f : futures)
                {
                    f.get(60, TimeUnit.SECONDS);
                }
            }
            finally
            {
                executor.shutdown();
                assertTrue(executor.awaitTermination(60, TimeUnit.SECONDS));
            }
            assertEquals(2, alloc.arenaCount(), "the two stripes, never one arena per virtual thread");
            assertEquals(0, alloc.registry().contextCount(), "no per-virtual-thread state");
            freeHandedOff(alloc, handoff);
            assertEquals(0, TestAllocators.settle(alloc));
        }
    }

    @Test
    @EnabledForJreRange(min = JRE.JAVA_21)
    void shouldCarryVirtualThreadsFreesIntoAPlatformOwnersArena() throws Exception
    {
        try (ArenaAllocator alloc = TestAllocators.create(Policy.PER_THREAD))
        {
            final int n = 2000;
            final long[] blocks = new long[n];
            for (int i = 0; i < n; i++)
            {
                blocks[i] = alloc.allocate(64);
            }
            final ExecutorService executor = virtualThreadExecutor();
            try
            {
                final List<Future<?>> futures = new ArrayList<>();
                for (int i = 0; i < n; i++)
                {
                    final long b = blocks[i];
                    futures.add(executor.submit(() -> alloc.free(b)));
                }
                for (final Future<?> f : futures)
                {
                    f.get(60, TimeUnit.SECONDS);
                }
            }
            finally
            {
                executor.shutdown();
                assertTrue(executor.awaitTermination(60, TimeUnit.SECONDS));
            }
            alloc.maintain(0);
            assertEquals(0, alloc.arenaOf(blocks[0]).liveBlocks(), "every free reached the owner");
            // small fixed blocks: marked, through the virtual threads' stripes' outboxes; the owner drains nothing until
            // maintain, so once a stripe's 16 batches (1024 frees) are in flight the rest take the owner's ring
            final long batched = alloc.counters().get(AllocatorCounters.REMOTE_FREES_BATCHED);
            final long single = alloc.counters().get(AllocatorCounters.SINGLE_FREES) +
                alloc.counters().get(AllocatorCounters.SINGLE_FREES_OVERFLOWED);
            assertTrue(batched >= RemoteFreeOutbox.STRIPE_BATCHES * AllocatorConfig.defaults().remoteFreeBatchSize(),
                "batched " + batched);
            assertEquals(n, batched + single);
            assertEquals(single, alloc.counters().get(AllocatorCounters.STRIPE_OUTBOX_FULL));
        }
    }

    @Test
    @EnabledForJreRange(min = JRE.JAVA_21)
    void shouldRejectAVirtualThreadsDoubleFreeOfAPlatformOwnersBlockAtOnce() throws Exception
    {
        try (ArenaAllocator alloc = TestAllocators.create(Policy.PER_THREAD))
        {
            final long block = alloc.allocate(64);
            final long survivor = alloc.allocate(64);
            Patterns.fill(survivor, 64, 9);
            final ExecutorService executor = virtualThreadExecutor();
            try
            {
                executor.submit(() -> alloc.free(block)).get(60, TimeUnit.SECONDS);
                final ExecutionException second = assertThrows(ExecutionException.class,
                    () -> executor.submit(() -> alloc.free(block)).get(60, TimeUnit.SECONDS));
                assertInstanceOf(InvalidBlockException.class, second.getCause());
                assertTrue(second.getCause().getMessage().contains("double free"), second.getCause().getMessage());
            }
            finally
            {
                executor.shutdown();
                assertTrue(executor.awaitTermination(60, TimeUnit.SECONDS));
            }
            alloc.maintain(0);
            assertEquals(1, alloc.arenaOf(survivor).liveBlocks(), "the first free applied, the second changed nothing");
            assertEquals(0, alloc.counters().get(AllocatorCounters.REMOTE_FREE_ERRORS));
            Patterns.check(survivor, 64, 9, "the survivor");
            alloc.free(survivor);
        }
    }

    @Test
    void shouldServeHundredsOfPlatformThreadsWithTheStripesOnly() throws Exception
    {
        try (ArenaAllocator alloc = TestAllocators.builder(Policy.STRIPED).backgroundMaintenance(true).build())
        {
            final ConcurrentLinkedQueue<long[]> handoff = new ConcurrentLinkedQueue<>();
            final CountDownLatch start = new CountDownLatch(1);
            final List<Thread> threads = new ArrayList<>();
            final ConcurrentLinkedQueue<Throwable> failures = new ConcurrentLinkedQueue<>();
            for (int t = 0; t < PLATFORM_THREADS; t++)
            {
                final long seed = t;
                final Thread thread = new Thread(() ->
                {
                    try
                    {
                        start.await();
                        work(alloc, seed, handoff);
                    }
                    catch (final Throwable ex)
                    {
                        failures.add(ex);
                    }
                }, "platform-" + t);
                thread.start();
                threads.add(thread);
            }
            start.countDown();
            for (final Thread t : threads)
            {
                t.join(TimeUnit.SECONDS.toMillis(60));
            }
            assertTrue(failures.isEmpty(), () -> failures.toString());
            assertEquals(2, alloc.arenaCount(), "STRIPED: the stripes only, whatever the number of threads");
            freeHandedOff(alloc, handoff);
            assertEquals(0, TestAllocators.settle(alloc));
        }
    }
}
