package io.arenaalloc.netty;

import io.netty.buffer.AbstractByteBufTest;
import io.netty.buffer.ByteBuf;
import org.junit.jupiter.api.AfterAll;

/**
 * Netty's own buffer contract suite ({@code io.netty.buffer.AbstractByteBufTest} from netty-buffer's test jar, the
 * suite every Netty buffer passes) run against {@link ArenaDirectByteBuf}.
 */
class NettyByteBufSuiteTest extends AbstractByteBufTest
{
    private static final ArenaByteBufAllocator ALLOC = TestAllocators.newAllocator();

    @AfterAll
    static void closeAllocator()
    {
        TestAllocators.closeWhenIdle(ALLOC);
    }

    @Override
    protected ByteBuf newBuffer(final int length, final int maxCapacity)
    {
        return ALLOC.directBuffer(length, maxCapacity);
    }
}
