package io.arenaalloc.bench.subject;

import org.agrona.UnsafeApi;

/**
 * {@code malloc}: {@code Unsafe.allocateMemory/freeMemory} (through Agrona's {@link UnsafeApi}), i.e.
 * the platform C allocator (glibc malloc here) plus the JVM's native-memory bookkeeping.
 */
final class MallocSubject extends AddressSlots
{
    MallocSubject(final int slots)
    {
        super(Subjects.MALLOC, slots);
    }

    @Override
    protected long malloc(final long size)
    {
        return UnsafeApi.allocateMemory(size);
    }

    @Override
    protected void release(final long address)
    {
        UnsafeApi.freeMemory(address);
    }
}
