package io.arenaalloc.core;

import org.agrona.collections.IntHashSet;

/**
 * Checks every invariant of an arena and names the first one broken.
 *
 * <h2>Invariants checked, in order</h2>
 * <ol>
 *   <li>Chunks: registered in the {@link ChunkMap} under their own id; regular chunks belong to a heap.</li>
 *   <li>Runs tile each regular chunk: walking from granule 0, every run starts with FREE_HEAD, BLOCK or
 *   SLAB; its bits are all clear (free) or all set (used); granules inside a run carry no tag (slabs:
 *   granule i tagged SLAB|cls|i, the slab's id in prev[] of its head, every granule's slab bit set); a free
 *   run longer than one granule ends with a matching FREE_TAIL; no two free runs are adjacent (coalescing is
 *   complete).</li>
 *   <li>Counts: usedGranules equals the bits set; the slab bits set equal the granules of the slabs;
 *   liveBytes equals the sum of live blocks.</li>
 *   <li>Slabs: active, in this chunk at this granule; summary bit w set iff free bits in word w; free
 *   count equals the free bits; no free bit beyond capacity; a partial-list slab has free blocks and is
 *   not current; movable slabs name a live handle for every allocated block, and that handle's address
 *   is the block.</li>
 *   <li>Free-run index: every linked run is a FREE_HEAD of a non-evacuating chunk of that heap, in the
 *   bin of its length, with consistent prev links; the non-empty bitmap matches; every free run of a
 *   non-evacuating chunk is linked exactly once; the heap's free-granule count matches.</li>
 *   <li>Medium movable blocks and huge movable chunks name a live handle that points back at them, except the
 *   destination of the compactor's staged move in progress (marked {@code Compactor.STAGED}), which must be the
 *   one block the compactor names.</li>
 *   <li>Free cache (small and medium fixed blocks): each small entry is an allocated block of its class with
 *   a clear start bit, each medium entry a CACHED run of its length, no duplicates, counts and byte limit match; a fixed slab block's start bit is set only if the slab counts it
 *   allocated; start bits exist for live blocks only.</li>
 *   <li>Totals: committed bytes equal the sum of regular and huge chunk sizes; the arena's live bytes
 *   equal the sum over chunks less the free cache's bytes and a staged move's destination; live handles equal
 *   the movable blocks found.</li>
 *   <li>Debug mode: every live block's guard bytes are intact.</li>
 * </ol>
 */
final class ArenaValidator
{
    private final OffHeapArena arena;
    private final HandleTable handles;
    private long movableBlocks;
    private long stagedBytes;
    private long cachedFound;
    private long mediumCachedFound;
    private long startsFound;

    ArenaValidator(final OffHeapArena arena)
    {
        this.arena = arena;
        this.handles = arena.handles();
    }

    private static ArenaCorruptionException fail(final String message)
    {
        return new ArenaCorruptionException(message);
    }

    void validate()
    {
        final ChunkMap map = arena.chunkMap();
        long committed = 0;
        long live = 0;
        final IntHashSet linkedFixed = new IntHashSet();
        final IntHashSet linkedMovable = new IntHashSet();
        checkIndex(arena.fixedHeap(), linkedFixed);
        checkIndex(arena.movableHeap(), linkedMovable);
        long freeFixed = 0;
        long freeMovable = 0;
        long heapLiveFixed = 0;
        long heapLiveMovable = 0;
        for (int id = 0; id < arena.chunkIdLimit(); id++)
        {
            final Chunk c = map.byId(id);
            if (c == null)
            {
                continue;
            }
            if (c.id != id)
            {
                throw fail("chunk registered under id " + id + " has id " + c.id);
            }
            if (map.find(c.base) != c || map.find(c.base + c.size - 1) != c)
            {
                throw fail(c + " is not found by address in the chunk map");
            }
            if (c.isHuge())
            {
                committed += c.size;
                final long size = c.size - (c.hugeBlockAddress - c.base);
                live += size;
                if (c.hugeHandleIndex >= 0)
                {
                    movableBlocks++;
                    checkHandleBack(c.hugeHandleIndex, c.hugeBlockAddress, c);
                }
                checkGuard(c.hugeBlockAddress, size - arena.guardBytes());
                continue;
            }
            if (c.kind == Chunk.KIND_REGULAR)
            {
                committed += c.size;
            }
            final Heap heap = c.heap;
            if (heap != arena.fixedHeap() && heap != arena.movableHeap())
            {
                throw fail(c + " belongs to no heap of this arena");
            }
            final long linkedFree = checkRuns(c, heap == arena.fixedHeap() ? linkedFixed : linkedMovable);
            if (heap == arena.fixedHeap())
            {
                freeFixed += linkedFree;
            }
            else
            {
                freeMovable += linkedFree;
            }
            live += c.liveBytes;
            if (heap == arena.fixedHeap())
            {
                heapLiveFixed += c.liveBytes;
            }
            else
            {
                heapLiveMovable += c.liveBytes;
            }
        }
        if (!linkedFixed.isEmpty() || !linkedMovable.isEmpty())
        {
            throw fail("free-run index links runs that no chunk walk found: fixed=" + linkedFixed + " movable=" +
                linkedMovable);
        }
        if (freeFixed != arena.fixedHeap().runs.freeGranules())
        {
            throw fail("fixed heap index counts freeGranules=" + arena.fixedHeap().runs.freeGranules() +
                ", chunks hold " + freeFixed);
        }
        if (freeMovable != arena.movableHeap().runs.freeGranules())
        {
            throw fail("movable heap index counts freeGranules=" + arena.movableHeap().runs.freeGranules() +
                ", chunks hold " + freeMovable);
        }
        if (arena.fixedHeap().liveBytes != 0 || heapLiveMovable != arena.movableHeap().liveBytes)
        {
            throw fail("heap live bytes fixed=" + arena.fixedHeap().liveBytes + " movable=" +
                arena.movableHeap().liveBytes + ", chunks hold fixed=" + heapLiveFixed + " movable=" + heapLiveMovable);
        }
        if (committed != arena.committedBytes())
        {
            throw fail("committedBytes=" + arena.committedBytes() + ", chunks add up to " + committed);
        }
        if ((stagedBytes != 0) != (arena.stagedDestination() != 0))
        {
            throw fail("the compactor's staged destination is 0x" + Long.toHexString(arena.stagedDestination()) +
                ", the chunks hold " + stagedBytes + " bytes of staged destination");
        }
        if (live - arena.fixedHeap().cachedBytes() - stagedBytes != arena.sumLiveBytes())
        {
            throw fail("liveBytes=" + arena.sumLiveBytes() + ", chunks add up to " + live + " of which the free cache holds " +
                arena.fixedHeap().cachedBytes() + " and a staged move's destination " + stagedBytes);
        }
        if (movableBlocks != handles.liveHandles())
        {
            throw fail("live handles=" + handles.liveHandles() + ", movable blocks found=" + movableBlocks);
        }
        checkFreeCache(arena.fixedHeap());
        checkSlabLists(arena.fixedHeap());
        checkSlabLists(arena.movableHeap());
        checkHeldIdle(arena.fixedHeap());
        checkHeldIdle(arena.movableHeap());
    }

    private void checkIndex(final Heap heap, final IntHashSet linked)
    {
        final FreeRunIndex runs = heap.runs;
        final long[] free = {0};
        runs.forEachRun((bin, prevRef, chunk, g) ->
        {
            if (chunk == null)
            {
                throw fail("free-run index bin " + bin + " links a run of a chunk that is gone");
            }
            if (chunk.heap != heap || !chunk.linked(g))
            {
                throw fail("free-run index bin " + bin + " links granule " + g + " of " + chunk +
                    (chunk.heap == heap ? ", a detached part of the compaction victim" : ", which belongs to another heap"));
            }
            final int tag = chunk.tag(g);
            if (Chunk.tagKind(tag) != Chunk.TAG_FREE_HEAD)
            {
                throw fail("free-run index bin " + bin + " links granule " + g + " of " + chunk +
                    ", whose tag is 0x" + Integer.toHexString(tag) + ", expected FREE_HEAD");
            }
            final int len = Chunk.tagValue(tag);
            if (FreeRunIndex.binOf(len) != bin)
            {
                throw fail("free run of length " + len + " at granule " + g + " of " + chunk + " is in bin " + bin +
                    ", expected bin " + FreeRunIndex.binOf(len));
            }
            if (chunk.prev[g] != prevRef)
            {
                throw fail("free run at granule " + g + " of " + chunk + " has prev=" + chunk.prev[g] + ", expected " +
                    prevRef);
            }
            if (!linked.add(runs.ref(chunk, g)))
            {
                throw fail("free run at granule " + g + " of " + chunk + " is linked twice");
            }
            free[0] += len;
        });
        for (int bin = 0; bin < runs.binCount(); bin++)
        {
            if (runs.binMarkedNonEmpty(bin) != (runs.binHead(bin) != -1))
            {
                throw fail("free-run index bin " + bin + " non-empty bit=" + runs.binMarkedNonEmpty(bin) +
                    " but head=" + runs.binHead(bin));
            }
        }
        if (free[0] != runs.freeGranules())
        {
            throw fail("free-run index counts freeGranules=" + runs.freeGranules() + ", its lists hold " + free[0]);
        }
    }

    /** @return the free granules of the chunk's runs that belong in the free-run index ({@link Chunk#linked}). */
    private long checkRuns(final Chunk c, final IntHashSet linked)
    {
        int g = 0;
        int usedBits = 0;
        int slabGranules = 0;
        long liveBytes = 0;
        long linkedGranules = 0;
        boolean previousFree = false;
        while (g < c.granules)
        {
            final int tag = c.tag(g);
            final int kind = Chunk.tagKind(tag);
            final int value = Chunk.tagValue(tag);
            if (kind == Chunk.TAG_FREE_HEAD)
            {
                final int len = value;
                checkLength(c, g, len);
                if (previousFree)
                {
                    throw fail("free runs adjacent at granule " + g + " of " + c + ": coalescing missed them");
                }
                if (!c.allEqual(g, len, false))
                {
                    throw fail("free run [" + g + ", " + (g + len) + ") of " + c + " has used bits");
                }
                checkInteriorUntagged(c, g, len, true);
                if (len > 1 && c.tag(g + len - 1) != (Chunk.TAG_FREE_TAIL | len))
                {
                    throw fail("free run at granule " + g + " of " + c + " (length " + len + ") has tail tag 0x" +
                        Integer.toHexString(c.tag(g + len - 1)) + ", expected FREE_TAIL|" + len);
                }
                if (c.linked(g) && !linked.remove(c.heap.runs.ref(c, g)))
                {
                    throw fail("free run at granule " + g + " (length " + len + ") of " + c +
                        " is not linked in the free-run index");
                }
                if (c.linked(g))
                {
                    linkedGranules += len;
                }
                previousFree = true;
                g += len;
            }
            else if (kind == Chunk.TAG_CACHED)
            {
                final int len = value;
                checkLength(c, g, len);
                if (c.heap.movable || !c.allEqual(g, len, true))
                {
                    throw fail("cached block [" + g + ", " + (g + len) + ") of " + c +
                        " is in the movable heap or has clear bits");
                }
                checkInteriorUntagged(c, g, len, false);
                liveBytes += (long)len << SizeClasses.GRANULE_SHIFT; // the chunk counts it used until the cache lets go
                usedBits += len;
                mediumCachedFound++;
                previousFree = false;
                g += len;
            }
            else if (kind == Chunk.TAG_BLOCK)
            {
                final int len = value;
                checkLength(c, g, len);
                if (!c.allEqual(g, len, true))
                {
                    throw fail("block [" + g + ", " + (g + len) + ") of " + c + " has clear bits");
                }
                checkInteriorUntagged(c, g, len, false);
                final long bytes = (long)len << SizeClasses.GRANULE_SHIFT;
                liveBytes += bytes;
                usedBits += len;
                if (c.heap.movable && c.next[g] == Compactor.STAGED)
                {
                    if (c.granuleAddress(g) != arena.stagedDestination())
                    {
                        throw fail("block at 0x" + Long.toHexString(c.granuleAddress(g)) + " in " + c +
                            " is marked as a staged move's destination, but the compactor's staged destination is 0x" +
                            Long.toHexString(arena.stagedDestination()));
                    }
                    stagedBytes += bytes; // its copy, guard bytes included, is still under way
                }
                else
                {
                    if (c.heap.movable)
                    {
                        movableBlocks++;
                        checkHandleBack(c.next[g], c.granuleAddress(g), c);
                    }
                    checkGuard(c.granuleAddress(g), bytes - arena.guardBytes());
                }
                previousFree = false;
                g += len;
            }
            else if (kind == Chunk.TAG_SLAB)
            {
                if (Chunk.slabOffsetOf(tag) != 0)
                {
                    throw fail("granule " + g + " of " + c + " follows a run but is tagged as granule " +
                        Chunk.slabOffsetOf(tag) + " of a slab, expected its head (offset 0)");
                }
                final Slab s = arena.slab(c.slabIdAt(g));
                checkSlab(c, g, s);
                liveBytes += (long)s.live() * s.classSize;
                usedBits += s.granules;
                slabGranules += s.granules;
                previousFree = false;
                g += s.granules;
            }
            else
            {
                throw fail("granule " + g + " of " + c + " starts no run: tag 0x" + Integer.toHexString(tag) +
                    ", expected FREE_HEAD, BLOCK, CACHED or SLAB");
            }
        }
        int bits = 0;
        for (final long w : c.used)
        {
            bits += Long.bitCount(w);
        }
        if (bits != c.usedGranules || usedBits != c.usedGranules)
        {
            throw fail(c + " counts usedGranules=" + c.usedGranules + ", bitmap has " + bits + ", runs add up to " +
                usedBits);
        }
        int slabBits = 0;
        for (final long w : c.slabs)
        {
            slabBits += Long.bitCount(w);
        }
        if (slabBits != slabGranules)
        {
            throw fail(c + " has " + slabBits + " slab bits, its slabs span " + slabGranules + " granules");
        }
        if (liveBytes != c.liveBytes)
        {
            throw fail(c + " counts liveBytes=" + c.liveBytes + ", its blocks add up to " + liveBytes);
        }
        return linkedGranules;
    }

    private static void checkLength(final Chunk c, final int g, final int len)
    {
        if (len <= 0 || g + len > c.granules)
        {
            throw fail("run at granule " + g + " of " + c + " has length " + len + ", expected 1.." + (c.granules - g));
        }
    }

    private static void checkInteriorUntagged(final Chunk c, final int g, final int len, final boolean free)
    {
        final int end = free && len > 1 ? g + len - 1 : g + len;
        for (int i = g + 1; i < end; i++)
        {
            if (c.tag(i) != 0)
            {
                throw fail("granule " + i + " inside the " + (free ? "free run" : "block") + " [" + g + ", " + (g + len) +
                    ") of " + c + " has stale tag 0x" + Integer.toHexString(c.tag(i)));
            }
        }
    }

    private void checkSlab(final Chunk c, final int g, final Slab s)
    {
        if (!s.active || s.chunk != c || s.startGranule != g || s.heap != c.heap)
        {
            throw fail("granule " + g + " of " + c + " is tagged for " + s + ", which is not active there");
        }
        for (int i = 0; i < s.granules; i++)
        {
            if (g + i >= c.granules || c.tag(g + i) != Chunk.slabTag(s.cls, i))
            {
                throw fail("granule " + (g + i) + " of " + s + " in " + c + " is not tagged SLAB|" + s.cls + "|" + i);
            }
        }
        if (!Chunk.allEqualIn(c.slabs, g, s.granules, true))
        {
            throw fail(s + " in " + c + " has granules whose slab bit is clear");
        }
        if (c.prev[g] != s.id)
        {
            throw fail("head granule " + g + " of " + s + " in " + c + " names slab " + c.prev[g] + ", expected " + s.id);
        }
        if (!c.allEqual(g, s.granules, true))
        {
            throw fail(s + " in " + c + " has clear bits");
        }
        int free = 0;
        for (int w = 0; w < s.bits.length; w++)
        {
            final long word = s.bits[w];
            free += Long.bitCount(word);
            if (((s.summary >>> w) & 1) != (word != 0 ? 1 : 0))
            {
                throw fail(s + " summary bit " + w + " disagrees with its free word 0x" + Long.toHexString(word));
            }
            final int firstBeyond = Math.max(0, s.capacity - (w << 6));
            if (firstBeyond < 64 && (word >>> firstBeyond) != 0)
            {
                throw fail(s + " marks blocks beyond its capacity " + s.capacity + " free in word " + w);
            }
        }
        if (free != s.free)
        {
            throw fail(s + " counts free=" + s.free + ", its bitmap has " + free);
        }
        for (int i = 0; i < s.capacity; i++)
        {
            if (s.isAllocated(i))
            {
                if (s.heap.movable)
                {
                    movableBlocks++;
                    checkHandleBack(s.handles[i], s.addressOf(i), c);
                }
                else if (!c.isStart(s.addressOf(i)))
                {
                    cachedFound++; // in the free cache: checked against the cache's entries (poisoned in debug mode)
                    continue;
                }
                else
                {
                    startsFound++;
                }
                checkGuard(s.addressOf(i), s.classSize - arena.guardBytes());
            }
            else if (!s.heap.movable && c.isStart(s.addressOf(i)))
            {
                throw fail(s + " block " + i + " is free but its start bit is set");
            }
        }
    }

    /**
     * Free cache of the fixed heap: every entry is a block of its class whose slab counts it allocated and
     * whose start bit is clear, no block twice; the counts add up; start bits exist only for live blocks.
     */
    private void checkFreeCache(final Heap heap)
    {
        final org.agrona.collections.LongHashSet seen = new org.agrona.collections.LongHashSet();
        long blocks = 0;
        long bytes = 0;
        for (int cls = 0; cls < SizeClasses.CLASS_COUNT; cls++)
        {
            final int n = heap.cacheCount[cls];
            if (n < 0 || n > Heap.CACHE_SLOTS)
            {
                throw fail("free cache of class " + cls + " counts " + n + " entries, expected 0.." + Heap.CACHE_SLOTS);
            }
            for (int k = 0; k < n; k++)
            {
                final long address = heap.cacheAddress[cls * Heap.CACHE_SLOTS + k];
                final Chunk chunk = arena.chunkMap().byId(heap.cacheChunk[cls * Heap.CACHE_SLOTS + k]);
                if (chunk == null || arena.chunkMap().find(address) != chunk || chunk.heap != heap)
                {
                    throw fail("free cache entry 0x" + Long.toHexString(address) + " of class " + cls +
                        " names chunk " + chunk + ", expected the fixed chunk that holds it");
                }
                final int tag = chunk.tag(chunk.granuleOf(address));
                if (Chunk.tagKind(tag) != Chunk.TAG_SLAB || Chunk.slabClassOf(tag) != cls)
                {
                    throw fail("free cache entry 0x" + Long.toHexString(address) + " of class " + cls +
                        " lies in no slab of that class (tag 0x" + Integer.toHexString(tag) + ")");
                }
                final Slab slab = arena.slab(chunk.slabIdAt(chunk.granuleOf(address)));
                final int index = slab.indexOf(address);
                if (index < 0 || !slab.isAllocated(index) || chunk.isStart(address))
                {
                    throw fail("free cache entry 0x" + Long.toHexString(address) + " of " + slab +
                        " is not an allocated block with a clear start bit");
                }
                if (!seen.add(address))
                {
                    throw fail("free cache holds 0x" + Long.toHexString(address) + " twice");
                }
                blocks++;
                bytes += SizeClasses.classSize(cls);
            }
        }
        long mediumBlocks = 0;
        long mediumBytes = 0;
        for (int n = 0; n < heap.mediumCacheCount.length; n++)
        {
            final int k = heap.mediumCacheCount[n];
            if (k < 0 || k > Heap.MEDIUM_CACHE_SLOTS || (k > 0 && n == 0))
            {
                throw fail("free cache of medium length " + n + " counts " + k + " entries, expected 0.." +
                    Heap.MEDIUM_CACHE_SLOTS);
            }
            for (int j = 0; j < k; j++)
            {
                final long address = heap.mediumCacheAddress[n * Heap.MEDIUM_CACHE_SLOTS + j];
                final Chunk chunk = arena.chunkMap().byId(heap.mediumCacheChunk[n * Heap.MEDIUM_CACHE_SLOTS + j]);
                if (chunk == null || arena.chunkMap().find(address) != chunk || chunk.heap != heap ||
                    chunk.granuleAddress(chunk.granuleOf(address)) != address ||
                    chunk.tag(chunk.granuleOf(address)) != (Chunk.TAG_CACHED | n))
                {
                    throw fail("free cache entry 0x" + Long.toHexString(address) + " of medium length " + n +
                        " is not a CACHED|" + n + " block of its chunk " + chunk);
                }
                if (!seen.add(address))
                {
                    throw fail("free cache holds 0x" + Long.toHexString(address) + " twice");
                }
                mediumBlocks++;
                mediumBytes += (long)n << SizeClasses.GRANULE_SHIFT;
            }
        }
        if (mediumBlocks != heap.mediumCachedBlocks || mediumBytes != heap.mediumCachedBytes ||
            mediumBlocks != mediumCachedFound || mediumBytes > heap.mediumCacheLimit)
        {
            throw fail("medium free cache counts " + heap.mediumCachedBlocks + " blocks, " + heap.mediumCachedBytes +
                " bytes (limit " + heap.mediumCacheLimit + "); entries add up to " + mediumBlocks + " blocks, " +
                mediumBytes + " bytes; chunks hold " + mediumCachedFound + " CACHED blocks");
        }
        blocks += mediumBlocks;
        bytes += mediumBytes;
        cachedFound += mediumCachedFound;
        if (blocks != heap.cachedBlocks() || bytes != heap.cachedBytes() || blocks != cachedFound)
        {
            throw fail("free cache counts " + heap.cachedBlocks() + " blocks, " + heap.cachedBytes() + " bytes; entries add up to " +
                blocks + " blocks, " + bytes + " bytes; slabs hold " + cachedFound + " allocated blocks with a clear start bit");
        }
        long bits = 0;
        for (int id = 0, limit = arena.chunkIdLimit(); id < limit; id++)
        {
            final Chunk c = arena.chunkMap().byId(id);
            if (c != null && c.heap == heap && !c.isHuge())
            {
                for (int g = 0; g < c.granules; g++)
                {
                    bits += c.startCount(g);
                }
            }
        }
        if (bits != startsFound)
        {
            throw fail("fixed chunks hold " + bits + " start bits, expected one per live small block: " + startsFound);
        }
    }

    private void checkSlabLists(final Heap heap)
    {
        for (int cls = 0; cls < SizeClasses.CLASS_COUNT; cls++)
        {
            final Slab cur = heap.current[cls];
            if (cur != null && (!cur.active || cur.cls != cls || cur.inPartialList || cur.heap != heap))
            {
                throw fail("current slab of class " + cls + " is " + cur + ", which is inactive, of another class or heap, " +
                    "or in the partial list");
            }
            Slab prev = null;
            for (Slab s = heap.partial[cls]; s != null; s = s.next)
            {
                if (!s.active || !s.inPartialList || s.cls != cls || s.prev != prev || s == cur || s.free == 0 ||
                    !s.chunk.linked(s.startGranule))
                {
                    throw fail("partial list of class " + cls + " holds " + s + " (inList=" + s.inPartialList +
                        ", current=" + (s == cur) + ", detached=" + !s.chunk.linked(s.startGranule) + ")");
                }
                prev = s;
            }
        }
    }

    private void checkHandleBack(final int index, final long address, final Chunk c)
    {
        if (index < 0 || index >= handles.slotCount() || !handles.isLiveAt(index))
        {
            throw fail("movable block at 0x" + Long.toHexString(address) + " in " + c + " names handle slot " + index +
                ", which is not live");
        }
        if (handles.addressAt(index) != address)
        {
            throw fail("handle slot " + index + " points at 0x" + Long.toHexString(handles.addressAt(index)) +
                ", but its block is at 0x" + Long.toHexString(address));
        }
    }

    private void checkGuard(final long address, final long usable)
    {
        if (arena.guardBytes() > 0)
        {
            arena.checkGuard(address, usable);
        }
    }

    private void checkHeldIdle(final Heap heap)
    {
        int held = 0;
        for (int id = 0; id < arena.chunkIdLimit(); id++)
        {
            final Chunk c = arena.chunkMap().byId(id);
            if (c != null && c.heap == heap && c.heldIdle)
            {
                if (c.liveBytes != 0 || c.usedGranules == 0)
                {
                    throw fail(c + " is held idle with liveBytes=" + c.liveBytes + ", expected a chunk with no live block " +
                        "that still holds empty slabs");
                }
                held++;
            }
        }
        if (held != heap.heldIdleChunks)
        {
            throw fail("heap counts heldIdleChunks=" + heap.heldIdleChunks + ", chunks flagged: " + held);
        }
    }
}
