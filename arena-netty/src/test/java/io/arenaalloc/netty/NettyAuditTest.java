package io.arenaalloc.netty;

import io.netty.buffer.ByteBuf;
import io.netty.buffer.CompositeByteBuf;
import io.netty.util.IllegalReferenceCountException;
import org.junit.jupiter.api.Test;

import java.util.concurrent.atomic.AtomicReference;

import static org.junit.jupiter.api.Assertions.*;

class NettyAuditTest
{
    private static void onThread(final String name, final Runnable r) throws Exception
    {
        final AtomicReference<Throwable> f = new AtomicReference<>();
        final Thread t = new Thread(() ->
        {
            try
            {
                r.run();
            }
            catch (final Throwable ex)
            {
                f.set(ex);
            }
        }, name);
        t.start();
        t.join(20_000);
        assertFalse(t.isAlive());
        if (f.get() != null)
        {
            throw new AssertionError(name + " failed", f.get());
        }
    }

    private static void fill(final ByteBuf b, final int n, final int seed)
    {
        for (int i = 0; i < n; i++)
        {
            b.setByte(i, (byte)(i * 31 + seed));
        }
    }

    private static void check(final ByteBuf b, final int n, final int seed, final String what)
    {
        for (int i = 0; i < n; i++)
        {
            if (b.getByte(i) != (byte)(i * 31 + seed))
            {
                throw new AssertionError(what + ": mismatch at " + i);
            }
        }
    }

    private static void settle(final ArenaByteBufAllocator alloc) throws Exception
    {
        final long end = System.nanoTime() + 5_000_000_000L;
        while (TestAllocators.liveBlocks(alloc) != 0 && System.nanoTime() < end)
        {
            alloc.maintain(1_000_000);
            Thread.sleep(1);
        }
    }

    @Test
    void shouldRejectADoubleReleaseOnAnotherThreadAndFreeOnce() throws Exception
    {
        final ArenaByteBufAllocator alloc = TestAllocators.newAllocator();
        final ByteBuf[] b = new ByteBuf[1];
        onThread("producer", () ->
        {
            b[0] = alloc.directBuffer(1000);
            fill(b[0], 1000, 1);
        });
        onThread("consumer", () ->
        {
            check(b[0], 1000, 1, "consumer");
            assertTrue(b[0].release());
            assertThrows(IllegalReferenceCountException.class, b[0]::release);
            assertThrows(IllegalReferenceCountException.class, () -> b[0].writeByte(1));
            assertThrows(IllegalReferenceCountException.class, () -> b[0].setByte(0, 1));
            assertThrows(IllegalReferenceCountException.class, () -> b[0].capacity(4000));
            assertThrows(IllegalReferenceCountException.class, b[0]::memoryAddress);
            assertThrows(IllegalReferenceCountException.class, () -> b[0].nioBuffer(0, 1));
            assertThrows(IllegalReferenceCountException.class, () -> b[0].internalNioBuffer(0, 1));
            assertThrows(IllegalReferenceCountException.class, () -> b[0].setZero(0, 1));
        });
        settle(alloc);
        assertEquals(0, alloc.metric().activeDirectBuffers());
        assertEquals(0, TestAllocators.liveBlocks(alloc));
        assertEquals(0, alloc.arenaAllocator().counters().get(io.arenaalloc.threads.AllocatorCounters.REMOTE_FREE_ERRORS));
        alloc.close();
    }

    @Test
    void shouldKeepDataAndReturnMemoryWhenANonHolderThreadGrowsAndShrinks() throws Exception
    {
        final ArenaByteBufAllocator alloc = TestAllocators.newAllocator();
        final ByteBuf[] b = new ByteBuf[3];
        onThread("producer", () ->
        {
            b[0] = alloc.directBuffer(100, 1 << 22);
            fill(b[0], 100, 2);
            b[0].writerIndex(100);
            b[1] = alloc.directBuffer(40_000, 1 << 22);
            fill(b[1], 40_000, 3);
            b[2] = alloc.directBuffer(10, 1 << 22);
            fill(b[2], 10, 4);
        });
        onThread("resizer", () ->
        {
            b[0].capacity(5000);
            check(b[0], 100, 2, "grown by non-holder");
            fill(b[0], 5000, 5);
            b[0].capacity(20);
            check(b[0], 20, 5, "shrunk by new holder");
            b[0].capacity(700_000);
            check(b[0], 20, 5, "huge by holder");
            b[1].capacity(1000);
            check(b[1], 1000, 3, "shrunk by non-holder");
            b[2].ensureWritable(100_000);
            check(b[2], 10, 4, "ensureWritable non-holder");
            final ByteBuf s = b[1].retainedSlice(10, 100);
            b[1].release();
            assertEquals(1, s.refCnt());
            assertEquals((byte)(10 * 31 + 3), s.getByte(0));
            s.release();
            assertEquals(0, b[1].refCnt());
            assertThrows(IllegalReferenceCountException.class, () -> s.getByte(0));
            final ByteBuf d = b[0].duplicate();
            assertTrue(d.release());
            assertThrows(IllegalReferenceCountException.class, () -> b[0].getByte(0));
            assertThrows(IllegalReferenceCountException.class, d::release);
            b[2].release();
        });
        settle(alloc);
        assertEquals(0, alloc.metric().activeDirectBuffers());
        assertEquals(0, TestAllocators.liveBlocks(alloc), () -> "live blocks after release: " + alloc.arenaAllocator().counters());
        alloc.close();
    }

    @Test
    void shouldReleaseEveryComponentOfACompositeBufferAcrossThreads() throws Exception
    {
        final ArenaByteBufAllocator alloc = TestAllocators.newAllocator();
        final CompositeByteBuf[] c = new CompositeByteBuf[1];
        onThread("producer", () ->
        {
            c[0] = alloc.compositeDirectBuffer(4);
            for (int i = 0; i < 10; i++)
            {
                final ByteBuf part = alloc.directBuffer(100 + i);
                part.writeZero(100 + i);
                c[0].addComponent(true, part); // beyond 4: consolidation allocates a new buffer
            }
        });
        onThread("consumer", () ->
        {
            assertEquals(1045, c[0].readableBytes());
            c[0].capacity(5000);
            c[0].release();
        });
        settle(alloc);
        assertEquals(0, alloc.metric().activeDirectBuffers());
        assertEquals(0, TestAllocators.liveBlocks(alloc));
        alloc.close();
    }

    @Test
    void shouldNotFreeOrWriteABufferReleasedAfterTheAllocatorClosed() throws Exception
    {
        final ArenaByteBufAllocator alloc = TestAllocators.newAllocator();
        final ByteBuf b = alloc.directBuffer(64);
        assertThrows(IllegalStateException.class, alloc::close, "live buffer");
        final ByteBuf d = b.retainedDuplicate();
        b.release();
        assertThrows(IllegalStateException.class, alloc::close, "still a retained duplicate");
        d.release();
        alloc.close();
        assertEquals(0, alloc.metric().activeDirectBuffers());
        assertThrows(IllegalReferenceCountException.class, () -> b.writeByte(1));
        assertThrows(IllegalReferenceCountException.class, d::release);
        assertThrows(IllegalStateException.class, () -> alloc.directBuffer(10));
    }
}
