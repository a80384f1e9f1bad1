package io.arenaalloc.threads;

import io.arenaalloc.core.ArenaConfig;

import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;

/** Small, deterministic allocators for tests: 256 KiB chunks, no background thread unless asked. */
final class TestAllocators
{
    static final long CHUNK = 256 << 10;

    private TestAllocators()
    {
    }

    static AllocatorConfig.Builder<ArenaAllocator> builder(final Policy policy)
    {
        return ArenaAllocator.builder()
            .policy(policy)
            .stripes(2)
            .backgroundMaintenance(false)
            .livenessScanNanos(0)
            .arenaConfig(ArenaConfig.builder().chunkSize(CHUNK).build());
    }

    static ArenaAllocator create(final Policy policy)
    {
        return builder(policy).build();
    }

    /**
     * As {@link #builder}, with no {@link ThreadBlockCache}: for tests of the paths a cache would bypass (the
     * remote-free protocol, the owner's chunk cache), and of exact per-arena figures right after a free.
     */
    static AllocatorConfig.Builder<ArenaAllocator> builderWithoutThreadCache(final Policy policy)
    {
        return builder(policy).threadCacheBytes(0);
    }

    /** Runs {@code task} on a new platform thread and waits for it to end. */
    static void onOtherThread(final String name, final ThrowingRunnable task) throws Exception
    {
        final Throwable[] failure = new Throwable[1];
        final Thread t = new Thread(() ->
        {
            try
            {
                task.run();
            }
            catch (final Throwable ex)
            {
                failure[0] = ex;
            }
        }, name);
        t.start();
        t.join(TimeUnit.SECONDS.toMillis(30));
        if (t.isAlive())
        {
            throw new AssertionError(name + " did not finish in 30 s");
        }
        if (failure[0] instanceof Exception)
        {
            throw (Exception)failure[0];
        }
        if (failure[0] instanceof Error)
        {
            throw (Error)failure[0];
        }
    }

    /**
     * Runs maintenance until no live bytes remain or 10 s passed (a stripe busy with another thread's
     * maintenance is skipped by one maintain call, so one call is not always enough).
     * @return the live bytes left.
     */
    static long settle(final ArenaAllocator alloc) throws InterruptedException
    {
        final long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(10);
        while (alloc.liveBytes() != 0 && System.nanoTime() < deadline)
        {
            alloc.maintain(100_000);
            Thread.sleep(1);
        }
        return alloc.liveBytes();
    }

    static void await(final CountDownLatch latch) throws InterruptedException
    {
        if (!latch.await(30, TimeUnit.SECONDS))
        {
            throw new AssertionError("latch not reached in 30 s");
        }
    }

    interface ThrowingRunnable
    {
        void run() throws Exception;
    }
}
