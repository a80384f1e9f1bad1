package io.arenaalloc.core;

import org.agrona.UnsafeApi;
import org.agrona.collections.Long2LongHashMap;

/**
 * Chunks from the C heap ({@code Unsafe.allocateMemory}, i.e. malloc), aligned to 4096 bytes.
 *
 * <pre>
 *   raw = malloc(bytes + 4096)
 *   |pad|<------------------ bytes ------------------>|rest|
 *        ^ base = align_up(raw, 4096)   (base -> raw kept in a primitive map for free)
 * </pre>
 * Large requests are served by glibc with {@code mmap}, so the alignment slack costs address space
 * only; pages are committed when first touched. Thread safe (synchronized; slow path only).
 */
public final class NativeMemorySource implements MemorySource
{
    private final Long2LongHashMap rawByBase = new Long2LongHashMap(0);
    private long reservedBytes;

    static
    {
        UnsafeAccess.ensureAvailable();
    }

    public synchronized long reserve(final long bytes)
    {
        if (bytes <= 0 || (bytes & (ALIGNMENT - 1)) != 0)
        {
            throw new IllegalArgumentException("bytes=" + bytes + ", expected a positive multiple of " + ALIGNMENT);
        }
        final long raw = UnsafeApi.allocateMemory(bytes + ALIGNMENT);
        final long base = (raw + ALIGNMENT - 1) & -ALIGNMENT;
        rawByBase.put(base, raw);
        reservedBytes += bytes;
        return base;
    }

    public synchronized void release(final long address, final long bytes)
    {
        final long raw = rawByBase.remove(address);
        if (raw == 0)
        {
            throw new IllegalArgumentException("address=0x" + Long.toHexString(address) + " was not reserved by " + this);
        }
        UnsafeApi.freeMemory(raw);
        reservedBytes -= bytes;
    }

    public synchronized long reservedBytes()
    {
        return reservedBytes;
    }

    public String name()
    {
        return "native";
    }

    public String toString()
    {
        return "NativeMemorySource{reservedBytes=" + reservedBytes() + '}';
    }
}
