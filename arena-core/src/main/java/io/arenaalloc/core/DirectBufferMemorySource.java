package io.arenaalloc.core;

import org.agrona.BufferUtil;
import org.agrona.collections.Long2ObjectHashMap;

import java.nio.ByteBuffer;

/**
 * Chunks from aligned direct {@link ByteBuffer}s ({@code ByteBuffer.allocateDirect}), so they count
 * against {@code -XX:MaxDirectMemorySize} and show up in the JVM's direct-memory pool MXBean.
 * Released explicitly with the buffer's cleaner ({@link BufferUtil#free(ByteBuffer)}), not by GC.
 * Thread safe (synchronized; slow path only).
 */
public final class DirectBufferMemorySource implements MemorySource
{
    private final Long2ObjectHashMap<ByteBuffer> buffers = new Long2ObjectHashMap<>();
    private long reservedBytes;

    public synchronized long reserve(final long bytes)
    {
        if (bytes <= 0 || (bytes & (ALIGNMENT - 1)) != 0 || bytes > Integer.MAX_VALUE - ALIGNMENT)
        {
            throw new IllegalArgumentException("bytes=" + bytes + ", expected a positive multiple of " + ALIGNMENT +
                " below 2 GiB (a ByteBuffer's limit)");
        }
        final ByteBuffer buffer = ByteBuffer.allocateDirect((int)(bytes + ALIGNMENT));
        final long base = (BufferUtil.address(buffer) + ALIGNMENT - 1) & -ALIGNMENT;
        buffers.put(base, buffer);
        reservedBytes += bytes;
        return base;
    }

    public synchronized void release(final long address, final long bytes)
    {
        final ByteBuffer buffer = buffers.remove(address);
        if (buffer == null)
        {
            throw new IllegalArgumentException("address=0x" + Long.toHexString(address) + " was not reserved by " + this);
        }
        BufferUtil.free(buffer);
        reservedBytes -= bytes;
    }

    public synchronized long reservedBytes()
    {
        return reservedBytes;
    }

    public String name()
    {
        return "direct";
    }

    public String toString()
    {
        return "DirectBufferMemorySource{reservedBytes=" + reservedBytes() + '}';
    }
}
