package io.arenaalloc.core;

/**
 * Placeholder for the single-owner arena; the implementation lands in the next commits.
 * Public surface (stable):
 * <pre>
 *   OffHeapArena arena = OffHeapArena.create(ArenaConfig.builder().chunkSize(4 &lt;&lt; 20).build());
 *   long address = arena.allocate(size);   arena.free(address);   arena.close();
 * </pre>
 */
public final class OffHeapArena implements AutoCloseable
{
    public static OffHeapArena create()
    {
        throw new UnsupportedOperationException("not yet implemented");
    }

    public long allocate(final long size)
    {
        throw new UnsupportedOperationException("not yet implemented");
    }

    public void free(final long addressOrHandle)
    {
        throw new UnsupportedOperationException("not yet implemented");
    }

    public void close()
    {
    }
}
