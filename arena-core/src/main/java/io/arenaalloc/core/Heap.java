package io.arenaalloc.core;

/**
 * One set of chunks of an arena and the blocks carved from them: size-class slabs for small blocks
 * and best-fit runs of granules for medium ones. An arena has two heaps: <b>fixed</b> (blocks addressed
 * by raw address, never moved) and <b>movable</b> (blocks behind handles), so a fixed block can never
 * keep a movable chunk from being compacted and released.
 *
 * <h2>Small allocate (size &lt;= 4096)</h2>
 * <ol>
 *   <li>cls = classOf(size). Fixed heap: if the free cache of cls has an entry, pop the newest (LIFO: the
 *   block most recently freed, likely still in the CPU cache), set its start bit, done; its slab is not
 *   touched.</li>
 *   <li>s = current[cls]. If s has a free block, take it (two bit scans, see {@link Slab}); fixed heap: set
 *   its start bit in {@link Chunk#meta}.</li>
 *   <li>Else pop the first partial slab of the class (a slab with free blocks that is not current).</li>
 *   <li>Else cut a new slab: a run of slabGranules(cls) granules from the medium path below; tag each of
 *   its granules SLAB|cls|offset (the slab id goes to prev[] of its head granule, see {@link Chunk}); a fixed
 *   slab is also entered in the chunk's {@link SlabMap} and, with free marks, every block gets its
 *   {@link FreeMark} (none is live yet).</li>
 * </ol>
 * <h2>Free cache (fixed heap only)</h2>
 * <pre>
 *   cacheAddress  long[28 x 64]   | cls 0: a0 a1 .. a(n-1) . . . | cls 1: ... |     n = cacheCount[cls]
 *   cacheChunk    int[28 x 64]    | cls 0: c0 c1 .. c(n-1) . . . | cls 1: ... |     chunk ids; oldest first
 * </pre>
 * A small fixed block freed by the user is checked and retired by its start bit alone (clear: a double
 * free or an interior address; set: clear it), then pushed on its class's stack. Its slab still counts it
 * allocated, so the slab, its chunk's live bytes and the partial lists are untouched on both the free and
 * the next allocation of the class: a free + allocate pair costs a test of the block's slab bit, one read and
 * write of its meta int (class and start bit, see {@link Chunk}), one start bit set on the pop, and a push/pop,
 * like a thread cache of jemalloc, but keeps exact double-free detection. The cache gives blocks back to
 * their slabs (the "small free" below) when a class's stack is full (its older half), when the arena has
 * no live block left, when an allocation finds no space (before the limit is declared), on
 * {@link OffHeapArena#flushFreeCache} (maintenance calls it when the owner is idle) and before a region is
 * removed. It holds at most 28 x 64 blocks, and so at most that many slabs, out of the allocator's reach.
 * <p>Medium fixed blocks of up to {@value #MEDIUM_CACHE_MAX_GRANULES} granules (32 KiB) have a cache of their
 * own: one stack of {@value #MEDIUM_CACHE_SLOTS} per length in granules, at most
 * {@link ArenaConfig#mediumFreeCacheBytes()} in all. A freed block is tagged CACHED|n (its granules stay used)
 * and pushed; a full stack first frees its older half to the runs. An allocation of n granules pops the stack
 * of n, or when that is empty the first non-empty stack of n + 1 .. n + n/16 (a block at most 1/16 longer,
 * whose usable size is then that much larger), and only then searches the free runs: with one stack per
 * length a random mix of sizes finds its own stack empty about one time in twenty (churn-mixed: 5.6% of the
 * medium allocations), and a best-fit search with its split costs tens of times a pop.
 * <h2>Small free (movable heap; fixed heap: when the cache gives a block back)</h2>
 * Clear the block (double free detected by its bit). A full slab that gains a free block joins the
 * partial list; a non-current slab that becomes empty gives its run back (step "medium free"). When a
 * chunk is left with no live block at all: while fewer than {@code spareChunks} chunks are empty or held
 * idle, it is <b>held idle</b> (keeps its empty current slabs and stands in for a spare, so a burst that
 * ends and starts again does not tear slabs down and rebuild them); otherwise its empty current slabs give
 * their runs back too, so that the chunk returns to the source (one pass over its runs, only then).
 *
 * <h2>Medium allocate (4096 &lt; size &lt;= chunkSize / 2), n = ceil(size / 256) granules</h2>
 * <ol>
 *   <li>ref = {@link FreeRunIndex#find}(n): best fit among free runs of all chunks of this heap.</li>
 *   <li>None: take a new chunk (or a spare), register its whole area as one free run, and find again.
 *   The arena's limit, or its memory source's, may refuse the chunk: the arena reclaims space and retries, then
 *   throws {@link ArenaLimitExceededException}.</li>
 *   <li>Unlink the run; give back its tail (length - n) as a new free run; set n bits; tag BLOCK|n.</li>
 * </ol>
 * <h2>Medium free (coalescing with boundary tags, O(1))</h2>
 * <ol>
 *   <li>Clear the n bits and the head tag.</li>
 *   <li>If granule g - 1 is free, its tag (FREE_TAIL|len, or FREE_HEAD|1) gives the left run: unlink it and merge.</li>
 *   <li>If granule g + n is free, its FREE_HEAD|len gives the right run: unlink it and merge.</li>
 *   <li>Insert the merged run. If it spans the whole chunk, the chunk is empty: keep it as a spare while
 *   fewer than {@code spareChunks} are kept, else return it to the memory source.</li>
 * </ol>
 * Work per call, worst case: small allocate from the cache a pop and a bit set, else 2 bit scans (+ a slab
 * refill: one medium allocate and up to 256 tag writes); small free to the cache a slab-bit test, a meta read,
 * a bit test and a push, plus at most every 32nd free of a class a flush of 32 blocks to their slabs; medium
 * allocate from the cache a pop after at most n/16 + 1 stack counts, else 8 list steps + 6 word scans + n/64
 * bitmap words; free is O(1) plus n/64 bitmap words.
 */
final class Heap
{
    final OffHeapArena arena;
    final boolean movable;
    final FreeRunIndex runs;
    final ChunkMap chunks;
    final Slab[] current = new Slab[SizeClasses.CLASS_COUNT];
    final Slab[] partial = new Slab[SizeClasses.CLASS_COUNT];
    /** Released Slab objects of this heap, reused (a movable slab carries a handle array, a fixed one not). */
    private Slab[] slabPool = new Slab[16];
    private int slabPoolSize;
    /** Chunks with no live block that keep their empty current slabs, standing in for spares. */
    int heldIdleChunks;
    /** Empty regular chunks kept as spares (in the index, whole). */
    int emptyChunks;
    /** Regular chunks held by this heap. */
    int chunkCount;
    /** Movable heap only: sum of the live bytes of this heap's chunks (the fixed heap leaves it 0). */
    long liveBytes;
    /** Fixed heap: the free cache, {@link #CACHE_SLOTS} entries per class (block address, its chunk). */
    final long[] cacheAddress;
    final int[] cacheChunk;
    final int[] cacheCount = new int[SizeClasses.CLASS_COUNT];
    /** Entries per size class in the free cache; a full class flushes its older half. */
    static final int CACHE_SLOTS = 64;
    /** Medium blocks up to this many granules (32 KiB) use the free cache too, one stack per length. */
    static final int MEDIUM_CACHE_MAX_GRANULES = 128;
    /** Entries per medium length; a full length flushes its older half. */
    static final int MEDIUM_CACHE_SLOTS = 16;
    /** Bytes the medium part of the free cache may hold at most: {@link ArenaConfig#mediumFreeCacheBytes()}. */
    final long mediumCacheLimit;
    final long[] mediumCacheAddress;
    final int[] mediumCacheChunk;
    final int[] mediumCacheCount;
    /** Length in granules of the block the last successful {@link #mediumCachePop} returned. */
    int poppedGranules;
    /** Medium blocks and bytes in the free cache (included in {@link #cachedBlocks()} and {@link #cachedBytes()}). */
    int mediumCachedBlocks;
    long mediumCachedBytes;
    /**
     * While set (by the compactor), runs and slabs come only from chunks that hold live blocks: no new chunk, no
     * spare and no held-idle chunk (moving blocks into a chunk with no live block only makes another chunk empty:
     * no gain, and a loop). {@link #allocateRun} enforces it for runs (new slabs included); the compactor's small
     * move checks the current slab it gets from {@link #slabFor}, which stays free of the test on the allocation path.
     */
    boolean noGrow;
    /** Changes with every allocation and free in this heap (the compactor's "anything new?" check). */
    long modifications;

    Heap(final OffHeapArena arena, final boolean movable, final ChunkMap chunks, final int granuleBits)
    {
        this.arena = arena;
        this.chunks = chunks;
        this.movable = movable;
        this.runs = new FreeRunIndex(chunks, granuleBits);
        final int slots = movable ? 0 : SizeClasses.CLASS_COUNT * CACHE_SLOTS;
        this.cacheAddress = new long[slots];
        this.cacheChunk = new int[slots];
        final int mediumSlots = movable ? 0 : (MEDIUM_CACHE_MAX_GRANULES + 1) * MEDIUM_CACHE_SLOTS;
        this.mediumCacheAddress = new long[mediumSlots];
        this.mediumCacheChunk = new int[mediumSlots];
        this.mediumCacheCount = new int[movable ? 0 : MEDIUM_CACHE_MAX_GRANULES + 1];
        this.mediumCacheLimit = arena.config().mediumFreeCacheBytes();
    }

    /**
     * @return blocks in the free cache, small and medium. Counted on demand (28 classes): the small push and pop
     * keep no running total, two read-modify-writes fewer a free + allocate pair.
     */
    int cachedBlocks()
    {
        int blocks = mediumCachedBlocks;
        for (int cls = 0; cls < SizeClasses.CLASS_COUNT; cls++)
        {
            blocks += cacheCount[cls];
        }
        return blocks;
    }

    /** @return bytes (usable sizes) of the blocks in the free cache, small and medium; counted as {@link #cachedBlocks}. */
    long cachedBytes()
    {
        long bytes = mediumCachedBytes;
        for (int cls = 0; cls < SizeClasses.CLASS_COUNT; cls++)
        {
            bytes += (long)cacheCount[cls] * SizeClasses.classSize(cls);
        }
        return bytes;
    }

    /**
     * @return bytes (block sizes) of the blocks in the free cache that lie in {@code chunk}: the part of its
     * {@code liveBytes} that is free to the user. O(cached blocks); for {@link OffHeapArena#removeRegion}.
     */
    long cachedBytesIn(final Chunk chunk)
    {
        long bytes = 0;
        for (int cls = 0; cls < SizeClasses.CLASS_COUNT; cls++)
        {
            for (int k = 0; k < cacheCount[cls]; k++)
            {
                if (cacheChunk[cls * CACHE_SLOTS + k] == chunk.id)
                {
                    bytes += SizeClasses.classSize(cls);
                }
            }
        }
        for (int n = 0; n < mediumCacheCount.length; n++)
        {
            for (int k = 0; k < mediumCacheCount[n]; k++)
            {
                if (mediumCacheChunk[n * MEDIUM_CACHE_SLOTS + k] == chunk.id)
                {
                    bytes += (long)n << SizeClasses.GRANULE_SHIFT;
                }
            }
        }
        return bytes;
    }

    /**
     * Free cache, medium push: keeps the medium fixed block at granule g (n granules, user-freed) for the next
     * allocation of n granules; its tag becomes CACHED|n, its granules stay used.
     * @return false when the block is too long or the cache holds its byte limit: free it normally.
     */
    boolean mediumCachePush(final Chunk chunk, final int g, final int n)
    {
        final long bytes = (long)n << SizeClasses.GRANULE_SHIFT;
        if (n > MEDIUM_CACHE_MAX_GRANULES || mediumCachedBytes + bytes > mediumCacheLimit)
        {
            return false;
        }
        int k = mediumCacheCount[n];
        if (k == MEDIUM_CACHE_SLOTS)
        {
            flushMediumCache(n, MEDIUM_CACHE_SLOTS / 2);
            k = MEDIUM_CACHE_SLOTS - MEDIUM_CACHE_SLOTS / 2;
        }
        chunk.setTag(g, Chunk.TAG_CACHED | n);
        final int i = n * MEDIUM_CACHE_SLOTS + k;
        mediumCacheAddress[i] = chunk.granuleAddress(g);
        mediumCacheChunk[i] = chunk.id;
        mediumCacheCount[n] = k + 1;
        mediumCachedBlocks++;
        mediumCachedBytes += bytes;
        return true;
    }

    /**
     * Free cache, medium pop: the newest cached block of n granules, or else of the shortest length in
     * n + 1 .. n + n/16 that has one (see "Free cache"), tagged BLOCK again; its length goes to {@link #poppedGranules}.
     * @return its address, or 0 when none of those stacks has a block.
     */
    long mediumCachePop(final int n)
    {
        if (n > MEDIUM_CACHE_MAX_GRANULES)
        {
            return 0;
        }
        final int longest = Math.min(MEDIUM_CACHE_MAX_GRANULES, n + (n >>> 4));
        int m = n;
        int k;
        while ((k = mediumCacheCount[m]) == 0)
        {
            if (++m > longest)
            {
                return 0;
            }
        }
        final int i = m * MEDIUM_CACHE_SLOTS + k - 1;
        mediumCacheCount[m] = k - 1;
        final long address = mediumCacheAddress[i];
        final Chunk chunk = chunks.byId(mediumCacheChunk[i]);
        chunk.setTag(chunk.granuleOf(address), Chunk.TAG_BLOCK | m);
        mediumCachedBlocks--;
        mediumCachedBytes -= (long)m << SizeClasses.GRANULE_SHIFT;
        poppedGranules = m;
        return address;
    }

    /** Returns the {@code count} oldest cached medium blocks of n granules to the free runs. */
    void flushMediumCache(final int n, final int count)
    {
        final int base = n * MEDIUM_CACHE_SLOTS;
        final int k = mediumCacheCount[n];
        final long bytes = (long)n << SizeClasses.GRANULE_SHIFT;
        mediumCacheCount[n] = k - count;
        mediumCachedBlocks -= count;
        mediumCachedBytes -= bytes * count;
        for (int j = 0; j < count; j++)
        {
            final long address = mediumCacheAddress[base + j];
            final Chunk chunk = chunks.byId(mediumCacheChunk[base + j]);
            final int g = chunk.granuleOf(address);
            chunk.setTag(g, Chunk.TAG_BLOCK | n);
            freeMedium(chunk, g);
        }
        System.arraycopy(mediumCacheAddress, base + count, mediumCacheAddress, base, k - count);
        System.arraycopy(mediumCacheChunk, base + count, mediumCacheChunk, base, k - count);
    }

    // ---- free cache (fixed heap) ----------------------------------------------------------------

    /**
     * Free cache, push: a small fixed block just freed by the user (its start bit already cleared) is kept
     * for the next allocation of its class; a full class first returns its older half to the slabs.
     */
    void cachePush(final int cls, final long address, final Chunk chunk)
    {
        int n = cacheCount[cls];
        if (n == CACHE_SLOTS)
        {
            flushCache(cls, CACHE_SLOTS / 2);
            n = CACHE_SLOTS - CACHE_SLOTS / 2;
        }
        final int i = cls * CACHE_SLOTS + n;
        cacheAddress[i] = address;
        cacheChunk[i] = chunk.id; // an id, not a reference: no GC write barrier on the free path
        cacheCount[cls] = n + 1;
    }

    /**
     * Free cache, pop: the block most recently freed in class {@code cls}, its start bit set again (its slab
     * still counts it used, so nothing else changes).
     * @return its address, or 0 when the class's stack is empty.
     */
    long cachePop(final int cls)
    {
        final int n = cacheCount[cls];
        if (n == 0)
        {
            return 0;
        }
        final int i = cls * CACHE_SLOTS + n - 1;
        cacheCount[cls] = n - 1;
        final long address = cacheAddress[i];
        chunks.byId(cacheChunk[i]).setStart(address);
        return address;
    }

    /**
     * Returns the {@code count} oldest cached blocks of class {@code cls} to their slabs (the slab bookkeeping
     * of an ordinary small free: partial lists, empty slabs given back, idle chunks released).
     */
    void flushCache(final int cls, final int count)
    {
        final int base = cls * CACHE_SLOTS;
        final int n = cacheCount[cls];
        final int cs = SizeClasses.classSize(cls);
        // the entries leave the cache first: a slab's release below may look at the cache's counts
        cacheCount[cls] = n - count;
        for (int k = 0; k < count; k++)
        {
            final long address = cacheAddress[base + k];
            final Chunk chunk = chunks.byId(cacheChunk[base + k]);
            final Slab slab = arena.slab(chunk.slabIdAt(chunk.granuleOf(address)));
            slab.freeIndex(slab.indexOf(address));
            chunk.liveBytes -= cs;
            afterSmallFree(slab);
        }
        System.arraycopy(cacheAddress, base + count, cacheAddress, base, n - count);
        System.arraycopy(cacheChunk, base + count, cacheChunk, base, n - count);
    }

    /** Returns every cached block to its slab or the free runs. @return the number of blocks returned. */
    int flushCaches()
    {
        final int blocks = cachedBlocks();
        if (blocks != 0)
        {
            for (int cls = 0; cls < SizeClasses.CLASS_COUNT; cls++)
            {
                if (cacheCount[cls] != 0)
                {
                    flushCache(cls, cacheCount[cls]);
                }
            }
            for (int n = 0; n < mediumCacheCount.length && mediumCachedBlocks != 0; n++)
            {
                if (mediumCacheCount[n] != 0)
                {
                    flushMediumCache(n, mediumCacheCount[n]);
                }
            }
        }
        return blocks;
    }

    // ---- small -------------------------------------------------------------------------------

    /** @return the slab to allocate from for class {@code cls}, or null when memory is exhausted. */
    Slab slabFor(final int cls)
    {
        final Slab s = current[cls];
        if (s != null && s.free != 0)
        {
            return s;
        }
        return refill(cls);
    }

    private Slab refill(final int cls)
    {
        Slab s = partial[cls];
        if (s != null)
        {
            removePartial(s);
            current[cls] = s;
            return s;
        }
        final int granules = SizeClasses.slabGranules(cls);
        final int ref = allocateRun(granules);
        if (ref < 0)
        {
            return null;
        }
        final Chunk chunk = runs.chunkOf(ref);
        final int g = runs.granuleOf(ref);
        s = slabPoolSize > 0 ? slabPool[--slabPoolSize] : arena.newSlab();
        s.init(this, cls, chunk, g);
        chunk.tagSlab(g, granules, cls, s.id);
        if (!movable && arena.freeMarks)
        {
            for (int i = 0; i < s.capacity; i++)
            {
                FreeMark.mark(s.addressOf(i)); // FreeMark step 1: no block of a fixed slab is live yet
            }
        }
        current[cls] = s;
        return s;
    }

    /** After a block of {@code s} was freed. */
    void afterSmallFree(final Slab s)
    {
        if (movable)
        {
            modifications++;
        }
        final int free = s.free;
        if (free == 1 || free == s.capacity)
        {
            afterSmallFreeSlow(s); // the slab was full, or is empty now: list changes
        }
    }

    private void afterSmallFreeSlow(final Slab s)
    {
        final Chunk chunk = s.chunk;
        if (s != current[s.cls])
        {
            if (s.free == s.capacity)
            {
                if (s.inPartialList)
                {
                    removePartial(s);
                }
                releaseSlab(s);
            }
            else if (!s.inPartialList && chunk.linked(s.startGranule))
            {
                addPartial(s);
            }
        }
        if (s.free == s.capacity)
        {
            releaseIfNothingLive(chunk);
        }
    }

    /**
     * A chunk with no live block but empty current slabs would never become empty: give those slabs back so
     * the chunk turns into a spare or goes back to its source. O(1) unless the chunk just lost its last block.
     */
    private void releaseIfNothingLive(final Chunk chunk)
    {
        if (chunk.liveBytes == 0 && chunk.usedGranules != 0 && !chunk.evacuating && chunk.heap == this &&
            chunk.kind == Chunk.KIND_REGULAR && !chunk.heldIdle)
        {
            if (emptyChunks + heldIdleChunks < arena.spareChunks())
            {
                // it would only become a spare: keep its empty slabs (no slab churn when a burst ends and
                // the next one starts) and let it count as the spare
                chunk.heldIdle = true;
                heldIdleChunks++;
            }
            else
            {
                releaseEmptySlabs(chunk);
            }
        }
    }

    /** A held-idle chunk got a live block again. */
    void revive(final Chunk chunk)
    {
        chunk.heldIdle = false;
        heldIdleChunks--;
    }

    void addPartial(final Slab s)
    {
        final Slab head = partial[s.cls];
        s.prev = null;
        s.next = head;
        if (head != null)
        {
            head.prev = s;
        }
        partial[s.cls] = s;
        s.inPartialList = true;
    }

    void removePartial(final Slab s)
    {
        if (s.prev != null)
        {
            s.prev.next = s.next;
        }
        else
        {
            partial[s.cls] = s.next;
        }
        if (s.next != null)
        {
            s.next.prev = s.prev;
        }
        s.next = null;
        s.prev = null;
        s.inPartialList = false;
    }

    /** Gives an empty slab's run back; the slab object goes back to the arena's pool. */
    void releaseSlab(final Slab s)
    {
        if (current[s.cls] == s)
        {
            current[s.cls] = null;
        }
        if (s.inPartialList)
        {
            removePartial(s);
        }
        final Chunk chunk = s.chunk;
        final int g = s.startGranule;
        chunk.untagSlab(g, s.granules);
        s.active = false;
        recycleSlab(s);
        freeRun(chunk, g, s.granules);
    }

    /**
     * Gives back the runs of the empty slabs a chunk still holds (current slabs stay when they empty). Called
     * when the chunk has no live block left, so that it can become a spare or go back to its source, and
     * before a caller-owned region is removed. Cost: one pass over the chunk's runs.
     */
    void releaseEmptySlabs(final Chunk chunk)
    {
        if (chunk.heldIdle)
        {
            revive(chunk); // it stops standing in for a spare
        }
        int g = 0;
        while (g < chunk.granules)
        {
            final int tag = chunk.tag(g);
            final Slab slab = Chunk.tagKind(tag) == Chunk.TAG_SLAB ? arena.slab(chunk.slabIdAt(g)) : null;
            if (slab != null && slab.free == slab.capacity)
            {
                releaseSlab(slab); // may release the chunk once its last run is free
                if (chunk.usedGranules == 0 || chunk.heap != this)
                {
                    return;
                }
                // coalescing rewrote the tags around the slab: go on from the head of the merged free run
                final int head = chunk.previousUsed(g) + 1;
                g = head + Chunk.tagValue(chunk.tag(head));
            }
            else
            {
                g += slab != null ? slab.granules :
                    Math.max(1, Chunk.tagValue(tag));
            }
        }
    }

    /**
     * The compactor's victim has no used granule left and is the victim no more: it becomes a spare or
     * goes back to its source.
     * @param linked whether its single free run is in the index (restored) or not (evacuated).
     */
    void emptied(final Chunk chunk, final boolean linked)
    {
        if (emptyChunks < arena.spareChunks())
        {
            if (!linked)
            {
                runs.link(chunk, 0, chunk.granules);
            }
            emptyChunks++;
        }
        else
        {
            if (linked)
            {
                runs.unlink(chunk, 0, chunk.granules);
            }
            chunk.setTag(0, 0);
            if (chunk.granules > 1)
            {
                chunk.setTag(chunk.granules - 1, 0);
            }
            arena.releaseChunk(chunk);
        }
    }

    void ensureSlabPoolCapacity(final int slabs)
    {
        if (slabPool.length < slabs)
        {
            slabPool = java.util.Arrays.copyOf(slabPool, Math.max(slabs, slabPool.length * 2));
        }
    }

    void recycleSlab(final Slab s)
    {
        if (slabPoolSize == slabPool.length)
        {
            slabPool = java.util.Arrays.copyOf(slabPool, slabPool.length * 2);
        }
        slabPool[slabPoolSize++] = s;
    }

    // ---- medium ------------------------------------------------------------------------------

    /**
     * Takes n granules from the best-fitting free run; a new chunk when none fits.
     * @return the run ref, or -1 when the arena limit refuses a new chunk.
     */
    int allocateRun(final int n)
    {
        int ref = runs.find(n);
        if (ref < 0)
        {
            if (noGrow || !arena.growHeap(this))
            {
                return -1;
            }
            ref = runs.find(n);
        }
        final Chunk chunk = runs.chunkOf(ref);
        final int g = runs.granuleOf(ref);
        final int len = Chunk.tagValue(chunk.tag(g));
        if (noGrow && chunk.liveBytes == 0 && chunk.kind == Chunk.KIND_REGULAR)
        {
            return -1; // the compactor never fills a spare or a held-idle chunk: that would only swap which chunk is empty
        }
        if (chunk.usedGranules == 0 && chunk.kind == Chunk.KIND_REGULAR)
        {
            emptyChunks--;
        }
        runs.remove(chunk, g, len);
        if (len > n)
        {
            runs.insert(chunk, g + n, len - n);
        }
        chunk.markUsed(g, n);
        return ref;
    }

    /** @return the address of a new medium block of n granules, or 0 when the limit refuses memory. */
    long allocateMedium(final int n)
    {
        final int ref = allocateRun(n);
        if (ref < 0)
        {
            return 0;
        }
        final Chunk chunk = runs.chunkOf(ref);
        final int g = runs.granuleOf(ref);
        chunk.setTag(g, Chunk.TAG_BLOCK | n);
        chunk.addLive((long)n << SizeClasses.GRANULE_SHIFT);
        modifications++;
        return chunk.granuleAddress(g);
    }

    /** Frees the medium block whose head is granule g. */
    void freeMedium(final Chunk chunk, final int g)
    {
        final int n = Chunk.tagValue(chunk.tag(g));
        chunk.setTag(g, 0);
        chunk.addLive(-((long)n << SizeClasses.GRANULE_SHIFT));
        modifications++;
        freeRun(chunk, g, n);
        releaseIfNothingLive(chunk);
    }

    /** Returns granules [g, g + n) (used, untagged) to the free runs, coalescing both sides. */
    void freeRun(final Chunk chunk, final int g, final int n)
    {
        chunk.markFree(g, n);
        int start = g;
        int len = n;
        if (g > 0 && !chunk.isUsed(g - 1))
        {
            final int left = Chunk.tagValue(chunk.tag(g - 1));
            runs.remove(chunk, g - left, left);
            start -= left;
            len += left;
        }
        final int right = g + n;
        if (right < chunk.granules && !chunk.isUsed(right))
        {
            final int rlen = Chunk.tagValue(chunk.tag(right));
            runs.remove(chunk, right, rlen);
            len += rlen;
        }
        runs.insert(chunk, start, len);
        if (len == chunk.granules && chunk.kind == Chunk.KIND_REGULAR && !chunk.evacuating)
        {
            if (emptyChunks < arena.spareChunks())
            {
                emptyChunks++;
            }
            else
            {
                runs.remove(chunk, 0, len);
                arena.releaseChunk(chunk);
            }
        }
    }

    /** Shrinks the medium block at g from its n granules to n2 &lt; n in place. */
    void shrinkMedium(final Chunk chunk, final int g, final int n2)
    {
        final int n = Chunk.tagValue(chunk.tag(g));
        chunk.setTag(g, Chunk.TAG_BLOCK | n2);
        chunk.addLive(-((long)(n - n2) << SizeClasses.GRANULE_SHIFT));
        freeRun(chunk, g + n2, n - n2);
    }

    /** Grows the medium block at g to n2 granules in place if the run after it is free and long enough. */
    boolean tryGrowMedium(final Chunk chunk, final int g, final int n2)
    {
        final int n = Chunk.tagValue(chunk.tag(g));
        final int right = g + n;
        final int need = n2 - n;
        if (right >= chunk.granules || chunk.isUsed(right))
        {
            return false;
        }
        final int rlen = Chunk.tagValue(chunk.tag(right));
        if (rlen < need)
        {
            return false;
        }
        runs.remove(chunk, right, rlen);
        if (rlen > need)
        {
            runs.insert(chunk, right + need, rlen - need);
        }
        chunk.markUsed(right, need);
        chunk.setTag(g, Chunk.TAG_BLOCK | n2);
        chunk.addLive((long)need << SizeClasses.GRANULE_SHIFT);
        return true;
    }

    /** Registers a new, empty chunk's area as one free run. */
    void addChunk(final Chunk chunk)
    {
        runs.insert(chunk, 0, chunk.granules);
        if (chunk.kind == Chunk.KIND_REGULAR)
        {
            chunkCount++;
            emptyChunks++;
        }
    }

    /** Forgets all slabs and runs (reset); chunks are re-added by the arena. */
    void clear()
    {
        java.util.Arrays.fill(cacheCount, 0);
        java.util.Arrays.fill(mediumCacheCount, 0);
        mediumCachedBlocks = 0;
        mediumCachedBytes = 0;
        java.util.Arrays.fill(current, null);
        java.util.Arrays.fill(partial, null);
        runs.clear();
        emptyChunks = 0;
        heldIdleChunks = 0;
        chunkCount = 0;
        liveBytes = 0;
        noGrow = false;
        modifications++;
    }
}
