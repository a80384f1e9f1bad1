package io.arenaalloc.netty;

import io.arenaalloc.core.MemorySource;
import org.agrona.BufferUtil;

import java.nio.ByteBuffer;
import java.util.Arrays;

/**
 * The memory source of an {@link ArenaByteBufAllocator}: chunks that are direct {@link ByteBuffer}s, and a
 * lock-free map from any address inside a chunk back to that chunk's buffer, so that a block can be handed
 * to NIO as a {@link ByteBuffer} view ({@link #slice(long, int)}) with public JDK API only.
 *
 * <h2>Why direct ByteBuffers</h2>
 * Netty's NIO transport reads into and writes from {@code ByteBuf.internalNioBuffer}/{@code nioBuffers}, so
 * every direct buffer must produce a {@link ByteBuffer} over its own memory. The JDK makes one over an
 * arbitrary address only through private constructors (which need {@code --add-opens}, and which Netty
 * itself cannot reach on Java 25 without flags); a slice of a buffer that already covers the address needs
 * nothing. So chunks come from {@link ByteBuffer#allocateDirect}: they count against
 * {@code -XX:MaxDirectMemorySize}, show in the JVM's direct-memory pool, and are freed explicitly with the
 * buffer's cleaner ({@link BufferUtil#free(ByteBuffer)}), never left to the garbage collector.
 *
 * <h2>Vocabulary</h2>
 * <ul>
 *   <li><b>raw</b> buffer: what {@code allocateDirect} returned, {@code bytes + 4096} long (for alignment).</li>
 *   <li><b>chunk view</b>: a slice of the raw buffer from the aligned base, exactly {@code bytes} long,
 *   position 0; never mutated after it is published, so any thread may slice it.</li>
 *   <li><b>table</b>: an immutable snapshot of the live chunks sorted by base (parallel arrays), replaced
 *   copy-on-write under this object's monitor and published through a volatile field.</li>
 * </ul>
 *
 * <h2>Layout</h2>
 * <pre>
 *   table (volatile, immutable)    bases: [b0 &lt; b1 &lt; b2 ...]   ends: [e0, e1, e2 ...]
 *                                  views: [v0, v1, v2 ...]      raws: [r0, r1, r2 ...]
 *   raw r1:  [pad | b1 ................................ e1 | rest of the 4 KiB slack]
 *                   `-- v1 = r1.slice(b1 - address(r1), e1 - b1)
 * </pre>
 *
 * <h2>Steps</h2>
 * <ol>
 *   <li><b>reserve</b>(bytes) (arena owner's slow path, synchronized): allocate the raw buffer (an
 *   {@link OutOfMemoryError} from the JDK when {@code MaxDirectMemorySize} is reached passes through, as
 *   {@link MemorySource} asks), align its address up to 4096, slice the view, insert into a copy of the
 *   table, publish the copy. The chunk is in the table before its base is returned, hence before any block
 *   in it exists.</li>
 *   <li><b>release</b>(address, bytes) (synchronized): remove the entry from a copy of the table, publish it,
 *   then free the raw buffer. Every block in the chunk was freed before the arena released it, so no reader
 *   still needs the view.</li>
 *   <li><b>slice</b>(address, length) (any thread, lock-free, no lock and one allocation): read the table,
 *   binary-search the last base &lt;= address, check the end, slice the view.</li>
 * </ol>
 *
 * <h2>Contract, in numbers</h2>
 * Chunks up to {@link #MAX_CHUNK_BYTES} (a {@link ByteBuffer} holds at most 2^31 - 1 bytes); reserve and
 * release cost O(chunks) (copy-on-write), slice costs O(log chunks) plus one {@code ByteBuffer} object.
 * Thread safe.
 */
final class DirectChunkSource implements MemorySource
{
    /** Largest chunk: a ByteBuffer's limit less the alignment slack, rounded down to 4096. */
    static final long MAX_CHUNK_BYTES = ((long)Integer.MAX_VALUE - ALIGNMENT) & -ALIGNMENT;

    private static final Table EMPTY = new Table(new long[0], new long[0], new ByteBuffer[0], new ByteBuffer[0]);

    private volatile Table table = EMPTY;
    private volatile long reservedBytes;
    private long reservations;
    private long releases;

    @Override
    public synchronized long reserve(final long bytes)
    {
        if (bytes <= 0 || (bytes & (ALIGNMENT - 1)) != 0 || bytes > MAX_CHUNK_BYTES)
        {
            throw new IllegalArgumentException("bytes=" + bytes + ", expected a positive multiple of " + ALIGNMENT +
                " up to " + MAX_CHUNK_BYTES + " (a direct ByteBuffer's limit)");
        }
        final ByteBuffer raw = ByteBuffer.allocateDirect((int)(bytes + ALIGNMENT));
        final long rawAddress = BufferUtil.address(raw);
        final long base = (rawAddress + ALIGNMENT - 1) & -ALIGNMENT;
        final ByteBuffer view = raw.slice((int)(base - rawAddress), (int)bytes);
        table = table.with(base, base + bytes, view, raw);
        reservedBytes += bytes;
        reservations++;
        return base;
    }

    @Override
    public synchronized void release(final long address, final long bytes)
    {
        final Table t = table;
        final int i = t.indexOfBase(address);
        if (i < 0 || t.ends[i] - t.bases[i] != bytes)
        {
            throw new IllegalArgumentException("release: address=0x" + Long.toHexString(address) + " bytes=" + bytes +
                (i < 0 ? " was not reserved by this source" : " but the chunk there has " + (t.ends[i] - t.bases[i]) +
                " bytes") + ", expected an address and size that reserve returned");
        }
        final ByteBuffer raw = t.raws[i];
        table = t.without(i);
        reservedBytes -= bytes;
        releases++;
        BufferUtil.free(raw);
    }

    @Override
    public long reservedBytes()
    {
        return reservedBytes;
    }

    @Override
    public String name()
    {
        return "direct-chunks";
    }

    /** @return the chunks now held. Any thread. */
    int chunkCount()
    {
        return table.bases.length;
    }

    /**
     * A {@link ByteBuffer} over {@code [address, address + length)}, position 0, big-endian, independent of
     * every other view. Any thread.
     * @throws IllegalArgumentException when the range is not inside one chunk of this source.
     */
    ByteBuffer slice(final long address, final int length)
    {
        final Table t = table;
        final int i = t.indexOfContaining(address);
        if (i < 0 || length < 0 || address + length > t.ends[i])
        {
            throw new IllegalArgumentException("slice: address=0x" + Long.toHexString(address) + " length=" + length +
                " is not inside one chunk of " + this);
        }
        return t.views[i].slice((int)(address - t.bases[i]), length);
    }

    @Override
    public synchronized String toString()
    {
        return "DirectChunkSource{chunks=" + table.bases.length + ", reservedBytes=" + reservedBytes +
            ", reservations=" + reservations + ", releases=" + releases + '}';
    }

    /** An immutable snapshot of the chunks, sorted by base. */
    private static final class Table
    {
        final long[] bases;
        final long[] ends;
        final ByteBuffer[] views;
        final ByteBuffer[] raws;

        Table(final long[] bases, final long[] ends, final ByteBuffer[] views, final ByteBuffer[] raws)
        {
            this.bases = bases;
            this.ends = ends;
            this.views = views;
            this.raws = raws;
        }

        /** @return the index of the last base &lt;= address whose chunk contains it, or -1. */
        int indexOfContaining(final long address)
        {
            int lo = 0;
            int hi = bases.length - 1;
            while (lo <= hi)
            {
                final int mid = (lo + hi) >>> 1;
                if (bases[mid] <= address)
                {
                    lo = mid + 1;
                }
                else
                {
                    hi = mid - 1;
                }
            }
            return hi >= 0 && address < ends[hi] ? hi : -1;
        }

        int indexOfBase(final long base)
        {
            final int i = Arrays.binarySearch(bases, base);
            return i >= 0 ? i : -1;
        }

        Table with(final long base, final long end, final ByteBuffer view, final ByteBuffer raw)
        {
            final int n = bases.length;
            int at = Arrays.binarySearch(bases, base);
            if (at >= 0)
            {
                throw new IllegalStateException("chunk base 0x" + Long.toHexString(base) + " is already in the table");
            }
            at = -at - 1;
            final long[] b = new long[n + 1];
            final long[] e = new long[n + 1];
            final ByteBuffer[] v = new ByteBuffer[n + 1];
            final ByteBuffer[] r = new ByteBuffer[n + 1];
            System.arraycopy(bases, 0, b, 0, at);
            System.arraycopy(ends, 0, e, 0, at);
            System.arraycopy(views, 0, v, 0, at);
            System.arraycopy(raws, 0, r, 0, at);
            b[at] = base;
            e[at] = end;
            v[at] = view;
            r[at] = raw;
            System.arraycopy(bases, at, b, at + 1, n - at);
            System.arraycopy(ends, at, e, at + 1, n - at);
            System.arraycopy(views, at, v, at + 1, n - at);
            System.arraycopy(raws, at, r, at + 1, n - at);
            return new Table(b, e, v, r);
        }

        Table without(final int at)
        {
            final int n = bases.length;
            final long[] b = new long[n - 1];
            final long[] e = new long[n - 1];
            final ByteBuffer[] v = new ByteBuffer[n - 1];
            final ByteBuffer[] r = new ByteBuffer[n - 1];
            System.arraycopy(bases, 0, b, 0, at);
            System.arraycopy(ends, 0, e, 0, at);
            System.arraycopy(views, 0, v, 0, at);
            System.arraycopy(raws, 0, r, 0, at);
            System.arraycopy(bases, at + 1, b, at, n - at - 1);
            System.arraycopy(ends, at + 1, e, at, n - at - 1);
            System.arraycopy(views, at + 1, v, at, n - at - 1);
            System.arraycopy(raws, at + 1, r, at, n - at - 1);
            return new Table(b, e, v, r);
        }
    }
}
