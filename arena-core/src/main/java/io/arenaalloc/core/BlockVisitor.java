package io.arenaalloc.core;

/**
 * Receives each block and free run from {@link OffHeapArena#walk(BlockVisitor)}, in address order per chunk.
 *
 * <p>A lambda implements the short form {@link #visit(long, long, boolean, boolean)}. A visitor that needs
 * more (heap maps, occupancy by size class) overrides the two default methods: {@link #beginChunk} is
 * called once before the blocks of each chunk, and {@link #visitBlock} is what the walk calls for every
 * block and free run; by default it forwards to the short form.
 */
@FunctionalInterface
public interface BlockVisitor
{
    /** The {@code sizeClass} of anything that is not a slab block: medium blocks, huge blocks, free runs. */
    int NO_SIZE_CLASS = -1;

    /**
     * @param address  start of the block or free run.
     * @param size     its usable size (blocks) or length (free runs), in bytes.
     * @param inUse    true for a live block, false for free space.
     * @param movable  true for a block behind a handle (may move while unpinned).
     */
    void visit(long address, long size, boolean inUse, boolean movable);

    /**
     * Called before the blocks of each chunk. Default: nothing.
     *
     * @param base     first byte of the chunk.
     * @param size     its length in bytes (granules = size / {@link SizeClasses#GRANULE} for regular chunks).
     * @param huge     true for a dedicated chunk holding exactly one block.
     * @param movable  true for a chunk of the movable heap, or a huge chunk whose block is behind a handle.
     */
    default void beginChunk(long base, long size, boolean huge, boolean movable)
    {
    }

    /**
     * The form the walk calls for every block and free run. Default: {@link #visit(long, long, boolean, boolean)}.
     *
     * @param pinned    true for a live movable block whose handle is pinned at the moment it is visited (other
     *                  threads may pin and unpin during the walk, so this is a racy, reporting-only figure).
     * @param sizeClass the {@link SizeClasses} index of a slab block (live or free), else {@link #NO_SIZE_CLASS}.
     */
    default void visitBlock(long address, long size, boolean inUse, boolean movable, boolean pinned, int sizeClass)
    {
        visit(address, size, inUse, movable);
    }
}
