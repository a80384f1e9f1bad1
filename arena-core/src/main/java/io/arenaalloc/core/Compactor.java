package io.arenaalloc.core;

import org.agrona.UnsafeApi;

/**
 * Incremental compaction of an arena's movable heap: moves unpinned handle blocks out of the sparsest
 * chunk into holes of the others, in small bounded steps, and gives the emptied chunk back.
 *
 * <h2>Vocabulary</h2>
 * <ul>
 *   <li><b>victim</b>: the chunk being evacuated. While it is one, its free runs are out of the
 *   {@link FreeRunIndex} and its slabs out of the current/partial lists, so no allocation (the
 *   owner's or the compactor's) lands in it.</li>
 *   <li><b>cursor</b>: the granule (and, inside a slab, the block) where the next step resumes.</li>
 *   <li><b>step</b>: one call of {@link #step}; it ends when its time or byte budget is spent.</li>
 * </ul>
 *
 * <h2>Is a step worth it? (O(1), nanoseconds when idle)</h2>
 * Yes while a victim is in progress. Not while the heap is unchanged since the last step that found
 * nothing to do (unless this step's byte budget is large enough for the blocks that step had to skip).
 * Otherwise only if the movable heap's fragmentation,
 * {@code 1 - live / (chunks - spares) x chunkSize}, exceeds {@code fragmentationThreshold}, there are at
 * least two non-spare chunks.
 *
 * <h2>A step</h2>
 * <ol>
 *   <li>No victim: choose the regular movable chunk with the fewest live bytes whose live bytes fit in the
 *   free space of the other chunks (one pass over the chunks). Give back its empty slabs (which may empty
 *   it: then it is released and the step ends). Unlink its free runs, detach its slabs.</li>
 *   <li>From the cursor, find the next used granule (bit scan). A medium block: its handle index is in
 *   {@code chunk.next[g]}. A slab: walk its allocated blocks; each one's handle index is in
 *   {@code slab.handles}.</li>
 *   <li>For each block: claim it ({@link HandleTable#tryBeginMove}; a pinned block is skipped, never waited
 *   for, and marks the victim blocked); take a destination of the same size class / granule count with
 *   {@link Heap#noGrow} set (never a new chunk); copy; record the owner at the destination; publish the new
 *   address ({@link HandleTable#endMove}); free the old block (coalescing inside the victim).
 *   No destination: undo the claim and abandon the victim (restored, counted as release-blocked).</li>
 *   <li>A block larger than the step's whole byte budget is skipped (the victim then cannot empty in
 *   steps of that budget; a step with a larger byte budget, e.g. {@link OffHeapArena#compactFully}, moves
 *   it). Otherwise stop when the next block would overrun the byte budget or the time budget has passed,
 *   after at least one block. So a default step (2 us, 16 KiB) copies at most 16 KiB, plus one chunk
 *   release (an OS call) when its victim empties.</li>
 *   <li>Cursor at the end: if the victim is empty it is released (or kept as a spare); if pinned blocks
 *   remain it is restored and counted in {@code release-blocked}.</li>
 * </ol>
 *
 * <h2>Between steps</h2>
 * The owner may allocate and free freely: frees inside the victim coalesce into its (unlinked) free
 * runs; allocations never land in it. {@link OffHeapArena#resolve} addresses are invalidated by any step.
 * The compactor runs on the owner thread only; pins from other threads are the only concurrency and
 * are handled by the state-word protocol of {@link HandleTable}.
 */
final class Compactor
{
    private final OffHeapArena arena;
    private final Heap heap;
    private final double threshold;
    private Chunk victim;
    private int cursor;
    private int slabCursor;
    private boolean victimBlocked;
    /** Largest block the current victim's steps skipped because it exceeded their byte budget. */
    private long victimSkippedBytes;
    private long idleModifications = -1;
    /** After a fruitless attempt: the byte budget a step needs to do better without a heap change. */
    private long idleNeedBytes = Long.MAX_VALUE;

    Compactor(final OffHeapArena arena)
    {
        this.arena = arena;
        this.heap = arena.movableHeap();
        this.threshold = arena.config().fragmentationThreshold();
    }

    void reset()
    {
        victim = null;
        cursor = 0;
        slabCursor = 0;
        victimBlocked = false;
        victimSkippedBytes = 0;
        idleModifications = -1;
        idleNeedBytes = Long.MAX_VALUE;
    }

    /** @param maxBytes the byte budget the next step would have. */
    boolean worthIt(final long maxBytes)
    {
        if (victim != null)
        {
            return true;
        }
        if (heap.modifications == idleModifications && maxBytes < idleNeedBytes)
        {
            return false;
        }
        final int active = heap.chunkCount - heap.emptyChunks;
        if (active < 2)
        {
            return false;
        }
        final double committed = (double)active * arena.chunkSize();
        return 1.0 - heap.liveBytes / committed > threshold;
    }

    /** @return bytes moved. */
    long step(final long maxNanos, final long maxBytes)
    {
        if (!worthIt(maxBytes))
        {
            return 0;
        }
        final long start = System.nanoTime();
        final ArenaCounters counters = arena.counters();
        counters.addOpaque(ArenaCounters.COMPACT_STEPS, 1);
        if (victim == null && !chooseVictim())
        {
            idleModifications = heap.modifications;
            idleNeedBytes = Long.MAX_VALUE;
            counters.addOpaque(ArenaCounters.COMPACT_NANOS, System.nanoTime() - start);
            return 0;
        }
        if (victim == null)
        {
            return finish(start, 0); // the chosen chunk emptied when its empty slabs were given back
        }
        long moved = 0;
        int blocks = 0;
        heap.noGrow = true;
        try
        {
            final Chunk v = victim;
            while (cursor < v.granules)
            {
                final int g = nextUsed(v, cursor);
                if (g < 0)
                {
                    cursor = v.granules;
                    break;
                }
                cursor = g;
                final int tag = v.tag[g];
                if (Chunk.tagKind(tag) == Chunk.TAG_SLAB)
                {
                    final Slab slab = arena.slab(Chunk.tagValue(tag));
                    final int slabGranules = slab.granules;
                    final int cs = slab.classSize;
                    boolean stopped = false;
                    while (slabCursor < slab.capacity)
                    {
                        final int i = slabCursor;
                        if (slab.isAllocated(i) && cs > maxBytes)
                        {
                            victimSkippedBytes = Math.max(victimSkippedBytes, cs); // too big for this budget
                        }
                        else if (slab.isAllocated(i))
                        {
                            if (blocks > 0 && (moved + cs > maxBytes || System.nanoTime() - start >= maxNanos))
                            {
                                stopped = true;
                                break;
                            }
                            final int r = moveSmall(slab, i);
                            if (r < 0)
                            {
                                abandon();
                                return finish(start, moved);
                            }
                            if (r > 0)
                            {
                                moved += cs;
                                blocks++;
                            }
                        }
                        slabCursor++;
                        if (!slab.active)
                        {
                            break; // the slab emptied and was released
                        }
                    }
                    if (stopped)
                    {
                        return finish(start, moved);
                    }
                    slabCursor = 0;
                    cursor = g + slabGranules;
                }
                else
                {
                    final int n = Chunk.tagValue(tag);
                    final long bytes = (long)n << SizeClasses.GRANULE_SHIFT;
                    if (bytes > maxBytes)
                    {
                        victimSkippedBytes = Math.max(victimSkippedBytes, bytes); // too big for this budget
                        cursor = g + n;
                        continue;
                    }
                    if (blocks > 0 && (moved + bytes > maxBytes || System.nanoTime() - start >= maxNanos))
                    {
                        return finish(start, moved);
                    }
                    final int r = moveMedium(v, g, n);
                    if (r < 0)
                    {
                        abandon();
                        return finish(start, moved);
                    }
                    if (r > 0)
                    {
                        moved += bytes;
                        blocks++;
                    }
                    cursor = g + n;
                }
            }
            completeVictim();
            return finish(start, moved);
        }
        finally
        {
            heap.noGrow = false;
        }
    }

    private long finish(final long start, final long moved)
    {
        arena.counters().addOpaque(ArenaCounters.COMPACT_NANOS, System.nanoTime() - start);
        return moved;
    }

    private static int nextUsed(final Chunk c, final int from)
    {
        int w = from >>> 6;
        if (w >= c.used.length)
        {
            return -1;
        }
        long bits = c.used[w] & (-1L << from);
        while (bits == 0)
        {
            if (++w == c.used.length)
            {
                return -1;
            }
            bits = c.used[w];
        }
        final int g = (w << 6) + Long.numberOfTrailingZeros(bits);
        return g < c.granules ? g : -1;
    }

    /** @return 1 moved, 0 skipped (pinned), -1 no destination. */
    private int moveSmall(final Slab slab, final int index)
    {
        final int handleIndex = slab.handles[index];
        final HandleTable handles = arena.handles();
        if (!handles.tryBeginMove(handleIndex))
        {
            skippedPinned();
            return 0;
        }
        final long from = slab.addressOf(index);
        final Slab dest = heap.slabFor(slab.cls);
        if (dest == null)
        {
            handles.endMove(handleIndex, from);
            return -1;
        }
        final int di = dest.allocateIndex();
        dest.chunk.addLive(dest.classSize);
        final long to = dest.addressOf(di);
        UnsafeApi.copyMemory(from, to, slab.classSize);
        dest.handles[di] = handleIndex;
        handles.endMove(handleIndex, to);
        slab.freeIndex(index);
        slab.chunk.addLive(-slab.classSize);
        heap.afterSmallFree(slab);
        arena.movedBlock(slab.classSize);
        return 1;
    }

    /** @return 1 moved, 0 skipped (pinned), -1 no destination. */
    private int moveMedium(final Chunk chunk, final int g, final int n)
    {
        final int handleIndex = chunk.next[g];
        final HandleTable handles = arena.handles();
        if (!handles.tryBeginMove(handleIndex))
        {
            skippedPinned();
            return 0;
        }
        final long from = chunk.granuleAddress(g);
        final long to = heap.allocateMedium(n);
        if (to == 0)
        {
            handles.endMove(handleIndex, from);
            return -1;
        }
        final long bytes = (long)n << SizeClasses.GRANULE_SHIFT;
        UnsafeApi.copyMemory(from, to, bytes);
        final Chunk destChunk = arena.chunkMap().find(to);
        destChunk.next[destChunk.granuleOf(to)] = handleIndex;
        handles.endMove(handleIndex, to);
        heap.freeMedium(chunk, g);
        arena.movedBlock(bytes);
        return 1;
    }

    private void skippedPinned()
    {
        victimBlocked = true;
        arena.counters().addOpaque(ArenaCounters.MOVES_SKIPPED_PINNED, 1);
    }

    private boolean chooseVictim()
    {
        final ChunkMap map = arena.chunkMap();
        final long freeTotal = heap.runs.freeGranules() << SizeClasses.GRANULE_SHIFT;
        Chunk best = null;
        for (int id = 0, limit = arena.chunkIdLimit(); id < limit; id++)
        {
            final Chunk c = map.byId(id);
            if (c == null || c.heap != heap || c.kind != Chunk.KIND_REGULAR || c.usedGranules == 0)
            {
                continue;
            }
            if (best == null || c.liveBytes < best.liveBytes)
            {
                best = c;
            }
        }
        if (best == null)
        {
            return false;
        }
        final long freeHere = (long)(best.granules - best.usedGranules) << SizeClasses.GRANULE_SHIFT;
        if (best.liveBytes > freeTotal - freeHere)
        {
            return false;
        }
        if (!detach(best))
        {
            return true; // releasing its empty slabs emptied the chunk: it went back (or became a spare)
        }
        victim = best;
        cursor = 0;
        slabCursor = 0;
        victimBlocked = false;
        victimSkippedBytes = 0;
        return true;
    }

    /**
     * Gives back the victim's empty slabs (an empty current slab would otherwise pin it), then takes its free
     * runs out of the index and its slabs out of the allocation lists.
     * @return false when releasing the empty slabs emptied the chunk (it is released or a spare now).
     */
    private boolean detach(final Chunk c)
    {
        heap.releaseEmptySlabs(c);
        if (c.usedGranules == 0)
        {
            return false;
        }
        int g = 0;
        while (g < c.granules)
        {
            final int tag = c.tag[g];
            final int kind = Chunk.tagKind(tag);
            if (kind == Chunk.TAG_FREE_HEAD)
            {
                heap.runs.unlink(c, g, Chunk.tagValue(tag));
                g += Chunk.tagValue(tag);
            }
            else if (kind == Chunk.TAG_SLAB)
            {
                final Slab s = arena.slab(Chunk.tagValue(tag));
                if (heap.current[s.cls] == s)
                {
                    heap.current[s.cls] = null;
                }
                if (s.inPartialList)
                {
                    heap.removePartial(s);
                }
                g += s.granules;
            }
            else
            {
                g += Math.max(1, Chunk.tagValue(tag));
            }
        }
        c.evacuating = true;
        return true;
    }

    /** Puts an abandoned or blocked victim back: free runs into the index, partial slabs into their lists. */
    private void restore(final Chunk c)
    {
        c.evacuating = false;
        int g = 0;
        while (g < c.granules)
        {
            final int tag = c.tag[g];
            final int kind = Chunk.tagKind(tag);
            if (kind == Chunk.TAG_FREE_HEAD)
            {
                heap.runs.link(c, g, Chunk.tagValue(tag));
                g += Chunk.tagValue(tag);
            }
            else if (kind == Chunk.TAG_SLAB)
            {
                final Slab s = arena.slab(Chunk.tagValue(tag));
                if (s.free > 0 && !s.inPartialList && heap.current[s.cls] != s)
                {
                    heap.addPartial(s);
                }
                g += s.granules;
            }
            else
            {
                g += Math.max(1, Chunk.tagValue(tag));
            }
        }
    }

    private void abandon()
    {
        final Chunk v = victim;
        victim = null;
        restore(v);
        arena.counters().addOpaque(ArenaCounters.RELEASE_BLOCKED, 1);
        idleModifications = heap.modifications;
        idleNeedBytes = Long.MAX_VALUE;
    }

    private void completeVictim()
    {
        final Chunk v = victim;
        victim = null;
        if (v.usedGranules == 0)
        {
            v.evacuating = false;
            if (heap.emptyChunks < arena.spareChunks())
            {
                heap.runs.link(v, 0, v.granules);
                heap.emptyChunks++;
            }
            else
            {
                v.tag[0] = 0;
                if (v.granules > 1)
                {
                    v.tag[v.granules - 1] = 0;
                }
                arena.releaseChunk(v);
            }
        }
        else
        {
            restore(v);
            if (victimBlocked)
            {
                arena.counters().addOpaque(ArenaCounters.RELEASE_BLOCKED, 1);
            }
            idleModifications = heap.modifications;
            // blocks too big for the budget: a step with a larger byte budget may finish the job
            idleNeedBytes = victimBlocked || victimSkippedBytes == 0 ? Long.MAX_VALUE : victimSkippedBytes;
        }
    }

    /** @return the chunk under evacuation, or null (tests, heap maps). */
    Chunk victim()
    {
        return victim;
    }
}
