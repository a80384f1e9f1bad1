package io.arenaalloc.core;

import org.agrona.UnsafeApi;

/**
 * Incremental compaction of an arena's movable heap: moves unpinned handle blocks out of the sparsest
 * chunk into holes of the others, in small bounded steps, and gives the emptied chunk back.
 *
 * <h2>Vocabulary</h2>
 * <ul>
 *   <li><b>victim</b>: the chunk being evacuated. Once it is detached, its free runs are out of the
 *   {@link FreeRunIndex} and its slabs out of the current/partial lists, so no allocation (the
 *   owner's or the compactor's) lands in it.</li>
 *   <li><b>frontier</b>: while the victim is detached or restored a part at a time, the granule that
 *   separates its linked runs from its unlinked ones ({@link Chunk#linked}).</li>
 *   <li><b>cursor</b>: while moving, the granule (and, inside a slab, the block) where the next step
 *   resumes; detaching and restoring resume at the victim's frontier instead.</li>
 *   <li><b>step</b>: one call of {@link #step}; it plans its work to end by half its time budget
 *   ({@link #PLAN_MARGIN_SHIFT}) or when its byte budget is spent.</li>
 * </ul>
 *
 * <h2>Is a step worth it? (O(1), nanoseconds when idle)</h2>
 * Yes while a victim is in progress. Not while the heap is unchanged since the last step that found
 * nothing to do (unless that step only had to skip blocks too big for its byte budget and this step's budget
 * is large enough for them; when nothing was too big, no budget helps, not even an unlimited one).
 * Otherwise only if the movable heap's fragmentation,
 * {@code 1 - live / (chunks - spares) x chunkSize}, exceeds {@code fragmentationThreshold}, there are at
 * least two non-spare chunks.
 *
 * <h2>A step: phases of a victim</h2>
 * <pre>
 *   (none) --choose--&gt; DETACHING --all runs detached--&gt; MOVING --empty--&gt; release / spare --&gt; (none)
 *                                                          |  no destination, or blocks left
 *                                                          v
 *                                                      RESTORING --all runs linked--&gt; (none)
 *
 *   victim chunk during DETACHING (F = linkedFrom) and RESTORING (B = linkedBelow):
 *   | run | blk | run | slab | blk | run | ...        detaching: runs/slabs with head &lt; F are out of the
 *   0           F                         granules    index and lists, those at or after F still in;
 *               B                                     restoring: those with head &lt; B are back in.
 * </pre>
 * Every phase does bounded work per step, so no step pays for a whole-chunk walk:
 * <ol>
 *   <li><b>Choose</b> (no victim): the regular movable chunk with the fewest live bytes whose live bytes fit
 *   in the free space of the other chunks that hold live blocks (one pass over the chunks). Mark it
 *   {@code evacuating}. Spares and held-idle chunks (no live block) are never destinations: moving a chunk's
 *   blocks into an empty chunk only makes another chunk empty, and the next victim would move them back, so
 *   the compactor would copy forever without giving a byte back.</li>
 *   <li><b>Detach</b>: walk its runs from the frontier {@link Chunk#linkedFrom}: give back empty slabs,
 *   unlink free runs, take slabs out of the current/partial lists, move the frontier past each; look at the
 *   clock every {@link #CLOCK_EVERY} runs and after each slab given back. Between steps the owner may
 *   allocate from the still-linked part (the walk meets those blocks later) and free anywhere; a free run
 *   that coalesces across the frontier moves the frontier past its end ({@link Chunk#frontiersPast}), so
 *   the frontier is always at a run boundary and a run is linked iff its head is on the linked side. A step
 *   whose detaching used up its time budget ends there; moving starts with the next step.</li>
 *   <li><b>Move</b>: from the cursor, find the next used granule (bit scan). A medium block: its handle
 *   index is in {@code chunk.next[g]}. A slab: walk its allocated blocks; each one's handle index is in
 *   {@code slab.handles}. For each block: claim it ({@link HandleTable#tryBeginMove}; a pinned block is
 *   skipped, never waited for, and marks the victim blocked); take a destination of the same size class /
 *   granule count with {@link Heap#noGrow} set (never a new chunk, never a spare); copy; record the owner at the
 *   destination; publish the new address ({@link HandleTable#endMove}); free the old block (coalescing
 *   inside the victim). No destination: undo the claim and restore the victim (counted as
 *   release-blocked).</li>
 *   <li>Stop, after at least one block, when the next block would overrun the byte budget, or when
 *   the time spent plus the next block's predicted move time (its size times {@code nanosPerKiB}, an
 *   exponentially weighted average of past steps' cost per KiB moved) would overrun the time budget. A medium
 *   block over {@link #STAGE_MIN_BYTES} that would overrun the budget of a step that has moved nothing yet
 *   is moved <b>staged</b> (below) instead of in one copy, so no step pays for a whole large block. A slab
 *   block larger than the step's byte budget is skipped (the victim then cannot empty in steps of that
 *   budget; {@link OffHeapArena#compactFully} moves it).</li>
 *   <li>Cursor at the end: if the victim is empty it is released (an OS call) or kept as a spare; if blocks
 *   remain (pinned, or too big for the budget) it is <b>restored</b>: the mirror of detaching, from the
 *   frontier {@link Chunk#linkedBelow}, in bounded parts, after which it is an ordinary chunk again.</li>
 * </ol>
 *
 * <h2>Staged moves (large blocks, a piece per step)</h2>
 * <pre>
 *   step k:    claim (LIVE|COPYING), destination D allocated, D.next = STAGED, copy piece 1  --&gt; step ends
 *   step k+1:  state still LIVE(g,0)|COPYING?  yes: copy piece 2 ...   no: give up (free D, skip the block)
 *   step k+m:  last piece copied; CAS COPYING -&gt; MOVING; publish D's address; free the old block; go on
 * </pre>
 * <ol>
 *   <li>Begin ({@link #beginStaged}): take a destination as for a move, mark it {@link #STAGED} in
 *   {@code chunk.next} (it is nobody's block yet), claim the handle with {@link HandleTable#tryBeginStaged}
 *   (pinned: free the destination, skip the block).</li>
 *   <li>Each step ({@link #continueStaged}): if {@link HandleTable#isStagedIntact} fails, the block was pinned,
 *   resolved, reallocated or freed since the last piece (any of them clears COPYING or changes the state):
 *   give up ({@link #giveUpStaged}: free the destination; the walk then leaves that block, which keeps the
 *   victim from being released; a pinned block blocks the victim, one that was only reached counts as too big
 *   for the budget). Else copy the next piece: as many bytes as the step's time left allows at
 *   {@code nanosPerKiB} and its byte budget allows, in multiples of {@link #PIECE_ALIGN}, at least
 *   {@link #MIN_PIECE}.</li>
 *   <li>After the last piece: {@link HandleTable#tryFinishStaged} (COPYING to MOVING; a racing pin wins or
 *   waits), then as a move: record the owner at the destination, publish its address, free the old block.</li>
 * </ol>
 * The copy is exact because nothing wrote the block while it was staged: the owner reaches a block only
 * through {@code resolve} (an address resolved before a step is void after it), and every other thread only
 * through a pin; both clear COPYING. At most one staged move is in progress; the cursor waits at its block.
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
    /** What the steps do to the victim now: {@link #DETACHING}, {@link #MOVING} or {@link #RESTORING}. */
    private int phase;
    private int cursor;
    private int slabCursor;
    private boolean victimBlocked;
    /** Largest block the current victim's steps skipped because it exceeded their byte budget. */
    private long victimSkippedBytes;
    private long idleModifications = -1;
    /** After a fruitless attempt: the byte budget a step needs to do better without a heap change. */
    private long idleNeedBytes = Long.MAX_VALUE;
    /**
     * Moving cost, ns per KiB (copy and bookkeeping), an exponentially weighted average over past steps;
     * a step stops before a block whose predicted move would overrun its time budget.
     */
    private double nanosPerKiB = INITIAL_NANOS_PER_KIB;
    // the staged move in progress (stagedSlot >= 0), see "Staged moves"
    private int stagedSlot = -1;
    private long stagedState;
    private int stagedGranule;
    private int stagedGranules;
    private long stagedTo;
    private long stagedCopied;
    /** The slot of the last staged move given up because its block was reached: skipped when the cursor meets it. */
    private int givenUpSlot = -1;
    /** Marks a staged move's destination block in {@code chunk.next} until the move finishes (not a handle slot). */
    static final int STAGED = -2;
    /** Blocks up to this size are always moved in one piece. */
    static final long STAGE_MIN_BYTES = 2048;
    /** A staged move copies at least this much per step (progress), in multiples of {@link #PIECE_ALIGN}. */
    static final long MIN_PIECE = 1024;
    static final long PIECE_ALIGN = 256;
    /** Steps taken (those that passed {@link #worthIt}); the arena decides with it, so it does not read the counters. */
    private long steps;
    static final int DETACHING = 1;
    static final int MOVING = 2;
    static final int RESTORING = 3;
    /** Detach and restore look at the clock once per this many runs (and after each slab they give back). */
    static final int CLOCK_EVERY = 4;
    /**
     * A step plans its work (moves, pieces, detach and restore runs) to end by {@code budget - budget / 2}: the
     * other half absorbs the error of the cost estimate (cold source and destination lines, a slab set up or given
     * back) and the work done between two clock reads, so that steps end within their budget at high percentiles,
     * not just on average. Measured at the default 2 us budget (in-process, 64 MiB heap, 2 M steps): a margin of
     * a quarter left 3.6% of steps over budget, a half 0.8%.
     */
    static final int PLAN_MARGIN_SHIFT = 1;
    /** Start value of the moving-cost estimate: 4 GB/s. */
    static final double INITIAL_NANOS_PER_KIB = 256.0;
    /** Weight of the newest step in the moving-cost estimate. */
    static final double COST_WEIGHT = 0.125;

    Compactor(final OffHeapArena arena)
    {
        this.arena = arena;
        this.heap = arena.movableHeap();
        this.threshold = arena.config().fragmentationThreshold();
    }

    /** @return steps taken so far (what the {@code compact-steps} counter publishes). */
    long steps()
    {
        return steps;
    }

    void reset()
    {
        victim = null;
        phase = 0;
        cursor = 0;
        slabCursor = 0;
        victimBlocked = false;
        victimSkippedBytes = 0;
        idleModifications = -1;
        idleNeedBytes = Long.MAX_VALUE;
        stagedSlot = -1; // its destination went with the heap (reset) or the arena (close)
        givenUpSlot = -1;
    }

    /** @param maxBytes the byte budget the next step would have. */
    boolean worthIt(final long maxBytes)
    {
        if (victim != null)
        {
            return true;
        }
        if (heap.modifications == idleModifications && (maxBytes < idleNeedBytes || idleNeedBytes == Long.MAX_VALUE))
        {
            return false; // the last attempt found nothing to do that a budget of maxBytes could change
        }
        final int active = heap.chunkCount - heap.emptyChunks;
        if (active < 2)
        {
            return false;
        }
        final double committed = (double)active * arena.chunkSize();
        return 1.0 - heap.liveBytes / committed > threshold;
    }

    /** @return bytes moved (a staged move's pieces count when they are copied). */
    long step(final long budgetNanos, final long maxBytes)
    {
        final long maxNanos = budgetNanos - (budgetNanos >> PLAN_MARGIN_SHIFT); // plan to end with a margin left
        if (!worthIt(maxBytes))
        {
            return 0;
        }
        final long start = System.nanoTime();
        final ArenaCounters counters = arena.counters();
        counters.setOpaque(ArenaCounters.COMPACT_STEPS, ++steps);
        if (victim == null && !chooseVictim())
        {
            idleModifications = heap.modifications;
            idleNeedBytes = Long.MAX_VALUE;
            counters.addOpaque(ArenaCounters.COMPACT_NANOS, System.nanoTime() - start);
            return 0;
        }
        if (phase == DETACHING)
        {
            if (!detachSome(start, maxNanos))
            {
                return finish(start, 0);
            }
            phase = MOVING;
            cursor = 0;
            slabCursor = 0;
            if (System.nanoTime() - start >= maxNanos)
            {
                return finish(start, 0); // detaching used the budget: the moves start with the next step
            }
        }
        if (phase == RESTORING)
        {
            restoreSome(start, maxNanos);
            return finish(start, 0);
        }
        long moved = 0;
        int blocks = 0;
        heap.noGrow = true;
        try
        {
            final Chunk v = victim;
            if (stagedSlot >= 0)
            {
                moved += continueStaged(start, maxNanos, maxBytes);
                if (stagedSlot >= 0)
                {
                    return finish(start, moved); // more pieces to copy: this step's budget went into this one
                }
            }
            while (cursor < v.granules)
            {
                final int g = nextUsed(v, cursor);
                if (g < 0)
                {
                    cursor = v.granules;
                    break;
                }
                cursor = g;
                final int tag = v.tag(g);
                if (Chunk.tagKind(tag) == Chunk.TAG_SLAB)
                {
                    final Slab slab = arena.slab(v.slabIdAt(g));
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
                            if (blocks > 0 && (moved + cs > maxBytes || overruns(start, cs, maxNanos)))
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
                    if (v.next[g] == givenUpSlot)
                    {
                        // its staged move was given up because the block was reached: leave it this time; a step
                        // whose budget moves it in one copy (e.g. compactFully) may take it later
                        givenUpSlot = -1;
                        victimSkippedBytes = Math.max(victimSkippedBytes, bytes);
                        cursor = g + n;
                        continue;
                    }
                    final boolean tooBig = moved + bytes > maxBytes || overruns(start, bytes, maxNanos);
                    if (tooBig && moved > 0)
                    {
                        return finish(start, moved);
                    }
                    if (tooBig && bytes > STAGE_MIN_BYTES)
                    {
                        final int r = beginStaged(v, g, n);
                        if (r < 0)
                        {
                            abandon();
                            return finish(start, moved);
                        }
                        if (r == 0)
                        {
                            cursor = g + n;
                            continue;
                        }
                        moved += continueStaged(start, maxNanos, maxBytes);
                        if (stagedSlot >= 0)
                        {
                            return finish(start, moved);
                        }
                        continue; // finished (or given up) within this step: the cursor is set
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
            completeVictim(start, maxNanos);
            return finish(start, moved);
        }
        finally
        {
            heap.noGrow = false;
        }
    }

    /** @return true when moving {@code bytes} more, at the estimated cost, would end past the time budget. */
    private boolean overruns(final long start, final long bytes, final long maxNanos)
    {
        return System.nanoTime() - start + (long)(bytes * (nanosPerKiB / 1024.0)) > maxNanos;
    }

    private long finish(final long start, final long moved)
    {
        final long elapsed = System.nanoTime() - start;
        arena.counters().addOpaque(ArenaCounters.COMPACT_NANOS, elapsed);
        if (moved >= MIN_SAMPLE_BYTES)
        {
            nanosPerKiB += COST_WEIGHT * (elapsed * 1024.0 / moved - nanosPerKiB);
        }
        return moved;
    }

    /** Steps that moved less than this do not update the cost estimate (their fixed costs dominate). */
    static final long MIN_SAMPLE_BYTES = 1024;

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
        if (dest == null || dest.chunk.liveBytes == 0)
        {
            // none, or the current slab of a held-idle chunk: no destination (see Heap.noGrow)
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

    /**
     * Staged move, first step: a destination of {@code n} granules (never a new chunk), then the claim
     * ({@link HandleTable#tryBeginStaged}). @return 1 begun, 0 skipped (pinned), -1 no destination.
     */
    private int beginStaged(final Chunk chunk, final int g, final int n)
    {
        final int handleIndex = chunk.next[g];
        final HandleTable handles = arena.handles();
        final long to = heap.allocateMedium(n);
        if (to == 0)
        {
            return -1;
        }
        final Chunk destChunk = arena.chunkMap().find(to);
        destChunk.next[destChunk.granuleOf(to)] = STAGED;
        final long staged = handles.tryBeginStaged(handleIndex);
        if (staged == 0)
        {
            heap.freeMedium(destChunk, destChunk.granuleOf(to));
            skippedPinned();
            return 0;
        }
        stagedSlot = handleIndex;
        stagedState = staged;
        stagedGranule = g;
        stagedGranules = n;
        stagedTo = to;
        stagedCopied = 0;
        return 1;
    }

    /**
     * Staged move, each step: checks the block was not reached since the last piece, copies the next piece
     * (as much as the step's time and bytes left allow, at least {@link #MIN_PIECE}), and after the last piece
     * finishes the move. A move given up frees its destination and leaves the cursor at the block, which the
     * walk then skips ({@link #givenUpSlot}). @return bytes copied in this step.
     */
    private long continueStaged(final long start, final long maxNanos, final long maxBytes)
    {
        final HandleTable handles = arena.handles();
        if (!handles.isStagedIntact(stagedSlot, stagedState))
        {
            giveUpStaged();
            return 0;
        }
        final long total = (long)stagedGranules << SizeClasses.GRANULE_SHIFT;
        final long left = total - stagedCopied;
        final long fitTime = (long)((maxNanos - (System.nanoTime() - start)) * 1024.0 / nanosPerKiB);
        final long piece = Math.min(left, Math.max(MIN_PIECE, Math.min(fitTime, maxBytes) & -PIECE_ALIGN));
        UnsafeApi.copyMemory(victim.granuleAddress(stagedGranule) + stagedCopied, stagedTo + stagedCopied, piece);
        stagedCopied += piece;
        if (stagedCopied < total)
        {
            return piece;
        }
        if (!handles.tryFinishStaged(stagedSlot, stagedState))
        {
            giveUpStaged();
            return piece;
        }
        final Chunk destChunk = arena.chunkMap().find(stagedTo);
        destChunk.next[destChunk.granuleOf(stagedTo)] = stagedSlot;
        handles.endMove(stagedSlot, stagedTo);
        heap.freeMedium(victim, stagedGranule);
        arena.movedBlock(total);
        cursor = stagedGranule + stagedGranules;
        stagedSlot = -1;
        return piece;
    }

    /**
     * Staged move given up (the block was pinned, resolved, reallocated or freed): free the destination. A pinned
     * block blocks the victim as in a move; a block that was only reached is left for this pass and counts as a
     * block too big for this step's budget (a step that can copy it at once may move it).
     */
    private void giveUpStaged()
    {
        final Chunk destChunk = arena.chunkMap().find(stagedTo);
        heap.freeMedium(destChunk, destChunk.granuleOf(stagedTo));
        if (arena.handles().isPinnedAt(stagedSlot))
        {
            skippedPinned(); // blocks the victim, as any pinned block does
        }
        givenUpSlot = stagedSlot;
        cursor = stagedGranule;
        stagedSlot = -1;
    }

    /** @return the handle slot of the staged move in progress, or -1 (tests). */
    int stagedSlot()
    {
        return stagedSlot;
    }

    /** @return the destination of the staged move in progress, or 0 (validator, walk). */
    long stagedDestination()
    {
        return stagedSlot >= 0 ? stagedTo : 0;
    }

    private void skippedPinned()
    {
        victimBlocked = true;
        arena.counters().addOpaque(ArenaCounters.MOVES_SKIPPED_PINNED, 1);
    }

    private boolean chooseVictim()
    {
        final ChunkMap map = arena.chunkMap();
        // room for the victim's blocks: free runs of chunks with live blocks only; a spare or a held-idle chunk is
        // no destination (filling it would only empty another chunk: no gain, and the next step would undo it)
        long freeGranules = heap.runs.freeGranules();
        Chunk best = null;
        for (int id = 0, limit = arena.chunkIdLimit(); id < limit; id++)
        {
            final Chunk c = map.byId(id);
            if (c == null || c.heap != heap || c.kind != Chunk.KIND_REGULAR)
            {
                continue;
            }
            if (c.liveBytes == 0)
            {
                freeGranules -= c.granules - c.usedGranules;
            }
            if (c.usedGranules != 0 && (best == null || c.liveBytes < best.liveBytes))
            {
                best = c;
            }
        }
        if (best == null)
        {
            return false;
        }
        final long freeTotal = freeGranules << SizeClasses.GRANULE_SHIFT;
        final long freeHere = best.liveBytes == 0 ? 0 : (long)(best.granules - best.usedGranules) << SizeClasses.GRANULE_SHIFT;
        if (best.liveBytes > freeTotal - freeHere)
        {
            return false;
        }
        if (best.heldIdle)
        {
            heap.revive(best); // it stops standing in for a spare
        }
        victim = best;
        best.evacuating = true;
        best.linkedBelow = 0;
        best.linkedFrom = 0;
        phase = DETACHING; // the move cursor is set when detaching is done
        victimBlocked = false;
        victimSkippedBytes = 0;
        return true;
    }


    /**
     * Detaching, a part of it (phase {@link #DETACHING}): walks the victim's runs from its frontier, gives back
     * empty slabs, takes free runs out of the index and slabs out of the allocation lists, and moves the
     * frontier {@link Chunk#linkedFrom} behind them; checks the clock every {@link #CLOCK_EVERY} runs.
     * @return true when the whole victim is detached.
     */
    private boolean detachSome(final long start, final long maxNanos)
    {
        final Chunk c = victim;
        int g = c.linkedFrom; // at a run boundary (see Chunk.frontiersPast)
        int n = 0;
        while (g < c.granules)
        {
            if (++n % CLOCK_EVERY == 0 && System.nanoTime() - start >= maxNanos)
            {
                return false;
            }
            final int tag = c.tag(g);
            final int kind = Chunk.tagKind(tag);
            if (kind == Chunk.TAG_FREE_HEAD)
            {
                heap.runs.unlink(c, g, Chunk.tagValue(tag));
                g += Chunk.tagValue(tag);
            }
            else if (kind == Chunk.TAG_SLAB)
            {
                final Slab s = arena.slab(c.slabIdAt(g));
                if (s.free == s.capacity)
                {
                    // give it back; its run (merged with the detached run before it, if any) stays out of the
                    // index because its head is below the frontier, a merged run after it is unlinked
                    c.linkedFrom = g + 1;
                    heap.releaseSlab(s);
                    g = c.linkedFrom; // the end of the run the slab's granules joined
                    n = CLOCK_EVERY - 1; // a slab's release clears up to 256 tags: look at the clock next
                }
                else
                {
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
            }
            else
            {
                g += Math.max(1, Chunk.tagValue(tag));
            }
            if (g > c.linkedFrom)
            {
                c.linkedFrom = g;
            }
            g = c.linkedFrom;
        }
        c.linkedFrom = Chunk.ALL_GRANULES;
        return true;
    }

    /**
     * Restoring, a part of it (phase {@link #RESTORING}): walks the runs of a victim that could not be
     * emptied from its frontier, links free runs into the index and partial slabs into their lists, and moves
     * the frontier {@link Chunk#linkedBelow} past them. The last part hands the chunk back to allocation.
     * @return true when the victim is restored (and no longer the victim).
     */
    private boolean restoreSome(final long start, final long maxNanos)
    {
        final Chunk c = victim;
        int g = c.linkedBelow; // at a run boundary (see Chunk.frontiersPast)
        int n = 0;
        while (g < c.granules)
        {
            if (++n % CLOCK_EVERY == 0 && System.nanoTime() - start >= maxNanos)
            {
                return false;
            }
            final int tag = c.tag(g);
            final int kind = Chunk.tagKind(tag);
            if (kind == Chunk.TAG_FREE_HEAD)
            {
                heap.runs.link(c, g, Chunk.tagValue(tag));
                g += Chunk.tagValue(tag);
            }
            else if (kind == Chunk.TAG_SLAB)
            {
                final Slab s = arena.slab(c.slabIdAt(g));
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
            c.linkedBelow = g;
        }
        victim = null;
        phase = 0;
        c.evacuating = false;
        c.linkedBelow = 0;
        c.linkedFrom = 0;
        if (c.usedGranules == 0)
        {
            heap.emptied(c, true); // its last blocks were freed while it was restored: its one run is linked
        }
        return true;
    }

    /** No destination for a block: the victim cannot be emptied now; restore it (in later steps if need be). */
    private void abandon()
    {
        arena.counters().addOpaque(ArenaCounters.RELEASE_BLOCKED, 1);
        startRestoring();
        idleNeedBytes = Long.MAX_VALUE;
    }

    private void startRestoring()
    {
        phase = RESTORING;
        victim.linkedFrom = Chunk.ALL_GRANULES;
        victim.linkedBelow = 0;
        idleModifications = heap.modifications;
    }

    private void completeVictim(final long start, final long maxNanos)
    {
        final Chunk v = victim;
        if (v.usedGranules == 0)
        {
            victim = null;
            phase = 0;
            v.evacuating = false;
            v.linkedFrom = 0;
            v.linkedBelow = 0;
            heap.emptied(v, false);
        }
        else
        {
            if (victimBlocked)
            {
                arena.counters().addOpaque(ArenaCounters.RELEASE_BLOCKED, 1);
            }
            // blocks too big for the budget: a step with a larger byte budget may finish the job
            final long need = victimBlocked || victimSkippedBytes == 0 ? Long.MAX_VALUE : victimSkippedBytes;
            startRestoring();
            idleNeedBytes = need;
            restoreSome(start, maxNanos);
        }
    }

    int phase()
    {
        return phase;
    }

    /** @return the chunk under evacuation, or null (tests, heap maps). */
    Chunk victim()
    {
        return victim;
    }
}
