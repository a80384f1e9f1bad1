package io.arenaalloc.netty;

import io.netty.buffer.ByteBufAllocatorMetric;

/**
 * Figures of an {@link ArenaByteBufAllocator}, readable from any thread (each slightly stale, as Netty's).
 *
 * <h2>Vocabulary</h2>
 * <pre>
 *   figure                   meaning                                                         Netty's pooled analogue
 *   usedDirectMemory         bytes the arenas hold from their chunk source (committed)      chunk memory held
 *   usedHeapMemory           bytes of the arrays of live heap buffers                       heap chunk memory
 *   liveDirectBytes          usable bytes of live blocks (what buffers use, with rounding)  -
 *   activeDirectBuffers      direct buffers allocated and not yet released                  -
 *   directAllocations        direct buffers allocated, ever
 *   directReleases           direct buffers released (memory returned), ever
 *   resizes / resizesByCopy  capacity changes / those done by allocate + copy + free (non-holder thread)
 *   releasesAfterClose       buffers released after close() (their memory had already gone back)
 *   chunks, arenas           chunks held by the source; open arenas (one per allocating thread)
 *   warmBlocks               event-loop threads holding a warm block (each one 16-byte live block)
 * </pre>
 */
public final class ArenaByteBufAllocatorMetric implements ByteBufAllocatorMetric
{
    private final ArenaByteBufAllocator allocator;

    ArenaByteBufAllocatorMetric(final ArenaByteBufAllocator allocator)
    {
        this.allocator = allocator;
    }

    @Override
    public long usedHeapMemory()
    {
        return allocator.heapBytes.sum();
    }

    @Override
    public long usedDirectMemory()
    {
        return allocator.chunkSource().reservedBytes();
    }

    public long liveDirectBytes()
    {
        return allocator.isClosed() ? 0 : allocator.arenaAllocator().liveBytes();
    }

    public long activeDirectBuffers()
    {
        return allocator.directAllocations.sum() - allocator.directReleases.sum() - allocator.releasesAfterClose.sum();
    }

    public long directAllocations()
    {
        return allocator.directAllocations.sum();
    }

    public long directReleases()
    {
        return allocator.directReleases.sum();
    }

    public long resizes()
    {
        return allocator.resizes.sum();
    }

    public long resizesByCopy()
    {
        return allocator.resizesByCopy.sum();
    }

    public long releasesAfterClose()
    {
        return allocator.releasesAfterClose.sum();
    }

    public long warmBlocks()
    {
        return allocator.warmBlocks.get();
    }

    public int chunks()
    {
        return allocator.chunkSource().chunkCount();
    }

    public int arenas()
    {
        return allocator.isClosed() ? 0 : allocator.arenaAllocator().arenaCount();
    }

    @Override
    public String toString()
    {
        return "ArenaByteBufAllocatorMetric{usedDirectMemory=" + usedDirectMemory() + ", usedHeapMemory=" +
            usedHeapMemory() + ", liveDirectBytes=" + liveDirectBytes() + ", activeDirectBuffers=" +
            activeDirectBuffers() + ", directAllocations=" + directAllocations() + ", resizes=" + resizes() +
            ", resizesByCopy=" + resizesByCopy() + ", chunks=" + chunks() + ", arenas=" + arenas() + ", warmBlocks=" +
            warmBlocks() + '}';
    }
}
