package io.arenaalloc.core;

/** Receives each block and free run from {@link OffHeapArena#walk(BlockVisitor)}, in address order per chunk. */
@FunctionalInterface
public interface BlockVisitor
{
    /**
     * @param address  start of the block or free run.
     * @param size     its usable size (blocks) or length (free runs), in bytes.
     * @param inUse    true for a live block, false for free space.
     * @param movable  true for a block behind a handle (may move while unpinned).
     */
    void visit(long address, long size, boolean inUse, boolean movable);
}
