package io.arenaalloc.netty;

import io.netty.buffer.ByteBufAllocator;
import io.netty.buffer.ByteBufAllocatorTest;

/**
 * Netty's own allocator contract suite ({@code io.netty.buffer.ByteBufAllocatorTest}: buffer, heap, direct and
 * composite buffers with and without capacities, for preferDirect true and false) run against
 * {@link ArenaByteBufAllocator}.
 */
class NettyAllocatorSuiteTest extends ByteBufAllocatorTest
{
    @Override
    protected int defaultMaxCapacity()
    {
        return Integer.MAX_VALUE;
    }

    @Override
    protected int defaultMaxComponents()
    {
        return 16;
    }

    @Override
    protected ByteBufAllocator newAllocator(final boolean preferDirect)
    {
        return preferDirect ? TestAllocators.sharedPreferDirect() : TestAllocators.sharedPreferHeap();
    }

    @Override
    protected boolean isDirectExpected(final boolean preferDirect)
    {
        return preferDirect;
    }
}
