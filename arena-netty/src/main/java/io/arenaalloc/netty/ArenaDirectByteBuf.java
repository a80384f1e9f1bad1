package io.arenaalloc.netty;

import io.netty.buffer.AbstractReferenceCountedByteBuf;
import io.netty.buffer.ByteBuf;
import io.netty.buffer.ByteBufAllocator;
import org.agrona.BufferUtil;
import org.agrona.UnsafeApi;

import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.ReadOnlyBufferException;
import java.nio.channels.ClosedChannelException;
import java.nio.channels.FileChannel;
import java.nio.channels.GatheringByteChannel;
import java.nio.channels.ScatteringByteChannel;

/**
 * A reference-counted direct {@link ByteBuf} over one fixed block of an {@link ArenaByteBufAllocator}'s
 * arenas: big-endian, {@code hasMemoryAddress() == true}, one NIO buffer ({@code nioBufferCount() == 1}).
 *
 * <h2>Vocabulary</h2>
 * <ul>
 *   <li><b>block</b>: the fixed block of at least {@code max(1, capacity)} bytes at {@link #memoryAddress()};
 *   "fixed" means the arenas never move it (compaction moves only handle blocks).</li>
 *   <li><b>holder</b>: the thread that allocated the current block. Under {@code PER_THREAD} the block lives in
 *   that thread's arena, so only that thread may resize it in place.</li>
 *   <li><b>view</b>: a {@link ByteBuffer} over part of the block, sliced from its chunk's buffer
 *   ({@link DirectChunkSource#slice}): {@link #nioBuffer} makes a new one per call; <b>tmp</b> is this buffer's
 *   own view of the whole block, made on the first {@link #internalNioBuffer} and reused until the next capacity
 *   change (single-threaded use, as Netty's contract says).</li>
 * </ul>
 *
 * <h2>Layout</h2>
 * <pre>
 *   address                                     address + capacity      address + usable size
 *   |&lt;------------- capacity (Netty's) ------------&gt;|&lt;--- rounding slack ---&gt;|
 *   |  0 .. readerIndex .. writerIndex .. capacity  |                        |
 *   tmp = chunk view sliced to [address, address + capacity), made once, repositioned per internalNioBuffer
 * </pre>
 *
 * <h2>Steps</h2>
 * <ol>
 *   <li><b>Allocate</b> (constructor): {@code ArenaAllocator.allocate(max(1, capacity))} on the calling
 *   thread (a zero-capacity buffer still holds a 16-byte block, so its address is real and unique).</li>
 *   <li><b>Access</b>: {@code _get*}/{@code _set*} read and write the block with {@code jdk.internal.misc.Unsafe}
 *   (through Agrona's {@code UnsafeApi}) in big- or little-endian order; bulk copies are one
 *   {@code copyMemory}. Netty's public accessors check bounds and the reference count first.</li>
 *   <li><b>Resize</b> ({@link #capacity(int)}, reached by {@code ensureWritable}): the holder (or any thread
 *   under {@code STRIPED}) calls {@code ArenaAllocator.reallocate}, which grows or shrinks in place when it
 *   can; any other thread allocates a block in its own arena, copies {@code min(old, new)} bytes and frees
 *   the old block (a remote free), and becomes the holder. {@code maxCapacity} is enforced by Netty's
 *   {@code checkNewCapacity}.</li>
 *   <li><b>Release</b> ({@link #deallocate()}, when the count reaches 0, on whatever thread releases):
 *   {@code ArenaAllocator.free(address)}: a plain free on the holder, a remote free (batched into the
 *   owner's inbox) anywhere else.</li>
 * </ol>
 *
 * <h2>Threading</h2>
 * As every Netty buffer: reads may race with reads, a writer needs exclusive access, and hand-offs between
 * threads go through a happens-before edge (a queue, an event loop task). Reference counting is atomic
 * ({@link AbstractReferenceCountedByteBuf}). Not for use after {@link ArenaByteBufAllocator#close()}.
 */
final class ArenaDirectByteBuf extends AbstractReferenceCountedByteBuf
{
    private static final long BYTE_ARRAY_BASE = UnsafeApi.arrayBaseOffset(byte[].class);
    /** Temporary heap array for stream copies, at most this long. */
    private static final int STREAM_COPY_CHUNK = 8192;

    private final ArenaByteBufAllocator alloc;
    private long address;
    private int capacity;
    private Thread holder;
    private ByteBuffer tmp;

    ArenaDirectByteBuf(final ArenaByteBufAllocator alloc, final int initialCapacity, final int maxCapacity)
    {
        super(maxCapacity);
        if (initialCapacity < 0 || initialCapacity > maxCapacity)
        {
            throw new IllegalArgumentException("initialCapacity=" + initialCapacity + " maxCapacity=" + maxCapacity +
                ", expected 0 <= initialCapacity <= maxCapacity");
        }
        this.alloc = alloc;
        this.address = alloc.allocateBlock(initialCapacity);
        this.capacity = initialCapacity;
        this.holder = Thread.currentThread();
    }

    // =========================================================================================
    // identity
    // =========================================================================================

    @Override
    public ByteBufAllocator alloc()
    {
        return alloc;
    }

    @Override
    @Deprecated
    public ByteOrder order()
    {
        return ByteOrder.BIG_ENDIAN;
    }

    @Override
    public ByteBuf unwrap()
    {
        return null;
    }

    @Override
    public boolean isDirect()
    {
        return true;
    }

    @Override
    public boolean isContiguous()
    {
        return true;
    }

    @Override
    public boolean hasArray()
    {
        return false;
    }

    @Override
    public byte[] array()
    {
        throw new UnsupportedOperationException("direct buffer: no backing array (hasArray() == false)");
    }

    @Override
    public int arrayOffset()
    {
        throw new UnsupportedOperationException("direct buffer: no backing array (hasArray() == false)");
    }

    @Override
    public boolean hasMemoryAddress()
    {
        return true;
    }

    /** The block's address: fixed from allocation until release or the next capacity change. */
    @Override
    public long memoryAddress()
    {
        ensureAccessible();
        return address;
    }

    // =========================================================================================
    // capacity
    // =========================================================================================

    @Override
    public int capacity()
    {
        return capacity;
    }

    @Override
    public ByteBuf capacity(final int newCapacity)
    {
        checkNewCapacity(newCapacity);
        final int oldCapacity = capacity;
        if (newCapacity == oldCapacity)
        {
            return this;
        }
        if (newCapacity < oldCapacity)
        {
            trimIndicesToCapacity(newCapacity);
        }
        final Thread current = Thread.currentThread();
        address = alloc.resizeBlock(address, holder == current, oldCapacity, newCapacity);
        holder = current;
        capacity = newCapacity;
        tmp = null;
        return this;
    }

    @Override
    protected void deallocate()
    {
        final long a = address;
        address = 0;
        tmp = null;
        holder = null;
        alloc.freeBlock(a);
    }

    // =========================================================================================
    // primitive access (big-endian unless the name ends in LE)
    // =========================================================================================

    @Override
    protected byte _getByte(final int index)
    {
        return UnsafeApi.getByte(address + index);
    }

    @Override
    protected short _getShort(final int index)
    {
        return UnsafeApi.getShortUnaligned(null, address + index, true);
    }

    @Override
    protected short _getShortLE(final int index)
    {
        return UnsafeApi.getShortUnaligned(null, address + index, false);
    }

    @Override
    protected int _getUnsignedMedium(final int index)
    {
        final long a = address + index;
        return (UnsafeApi.getByte(a) & 0xff) << 16 | (UnsafeApi.getByte(a + 1) & 0xff) << 8 |
            UnsafeApi.getByte(a + 2) & 0xff;
    }

    @Override
    protected int _getUnsignedMediumLE(final int index)
    {
        final long a = address + index;
        return UnsafeApi.getByte(a) & 0xff | (UnsafeApi.getByte(a + 1) & 0xff) << 8 |
            (UnsafeApi.getByte(a + 2) & 0xff) << 16;
    }

    @Override
    protected int _getInt(final int index)
    {
        return UnsafeApi.getIntUnaligned(null, address + index, true);
    }

    @Override
    protected int _getIntLE(final int index)
    {
        return UnsafeApi.getIntUnaligned(null, address + index, false);
    }

    @Override
    protected long _getLong(final int index)
    {
        return UnsafeApi.getLongUnaligned(null, address + index, true);
    }

    @Override
    protected long _getLongLE(final int index)
    {
        return UnsafeApi.getLongUnaligned(null, address + index, false);
    }

    @Override
    protected void _setByte(final int index, final int value)
    {
        UnsafeApi.putByte(address + index, (byte)value);
    }

    @Override
    protected void _setShort(final int index, final int value)
    {
        UnsafeApi.putShortUnaligned(null, address + index, (short)value, true);
    }

    @Override
    protected void _setShortLE(final int index, final int value)
    {
        UnsafeApi.putShortUnaligned(null, address + index, (short)value, false);
    }

    @Override
    protected void _setMedium(final int index, final int value)
    {
        final long a = address + index;
        UnsafeApi.putByte(a, (byte)(value >>> 16));
        UnsafeApi.putByte(a + 1, (byte)(value >>> 8));
        UnsafeApi.putByte(a + 2, (byte)value);
    }

    @Override
    protected void _setMediumLE(final int index, final int value)
    {
        final long a = address + index;
        UnsafeApi.putByte(a, (byte)value);
        UnsafeApi.putByte(a + 1, (byte)(value >>> 8));
        UnsafeApi.putByte(a + 2, (byte)(value >>> 16));
    }

    @Override
    protected void _setInt(final int index, final int value)
    {
        UnsafeApi.putIntUnaligned(null, address + index, value, true);
    }

    @Override
    protected void _setIntLE(final int index, final int value)
    {
        UnsafeApi.putIntUnaligned(null, address + index, value, false);
    }

    @Override
    protected void _setLong(final int index, final long value)
    {
        UnsafeApi.putLongUnaligned(null, address + index, value, true);
    }

    @Override
    protected void _setLongLE(final int index, final long value)
    {
        UnsafeApi.putLongUnaligned(null, address + index, value, false);
    }

    @Override
    public ByteBuf setZero(final int index, final int length)
    {
        checkIndex(index, length);
        UnsafeApi.setMemory(address + index, length, (byte)0);
        return this;
    }

    @Override
    public ByteBuf writeZero(final int length)
    {
        ensureWritable(length);
        final int w = writerIndex();
        setZero(w, length);
        writerIndex(w + length);
        return this;
    }

    // =========================================================================================
    // bulk transfers out
    // =========================================================================================

    @Override
    public ByteBuf getBytes(final int index, final ByteBuf dst, final int dstIndex, final int length)
    {
        checkDstIndex(index, length, dstIndex, dst.capacity());
        if (length == 0)
        {
            return this;
        }
        if (dst.hasMemoryAddress())
        {
            UnsafeApi.copyMemory(address + index, dst.memoryAddress() + dstIndex, length);
        }
        else if (dst.hasArray())
        {
            UnsafeApi.copyMemory(null, address + index, dst.array(), BYTE_ARRAY_BASE + dst.arrayOffset() + dstIndex,
                length);
        }
        else if (dst.nioBufferCount() > 0)
        {
            int i = index;
            for (final ByteBuffer bb : dst.nioBuffers(dstIndex, length))
            {
                final int n = bb.remaining();
                getBytes(i, bb);
                i += n;
            }
        }
        else
        {
            dst.setBytes(dstIndex, this, index, length);
        }
        return this;
    }

    @Override
    public ByteBuf getBytes(final int index, final byte[] dst, final int dstIndex, final int length)
    {
        checkDstIndex(index, length, dstIndex, dst.length);
        UnsafeApi.copyMemory(null, address + index, dst, BYTE_ARRAY_BASE + dstIndex, length);
        return this;
    }

    @Override
    public ByteBuf getBytes(final int index, final ByteBuffer dst)
    {
        final int length = dst.remaining();
        checkIndex(index, length);
        if (length == 0)
        {
            return this;
        }
        if (dst.isReadOnly())
        {
            throw new ReadOnlyBufferException();
        }
        final int position = dst.position();
        if (dst.hasArray())
        {
            UnsafeApi.copyMemory(null, address + index, dst.array(), BYTE_ARRAY_BASE + dst.arrayOffset() + position,
                length);
        }
        else if (dst.isDirect())
        {
            UnsafeApi.copyMemory(address + index, BufferUtil.address(dst) + position, length);
        }
        else
        {
            dst.put(alloc.chunkSource().slice(address + index, length));
            return this;
        }
        dst.position(position + length);
        return this;
    }

    @Override
    public ByteBuf getBytes(final int index, final OutputStream out, final int length) throws IOException
    {
        checkIndex(index, length);
        if (length == 0)
        {
            return this;
        }
        final byte[] chunk = new byte[Math.min(length, STREAM_COPY_CHUNK)];
        int done = 0;
        while (done < length)
        {
            final int n = Math.min(chunk.length, length - done);
            UnsafeApi.copyMemory(null, address + index + done, chunk, BYTE_ARRAY_BASE, n);
            out.write(chunk, 0, n);
            done += n;
        }
        return this;
    }

    @Override
    public int getBytes(final int index, final GatheringByteChannel out, final int length) throws IOException
    {
        checkIndex(index, length);
        return length == 0 ? 0 : out.write(alloc.chunkSource().slice(address + index, length));
    }

    @Override
    public int getBytes(final int index, final FileChannel out, final long position, final int length)
        throws IOException
    {
        checkIndex(index, length);
        return length == 0 ? 0 : out.write(alloc.chunkSource().slice(address + index, length), position);
    }

    @Override
    public int readBytes(final GatheringByteChannel out, final int length) throws IOException
    {
        checkReadableBytes(length);
        final int r = readerIndex();
        final int n = length == 0 ? 0 : out.write(internalNioBuffer(r, length));
        readerIndex(r + n);
        return n;
    }

    @Override
    public ByteBuf copy(final int index, final int length)
    {
        checkIndex(index, length);
        final ByteBuf copy = alloc.directBuffer(length, maxCapacity());
        return copy.writeBytes(this, index, length);
    }

    // =========================================================================================
    // bulk transfers in
    // =========================================================================================

    @Override
    public ByteBuf setBytes(final int index, final ByteBuf src, final int srcIndex, final int length)
    {
        checkSrcIndex(index, length, srcIndex, src.capacity());
        if (length == 0)
        {
            return this;
        }
        if (src.hasMemoryAddress())
        {
            UnsafeApi.copyMemory(src.memoryAddress() + srcIndex, address + index, length);
        }
        else if (src.hasArray())
        {
            UnsafeApi.copyMemory(src.array(), BYTE_ARRAY_BASE + src.arrayOffset() + srcIndex, null, address + index,
                length);
        }
        else if (src.nioBufferCount() > 0)
        {
            int i = index;
            for (final ByteBuffer bb : src.nioBuffers(srcIndex, length))
            {
                final int n = bb.remaining();
                setBytes(i, bb);
                i += n;
            }
        }
        else
        {
            src.getBytes(srcIndex, this, index, length);
        }
        return this;
    }

    @Override
    public ByteBuf setBytes(final int index, final byte[] src, final int srcIndex, final int length)
    {
        checkSrcIndex(index, length, srcIndex, src.length);
        UnsafeApi.copyMemory(src, BYTE_ARRAY_BASE + srcIndex, null, address + index, length);
        return this;
    }

    @Override
    public ByteBuf setBytes(final int index, final ByteBuffer src)
    {
        final int length = src.remaining();
        checkIndex(index, length);
        if (length == 0)
        {
            return this;
        }
        final int position = src.position();
        if (src.hasArray())
        {
            UnsafeApi.copyMemory(src.array(), BYTE_ARRAY_BASE + src.arrayOffset() + position, null, address + index,
                length);
        }
        else if (src.isDirect())
        {
            UnsafeApi.copyMemory(BufferUtil.address(src) + position, address + index, length);
        }
        else
        {
            alloc.chunkSource().slice(address + index, length).put(src); // a read-only heap buffer: let NIO copy it
            return this;
        }
        src.position(position + length);
        return this;
    }

    @Override
    public int setBytes(final int index, final InputStream in, final int length) throws IOException
    {
        checkIndex(index, length);
        // one read, as Netty's buffers do: a zero-length read still reports end of stream (-1)
        final byte[] chunk = new byte[Math.min(length, STREAM_COPY_CHUNK)];
        final int n = in.read(chunk, 0, chunk.length);
        if (n > 0)
        {
            UnsafeApi.copyMemory(chunk, BYTE_ARRAY_BASE, null, address + index, n);
        }
        return n;
    }

    @Override
    public int setBytes(final int index, final ScatteringByteChannel in, final int length) throws IOException
    {
        final ByteBuffer b = internalNioBuffer(index, length);
        try
        {
            return in.read(b);
        }
        catch (final ClosedChannelException ex)
        {
            return -1;
        }
    }

    @Override
    public int setBytes(final int index, final FileChannel in, final long position, final int length) throws IOException
    {
        final ByteBuffer b = internalNioBuffer(index, length);
        try
        {
            return in.read(b, position);
        }
        catch (final ClosedChannelException ex)
        {
            return -1;
        }
    }

    // =========================================================================================
    // NIO views
    // =========================================================================================

    @Override
    public int nioBufferCount()
    {
        return 1;
    }

    /** A new {@link ByteBuffer} sharing {@code [index, index + length)}: position 0, its own indexes. */
    @Override
    public ByteBuffer nioBuffer(final int index, final int length)
    {
        checkIndex(index, length);
        return alloc.chunkSource().slice(address + index, length);
    }

    @Override
    public ByteBuffer[] nioBuffers(final int index, final int length)
    {
        return new ByteBuffer[] {nioBuffer(index, length)};
    }

    /** This buffer's reused {@link ByteBuffer}, positioned at {@code index} with {@code length} remaining. */
    @Override
    public ByteBuffer internalNioBuffer(final int index, final int length)
    {
        checkIndex(index, length);
        ByteBuffer t = tmp;
        if (t == null)
        {
            t = alloc.chunkSource().slice(address, capacity);
            tmp = t;
        }
        t.clear();
        t.position(index).limit(index + length);
        return t;
    }

    @Override
    public String toString()
    {
        if (refCnt() == 0)
        {
            return "ArenaDirectByteBuf(freed)";
        }
        return "ArenaDirectByteBuf(ridx: " + readerIndex() + ", widx: " + writerIndex() + ", cap: " + capacity +
            '/' + maxCapacity() + ", address: 0x" + Long.toHexString(address) + ')';
    }
}
