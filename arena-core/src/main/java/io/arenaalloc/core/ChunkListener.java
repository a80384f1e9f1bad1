package io.arenaalloc.core;

/**
 * Told when an arena starts or stops holding a region of memory (a regular, huge or region chunk), on
 * the owner thread, on the arena's slow path. A thread-safe allocator uses it to keep a global
 * address -&gt; arena map for frees from other threads.
 *
 * <p>{@code onChunkAdded} runs before any block of the chunk is handed out; {@code onChunkRemoved} runs
 * after its last block is gone and before the memory goes back to its source. Implementations must not
 * call back into the arena and should not throw (an exception propagates out of the allocation or free
 * that triggered it).
 */
public interface ChunkListener
{
    ChunkListener NONE = new ChunkListener()
    {
        public void onChunkAdded(final OffHeapArena arena, final long base, final long size)
        {
        }

        public void onChunkRemoved(final OffHeapArena arena, final long base, final long size)
        {
        }
    };

    void onChunkAdded(OffHeapArena arena, long base, long size);

    void onChunkRemoved(OffHeapArena arena, long base, long size);
}
