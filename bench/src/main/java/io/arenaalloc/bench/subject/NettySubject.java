package io.arenaalloc.bench.subject;

import io.netty.buffer.AdaptiveByteBufAllocator;
import io.netty.buffer.ByteBuf;
import io.netty.buffer.ByteBufAllocator;
import io.netty.buffer.ByteBufAllocatorMetricProvider;
import io.netty.buffer.PooledByteBufAllocator;

/**
 * {@code netty-pooled} and {@code netty-adaptive}: direct {@link ByteBuf}s from Netty's
 * {@link PooledByteBufAllocator} (jemalloc-style arenas, thread caches) or
 * {@link AdaptiveByteBufAllocator} (magazines), released with {@link ByteBuf#release()}.
 *
 * <p>Configuration: a fresh allocator per trial with Netty's default sizes, except that the
 * thread-local caches (pooled) and cached magazines (adaptive) are switched on for every thread.
 * Netty 4.2 enables them by default only for its own event-loop threads; JMH's worker threads are
 * not event-loop threads, so without this the benchmark would measure Netty in a configuration no
 * Netty application runs its hot path in. Leak detection is off for every fork
 * ({@code -Dio.netty.leakDetection.level=disabled}, the same flag for every subject).
 *
 * <p>The block's address is {@link ByteBuf#memoryAddress()}; a buffer without one (no
 * {@code sun.misc.Unsafe} in Netty) makes the subject fail to construct, so it is reported skipped.
 */
final class NettySubject implements Subject
{
    private final String name;
    private final ByteBufAllocator allocator;
    private final ByteBuf[] buffers;
    private boolean closed;

    private NettySubject(final String name, final ByteBufAllocator allocator, final int slots)
    {
        this.name = name;
        this.allocator = allocator;
        this.buffers = new ByteBuf[slots];
        final ByteBuf probe = allocator.directBuffer(64, 64);
        try
        {
            if (!probe.hasMemoryAddress())
            {
                throw new IllegalStateException(
                    "Netty direct buffers have no memory address (Netty found no usable Unsafe)");
            }
        }
        finally
        {
            probe.release();
        }
    }

    static NettySubject pooled(final int slots)
    {
        final PooledByteBufAllocator allocator = new PooledByteBufAllocator(
            true,
            PooledByteBufAllocator.defaultNumHeapArena(),
            PooledByteBufAllocator.defaultNumDirectArena(),
            PooledByteBufAllocator.defaultPageSize(),
            PooledByteBufAllocator.defaultMaxOrder(),
            PooledByteBufAllocator.defaultSmallCacheSize(),
            PooledByteBufAllocator.defaultNormalCacheSize(),
            true);
        return new NettySubject(Subjects.NETTY_POOLED, allocator, slots);
    }

    static NettySubject adaptive(final int slots)
    {
        return new NettySubject(Subjects.NETTY_ADAPTIVE, new AdaptiveByteBufAllocator(true, true), slots);
    }

    @Override
    public String name()
    {
        return name;
    }

    @Override
    public int slots()
    {
        return buffers.length;
    }

    @Override
    public long allocate(final int slot, final int size)
    {
        final ByteBuf buffer = allocator.directBuffer(size, size);
        buffers[slot] = buffer;
        return buffer.memoryAddress();
    }

    @Override
    public void free(final int slot)
    {
        final ByteBuf buffer = buffers[slot];
        buffers[slot] = null;
        buffer.release();
    }

    /** Netty's own figure: {@code ByteBufAllocatorMetric.usedDirectMemory()} (bytes of its direct chunks). */
    @Override
    public long footprintBytes()
    {
        return ((ByteBufAllocatorMetricProvider)allocator).metric().usedDirectMemory();
    }

    @Override
    public String footprintSource()
    {
        return "ByteBufAllocatorMetric.usedDirectMemory()";
    }

    /** Pooled: trim this thread's cache (what Netty's event loops do when idle). Adaptive: nothing to call. */
    @Override
    public void idle(final long budgetNanos)
    {
        if (allocator instanceof PooledByteBufAllocator)
        {
            ((PooledByteBufAllocator)allocator).trimCurrentThreadCache();
        }
    }

    @Override
    public boolean isLive(final int slot)
    {
        return buffers[slot] != null;
    }

    @Override
    public void close()
    {
        if (closed)
        {
            return;
        }
        closed = true;
        for (int i = 0; i < buffers.length; i++)
        {
            if (buffers[i] != null)
            {
                free(i);
            }
        }
        if (allocator instanceof PooledByteBufAllocator)
        {
            ((PooledByteBufAllocator)allocator).trimCurrentThreadCache();
        }
    }
}
