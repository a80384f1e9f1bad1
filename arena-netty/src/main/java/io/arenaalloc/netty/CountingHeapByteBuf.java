package io.arenaalloc.netty;

import io.netty.buffer.UnpooledHeapByteBuf;

/**
 * A heap buffer of an {@link ArenaByteBufAllocator}: Netty's own {@link UnpooledHeapByteBuf} (the arenas hold
 * off-heap memory only), with its array lengths added to and taken from the allocator's heap counter so
 * that {@code metric().usedHeapMemory()} is exact.
 *
 * <h2>Steps</h2>
 * <ol>
 *   <li>{@link #allocateArray}: Netty's array, then {@code heapBytes += length}.</li>
 *   <li>{@link #freeArray} (release to 0, or a capacity change): {@code heapBytes -= length}, then Netty's.</li>
 * </ol>
 */
final class CountingHeapByteBuf extends UnpooledHeapByteBuf
{
    private final ArenaByteBufAllocator owner;

    CountingHeapByteBuf(final ArenaByteBufAllocator alloc, final int initialCapacity, final int maxCapacity)
    {
        super(alloc, initialCapacity, maxCapacity);
        this.owner = alloc;
    }

    @Override
    protected byte[] allocateArray(final int initialCapacity)
    {
        final byte[] array = super.allocateArray(initialCapacity);
        // called from the super constructor: the field is not set yet, so go through alloc()
        ((ArenaByteBufAllocator)alloc()).heapBytes.add(array.length);
        return array;
    }

    @Override
    protected void freeArray(final byte[] array)
    {
        owner.heapBytes.add(-array.length);
        super.freeArray(array);
    }
}
