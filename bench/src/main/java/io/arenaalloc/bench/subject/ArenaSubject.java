package io.arenaalloc.bench.subject;

import io.arenaalloc.core.OffHeapArena;

/**
 * {@code arena}: this library's single-owner {@link OffHeapArena} with its default configuration,
 * fixed blocks addressed by raw address. Use from one thread only.
 */
final class ArenaSubject extends AddressSlots
{
    private final OffHeapArena arena;

    ArenaSubject(final int slots)
    {
        super(Subjects.ARENA, slots);
        arena = OffHeapArena.create();
    }

    @Override
    protected long malloc(final long size)
    {
        return arena.allocate(size);
    }

    @Override
    protected void release(final long address)
    {
        arena.free(address);
    }

    @Override
    protected void closeAllocator()
    {
        arena.close();
    }
}
