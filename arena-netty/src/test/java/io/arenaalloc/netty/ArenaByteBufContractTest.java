package io.arenaalloc.netty;

import io.arenaalloc.threads.ArenaAllocator;
import io.netty.buffer.ByteBuf;
import io.netty.buffer.ByteBufUtil;
import io.netty.buffer.CompositeByteBuf;
import io.netty.buffer.Unpooled;
import io.netty.util.IllegalReferenceCountException;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.channels.Pipe;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.ArrayList;
import java.util.List;
import java.util.Random;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * The contract Netty's allocators meet, on {@link ArenaByteBufAllocator}'s direct buffers: capacity and max capacity,
 * growth by ensureWritable (pattern data survives it, in every size range of the arenas), reference counting,
 * slices and duplicates, composite buffers, NIO views and channel transfers, byte order against Netty's heap buffer,
 * fixed addresses under compaction, heap buffers and the metric.
 */
class ArenaByteBufContractTest
{
    private static final ArenaByteBufAllocator ALLOC = TestAllocators.newAllocator();

    @AfterAll
    static void closeAllocator()
    {
        TestAllocators.closeWhenIdle(ALLOC);
    }

    @AfterEach
    void noBufferLeftLive()
    {
        assertEquals(0, ALLOC.metric().activeDirectBuffers(), "a test left direct buffers live: " + ALLOC);
    }

    // -----------------------------------------------------------------------------------------
    // capacity
    // -----------------------------------------------------------------------------------------

    @Test
    void capacityAndMaxCapacity()
    {
        final ByteBuf b = ALLOC.directBuffer(100, 1000);
        try
        {
            assertEquals(100, b.capacity());
            assertEquals(1000, b.maxCapacity());
            assertTrue(b.isDirect());
            assertTrue(b.hasMemoryAddress());
            assertFalse(b.hasArray());
            assertTrue(b.isContiguous());
            assertSame(ALLOC, b.alloc());
            assertEquals(0, b.readerIndex());
            assertEquals(0, b.writerIndex());
            assertThatThrownBy(() -> b.capacity(1001)).isInstanceOf(IllegalArgumentException.class);
            assertThatThrownBy(() -> b.capacity(-1)).isInstanceOf(IllegalArgumentException.class);
            assertThatThrownBy(() -> ALLOC.directBuffer(10, 5)).isInstanceOf(IllegalArgumentException.class);
            assertThatThrownBy(() -> ALLOC.directBuffer(-1)).isInstanceOf(IllegalArgumentException.class);
            b.capacity(1000);
            assertEquals(1000, b.capacity());
            b.writerIndex(900).readerIndex(800);
            b.capacity(850);
            assertEquals(850, b.capacity());
            assertEquals(800, b.readerIndex());
            assertEquals(850, b.writerIndex());
        }
        finally
        {
            b.release();
        }
    }

    @Test
    void zeroCapacityBuffersAreRealAndGrow()
    {
        final ByteBuf a = ALLOC.directBuffer(0, 64);
        final ByteBuf b = ALLOC.directBuffer(0, 64);
        try
        {
            assertEquals(0, a.capacity());
            assertNotEquals(a.memoryAddress(), b.memoryAddress(), "each buffer has a block of its own");
            assertEquals(0, a.nioBuffer().remaining());
            a.writeLong(0x0102030405060708L);
            assertEquals(0x0102030405060708L, a.readLong());
            assertThat(a.capacity()).isBetween(8, 64);
        }
        finally
        {
            a.release();
            b.release();
        }
    }

    /** Growth through every size range of the arenas: small slabs, medium runs, huge chunks (above 2 MiB). */
    @ParameterizedTest
    @ValueSource(ints = {1, 15, 16, 200, 4096, 4097, 50_000, 1 << 20, (3 << 20) + 5})
    void patternSurvivesGrowthByEnsureWritable(final int finalSize)
    {
        final long seed = finalSize * 31L;
        final ByteBuf b = ALLOC.directBuffer(1);
        try
        {
            int lastCapacity = b.capacity();
            int grows = 0;
            int written = 0;
            final Random r = new Random(seed);
            while (written < finalSize)
            {
                final int n = Math.min(finalSize - written, 1 + r.nextInt(Math.max(1, finalSize / 7)));
                final byte[] chunk = new byte[n];
                for (int i = 0; i < n; i++)
                {
                    chunk[i] = BufPatterns.byteAt(seed, written + i);
                }
                b.writeBytes(chunk);
                written += n;
                if (b.capacity() != lastCapacity)
                {
                    assertThat(b.capacity()).isGreaterThan(lastCapacity).isLessThanOrEqualTo(b.maxCapacity());
                    lastCapacity = b.capacity();
                    grows++;
                    BufPatterns.check(b, written, seed, "after growth " + grows);
                }
            }
            BufPatterns.check(b, finalSize, seed, "final");
            assertThat(b.capacity()).isGreaterThanOrEqualTo(finalSize);
            if (finalSize > 1)
            {
                assertThat(grows).isPositive();
            }
            b.capacity(finalSize / 2);
            BufPatterns.check(b, finalSize / 2, seed, "after shrink");
        }
        finally
        {
            b.release();
        }
    }

    @Test
    void ensureWritableRespectsMaxCapacity()
    {
        final ByteBuf b = ALLOC.directBuffer(8, 100);
        try
        {
            b.writeBytes(new byte[8]);
            b.ensureWritable(50);
            assertThat(b.capacity()).isBetween(58, 100);
            assertThatThrownBy(() -> b.ensureWritable(200)).isInstanceOf(IndexOutOfBoundsException.class);
            assertEquals(1, b.ensureWritable(200, false), "not enough room, capacity unchanged");
            assertEquals(3, b.ensureWritable(200, true), "forced: grown to maxCapacity");
            assertEquals(100, b.capacity());
            assertThatThrownBy(() -> b.writeBytes(new byte[93])).isInstanceOf(IndexOutOfBoundsException.class);
        }
        finally
        {
            b.release();
        }
    }

    // -----------------------------------------------------------------------------------------
    // reference counting, slices, duplicates
    // -----------------------------------------------------------------------------------------

    @Test
    void referenceCounting()
    {
        final ByteBuf b = ALLOC.directBuffer(64);
        assertEquals(1, b.refCnt());
        b.retain(2);
        assertEquals(3, b.refCnt());
        assertFalse(b.release());
        assertFalse(b.release());
        assertEquals(1, ALLOC.metric().activeDirectBuffers());
        assertTrue(b.release());
        assertEquals(0, b.refCnt());
        assertEquals(0, ALLOC.metric().activeDirectBuffers());
        assertThatThrownBy(b::release).isInstanceOf(IllegalReferenceCountException.class);
        assertThatThrownBy(() -> b.getByte(0)).isInstanceOf(IllegalReferenceCountException.class);
        assertThatThrownBy(b::memoryAddress).isInstanceOf(IllegalReferenceCountException.class);
        assertThatThrownBy(b::nioBuffer).isInstanceOf(IllegalReferenceCountException.class);
        assertThatThrownBy(b::retain).isInstanceOf(IllegalReferenceCountException.class);
        assertThatThrownBy(() -> b.capacity(10)).isInstanceOf(IllegalReferenceCountException.class);
    }

    @Test
    void slicesAndDuplicatesShareMemory()
    {
        final ByteBuf b = ALLOC.directBuffer(256);
        BufPatterns.write(b, 256, 7);
        final ByteBuf slice = b.slice(10, 100);
        assertEquals(100, slice.capacity());
        assertEquals(b.getByte(10), slice.getByte(0));
        assertEquals(b.memoryAddress() + 10, slice.memoryAddress());
        slice.setByte(0, 42);
        assertEquals(42, b.getByte(10));

        final ByteBuf dup = b.duplicate();
        dup.readerIndex(50);
        assertEquals(0, b.readerIndex(), "a duplicate has its own indexes");
        assertEquals(b.memoryAddress(), dup.memoryAddress());

        final ByteBuf ro = b.asReadOnly();
        assertTrue(ro.isReadOnly());
        assertThatThrownBy(() -> ro.setByte(0, 1)).isInstanceOf(java.nio.ReadOnlyBufferException.class);

        final ByteBuf retainedSlice = b.retainedSlice(20, 30);
        final ByteBuf retainedDup = b.retainedDuplicate();
        assertEquals(3, b.refCnt());
        assertFalse(b.release());
        assertFalse(retainedDup.release());
        assertEquals(b.getByte(20), retainedSlice.getByte(0), "the retained slice keeps the parent alive");
        assertEquals(1, ALLOC.metric().activeDirectBuffers());
        assertTrue(retainedSlice.release());
        assertEquals(0, ALLOC.metric().activeDirectBuffers());
        assertThatThrownBy(() -> slice.getByte(0)).isInstanceOf(IllegalReferenceCountException.class);
    }

    @Test
    void copyIsIndependentAndFromThisAllocator()
    {
        final ByteBuf b = ALLOC.directBuffer(300);
        BufPatterns.write(b, 300, 3);
        final ByteBuf c = b.copy(0, 300);
        try
        {
            assertSame(ALLOC, c.alloc());
            assertTrue(c.isDirect());
            assertNotEquals(b.memoryAddress(), c.memoryAddress());
            BufPatterns.check(c, 300, 3, "copy");
            b.setByte(0, ~b.getByte(0));
            assertEquals(BufPatterns.byteAt(3, 0), c.getByte(0));
            assertEquals(b.slice(1, 299), c.slice(1, 299));
        }
        finally
        {
            b.release();
            c.release();
        }
    }

    // -----------------------------------------------------------------------------------------
    // composite buffers
    // -----------------------------------------------------------------------------------------

    @Test
    void compositeBuffersOfArenaBuffers()
    {
        final CompositeByteBuf comp = ALLOC.compositeDirectBuffer(4);
        final List<ByteBuf> parts = new ArrayList<>();
        int total = 0;
        for (int i = 0; i < 10; i++)
        {
            final int n = 100 + i * 37;
            final ByteBuf part = ALLOC.directBuffer(n);
            for (int k = 0; k < n; k++)
            {
                part.writeByte(BufPatterns.byteAt(11, total + k));
            }
            total += n;
            parts.add(part);
        }
        comp.addComponents(true, parts);
        assertEquals(total, comp.readableBytes());
        BufPatterns.check(comp, total, 11, "composite (consolidated beyond 4 components)");
        // reads across component boundaries
        final byte[] all = new byte[total];
        comp.getBytes(0, all);
        final ByteBuf flat = Unpooled.wrappedBuffer(all);
        assertEquals(flat.getLong(95), comp.getLong(95));
        assertEquals(flat.getIntLE(201), comp.getIntLE(201));
        final ByteBuffer[] nio = comp.nioBuffers();
        int nioTotal = 0;
        for (final ByteBuffer bb : nio)
        {
            assertTrue(bb.isDirect());
            nioTotal += bb.remaining();
        }
        assertEquals(total, nioTotal);
        comp.writeBytes(new byte[5000]); // grows by adding an arena buffer
        assertEquals(total + 5000, comp.readableBytes());
        assertTrue(comp.release());
        assertEquals(0, ALLOC.metric().activeDirectBuffers(), "releasing the composite released its components");
    }

    // -----------------------------------------------------------------------------------------
    // NIO views and channels
    // -----------------------------------------------------------------------------------------

    @Test
    void nioBuffersShareMemoryAndHaveTheirOwnIndexes()
    {
        final ByteBuf b = ALLOC.directBuffer(128);
        try
        {
            BufPatterns.write(b, 128, 5);
            assertEquals(1, b.nioBufferCount());
            final ByteBuffer nio = b.nioBuffer(16, 64);
            assertTrue(nio.isDirect());
            assertEquals(0, nio.position());
            assertEquals(64, nio.remaining());
            assertEquals(b.getInt(16), nio.getInt(0), "big-endian view");
            nio.put(0, (byte)99);
            assertEquals(99, b.getByte(16), "writes through the view land in the buffer");
            final ByteBuffer other = b.nioBuffer(16, 64);
            other.position(10);
            assertEquals(0, nio.position(), "every nioBuffer has its own position");
            final ByteBuffer internal = b.internalNioBuffer(8, 8);
            assertEquals(8, internal.position());
            assertEquals(16, internal.limit());
            assertSame(internal, b.internalNioBuffer(0, 1), "the internal buffer is reused");
            assertEquals(1, b.nioBuffers(0, 128).length);
            assertThatThrownBy(() -> b.nioBuffer(100, 29)).isInstanceOf(IndexOutOfBoundsException.class);
            b.capacity(100_000);
            assertEquals(100_000, b.nioBuffer(0, 100_000).remaining(), "views follow a capacity change");
            assertEquals(99, b.nioBuffer(16, 1).get(0));
        }
        finally
        {
            b.release();
        }
    }

    @Test
    void byteBufferTransfersBothWays()
    {
        final ByteBuf b = ALLOC.directBuffer(64);
        try
        {
            BufPatterns.write(b, 64, 9);
            final ByteBuffer heap = ByteBuffer.allocate(20);
            final ByteBuffer direct = ByteBuffer.allocateDirect(20);
            b.getBytes(4, heap);
            b.getBytes(4, direct);
            assertEquals(20, heap.position());
            assertEquals(20, direct.position());
            heap.flip();
            direct.flip();
            assertEquals(heap, direct);
            assertEquals(BufPatterns.byteAt(9, 4), heap.get(0));
            assertThatThrownBy(() -> b.getBytes(0, ByteBuffer.allocate(4).asReadOnlyBuffer()))
                .isInstanceOf(java.nio.ReadOnlyBufferException.class);
            b.setBytes(40, heap);
            b.setBytes(0, ByteBuffer.wrap(new byte[] {1, 2, 3}).asReadOnlyBuffer());
            assertEquals(20, heap.position());
            assertEquals(BufPatterns.byteAt(9, 4), b.getByte(40));
            assertEquals(3, b.getByte(2));
        }
        finally
        {
            b.release();
        }
    }

    @Test
    void channelTransfers() throws IOException
    {
        final ByteBuf b = ALLOC.directBuffer(10_000);
        final ByteBuf in = ALLOC.directBuffer(10_000);
        final Path file = Files.createTempFile("arena-netty", ".bin");
        try (FileChannel ch = FileChannel.open(file, StandardOpenOption.READ, StandardOpenOption.WRITE))
        {
            BufPatterns.write(b, 10_000, 13);
            assertEquals(10_000, b.getBytes(0, ch, 0, 10_000));
            assertEquals(10_000, in.setBytes(0, ch, 0, 10_000));
            BufPatterns.check(in, 10_000, 13, "through a file");

            final Pipe pipe = Pipe.open();
            try (Pipe.SinkChannel sink = pipe.sink(); Pipe.SourceChannel source = pipe.source())
            {
                final int written = b.readBytes(sink, 1000);
                assertEquals(1000, written);
                assertEquals(1000, b.readerIndex());
                in.clear();
                assertEquals(1000, in.writeBytes(source, 1000));
                BufPatterns.check(in, 1000, 13, "through a pipe");
            }
        }
        finally
        {
            Files.deleteIfExists(file);
            b.release();
            in.release();
        }
    }

    @Test
    void streamTransfers() throws IOException
    {
        final ByteBuf b = ALLOC.directBuffer(20_000);
        try
        {
            BufPatterns.write(b, 20_000, 17);
            final java.io.ByteArrayOutputStream out = new java.io.ByteArrayOutputStream();
            b.getBytes(0, out, 20_000);
            final byte[] bytes = out.toByteArray();
            assertEquals(20_000, bytes.length);
            b.clear();
            int n = 0;
            final java.io.ByteArrayInputStream in = new java.io.ByteArrayInputStream(bytes);
            while (n < 20_000)
            {
                n += b.writeBytes(in, 20_000 - n);
            }
            BufPatterns.check(b, 20_000, 17, "through streams");
        }
        finally
        {
            b.release();
        }
    }

    // -----------------------------------------------------------------------------------------
    // byte order: differential against Netty's heap buffer
    // -----------------------------------------------------------------------------------------

    @Test
    void everyAccessorMatchesNettysHeapBuffer()
    {
        final int size = 512;
        final ByteBuf ours = ALLOC.directBuffer(size, size);
        final ByteBuf ref = Unpooled.buffer(size, size);
        try
        {
            ours.writeZero(size);
            ref.writeZero(size);
            final Random r = new Random(42);
            for (int op = 0; op < 20_000; op++)
            {
                final int i = r.nextInt(size - 8);
                final long v = r.nextLong();
                switch (r.nextInt(14))
                {
                    case 0: ours.setByte(i, (int)v); ref.setByte(i, (int)v); break;
                    case 1: ours.setShort(i, (int)v); ref.setShort(i, (int)v); break;
                    case 2: ours.setShortLE(i, (int)v); ref.setShortLE(i, (int)v); break;
                    case 3: ours.setMedium(i, (int)v); ref.setMedium(i, (int)v); break;
                    case 4: ours.setMediumLE(i, (int)v); ref.setMediumLE(i, (int)v); break;
                    case 5: ours.setInt(i, (int)v); ref.setInt(i, (int)v); break;
                    case 6: ours.setIntLE(i, (int)v); ref.setIntLE(i, (int)v); break;
                    case 7: ours.setLong(i, v); ref.setLong(i, v); break;
                    case 8: ours.setLongLE(i, v); ref.setLongLE(i, v); break;
                    case 9: ours.setZero(i, 8); ref.setZero(i, 8); break;
                    case 10: ours.setFloat(i, Float.intBitsToFloat((int)v)); ref.setFloat(i, Float.intBitsToFloat((int)v)); break;
                    case 11: ours.setDouble(i, Double.longBitsToDouble(v)); ref.setDouble(i, Double.longBitsToDouble(v)); break;
                    case 12: ours.setChar(i, (int)v); ref.setChar(i, (int)v); break;
                    default:
                        final int from = r.nextInt(size - 16);
                        ours.setBytes(i, ours, from, 8);
                        ref.setBytes(i, ref, from, 8);
                        break;
                }
                final int j = r.nextInt(size - 8);
                assertEquals(ref.getShort(j), ours.getShort(j));
                assertEquals(ref.getShortLE(j), ours.getShortLE(j));
                assertEquals(ref.getUnsignedMedium(j), ours.getUnsignedMedium(j));
                assertEquals(ref.getUnsignedMediumLE(j), ours.getUnsignedMediumLE(j));
                assertEquals(ref.getInt(j), ours.getInt(j));
                assertEquals(ref.getIntLE(j), ours.getIntLE(j));
                assertEquals(ref.getLong(j), ours.getLong(j));
                assertEquals(ref.getLongLE(j), ours.getLongLE(j));
            }
            assertTrue(ByteBufUtil.equals(ref, ours), "same bytes after 20000 random writes");
            assertEquals(ByteBufUtil.hashCode(ref), ByteBufUtil.hashCode(ours));
            assertEquals(ref.toString(io.netty.util.CharsetUtil.ISO_8859_1), ours.toString(io.netty.util.CharsetUtil.ISO_8859_1));
        }
        finally
        {
            ours.release();
            ref.release();
        }
    }

    // -----------------------------------------------------------------------------------------
    // fixed addresses vs compaction
    // -----------------------------------------------------------------------------------------

    @Test
    void addressStaysFixedWhileHandleBlocksAreCompacted()
    {
        final ArenaAllocator arenas = ALLOC.arenaAllocator();
        final ByteBuf b = ALLOC.directBuffer(4096);
        BufPatterns.write(b, 4096, 21);
        final long address = b.memoryAddress();
        final long[] handles = new long[4000];
        for (int i = 0; i < handles.length; i++)
        {
            handles[i] = arenas.allocateHandle(64 + (i % 7) * 512);
        }
        for (int i = 0; i < handles.length; i++)
        {
            if (i % 4 != 0)
            {
                arenas.free(handles[i]); // leave the movable chunks sparse: compaction has work
            }
        }
        for (int round = 0; round < 50; round++)
        {
            arenas.maintain(5_000_000);
        }
        assertEquals(address, b.memoryAddress(), "compaction moves handle blocks only");
        BufPatterns.check(b, 4096, 21, "after compaction");
        for (int i = 0; i < handles.length; i += 4)
        {
            arenas.free(handles[i]);
        }
        b.release();
    }

    // -----------------------------------------------------------------------------------------
    // heap buffers, defaults, metric
    // -----------------------------------------------------------------------------------------

    @Test
    void heapBuffersAreCountedAndIoBuffersAreDirect()
    {
        final long heapBefore = ALLOC.metric().usedHeapMemory();
        final ByteBuf h = ALLOC.heapBuffer(1000);
        assertTrue(h.hasArray());
        assertSame(ALLOC, h.alloc());
        assertEquals(heapBefore + 1000, ALLOC.metric().usedHeapMemory());
        h.writeBytes(new byte[3000]);
        assertEquals(heapBefore + h.capacity(), ALLOC.metric().usedHeapMemory());
        h.release();
        assertEquals(heapBefore, ALLOC.metric().usedHeapMemory());

        final ByteBuf io = ALLOC.ioBuffer(10);
        final ByteBuf buf = ALLOC.buffer(10);
        assertTrue(io.isDirect());
        assertTrue(buf.isDirect(), "preferDirect is the default");
        io.release();
        buf.release();
        assertTrue(ALLOC.isDirectBufferPooled());
    }

    @Test
    void metricReportsChunksAndLiveBlocks()
    {
        final ByteBuf b = ALLOC.directBuffer(10_000);
        try
        {
            final ArenaByteBufAllocatorMetric m = ALLOC.metric();
            assertThat(m.usedDirectMemory()).isGreaterThanOrEqualTo(10_000);
            assertEquals(ALLOC.arenaAllocator().committedBytes(), m.usedDirectMemory());
            assertThat(m.liveDirectBytes()).isGreaterThanOrEqualTo(10_000);
            assertThat(m.chunks()).isPositive();
            assertThat(m.arenas()).isPositive();
            assertEquals(1, m.activeDirectBuffers());
            assertThat(m.toString()).contains("activeDirectBuffers=1");
            assertSame(m, ALLOC.metric());
        }
        finally
        {
            b.release();
        }
    }
}
