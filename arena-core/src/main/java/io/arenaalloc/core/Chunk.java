package io.arenaalloc.core;

import java.util.Arrays;

/**
 * A region of native memory from a {@link MemorySource}, carved into granules.
 *
 * <h2>Vocabulary</h2>
 * <ul>
 *   <li><b>regular</b> chunk: {@code chunkSize} bytes, carved into runs of granules (medium blocks and slabs).</li>
 *   <li><b>region</b> chunk: like regular, but over caller-owned memory; never returned to a source.</li>
 *   <li><b>huge</b> chunk: a dedicated region holding exactly one block; no bitmap.</li>
 *   <li><b>run</b>: consecutive granules, either <i>free</i> or <i>used</i> (a medium block or a slab).</li>
 * </ul>
 *
 * <h2>Layout</h2>
 * <pre>
 *  base                                                                     base + size
 *  |  slab (cls 3)  |   medium block   |      free run       | slab (cls 9) |  free  |
 *  |g0|g1|..|g63    |g64 ........ g79  |g80 ........... g199 |g200 ..  g455 |g456 ..|
 *  used bitmap:  1111...1            1111...1               000 ........ 0 111 .. 1 000..0
 *  slab bitmap:  1111...1            0000...0               000 ........ 0 111 .. 1 000..0
 *  tag(g):       SLAB|3|i at g(i),   BLOCK|len at g64,       FREE_HEAD|len at g80,
 *                i = 0 .. 63         0 inside               FREE_TAIL|len at g199
 *  prev[g]:      slab id at g0                                               slab id at g200
 * </pre>
 *
 * <h2>Per-granule metadata (on the Java heap, out of band: a stray write into native memory cannot
 * corrupt it)</h2>
 * <pre>
 *   long[] used   1 bit a granule: 1 = the granule belongs to a used run. The source of truth.
 *   long[] slabs  1 bit a granule: 1 = the granule belongs to a slab (its tag is SLAB). The free decides
 *                 "small or medium?" on this bit: 1/2048 of the data, so it is in L1 where the meta int
 *                 may not be, and the branch no longer waits on a cache miss (a mispredicted branch that
 *                 waits on a miss pays the miss and the pipeline flush; the meta int then only feeds the
 *                 class and the start-bit check, which the CPU predicts and runs ahead of).
 *   int[]  meta   one int a granule: its tag, and on a slab granule also its start bits, so that the
 *                 small free reads and writes one int (one cache line, shared with 15 neighbours) for both:
 *
 *                 31  29 28                                                               0
 *                 +------+------------------------------------------------------------------+
 *                 | kind |  value (29)                                                      |   other kinds
 *                 +------+------------------------------------------------------------------+
 *                 | SLAB | cls (5)  | offset (8)           | starts (16)                      |   slab granule
 *                 +------+----------+----------------------+----------------------------------+
 *                         28     24   23                 16  15                             0
 *
 *                 kind:   FREE_HEAD | length   first granule of a free run
 *                         FREE_TAIL | length   last granule of a free run longer than one granule
 *                         BLOCK     | length   first granule of a medium block
 *                         CACHED    | length   first granule of a medium fixed block in the free cache
 *                         SLAB                 every granule of a slab: its size class, and its offset
 *                                              from the slab's head granule (a slab is at most
 *                                              {@value #SLAB_OFFSET_LIMIT} granules), so address -&gt; class
 *                                              is one read and address -&gt; slab two ({@link #slabIdAt}:
 *                                              the slab id sits in prev[head])
 *                         0                    anything else. Invariant: no stale tags inside runs.
 *                 starts: fixed heap only: bit i set iff a live small block starts at quantum i of the
 *                 granule (granule address + 16 i). A block in the free cache of {@link Heap} is not
 *                 live; see there. A movable slab keeps them 0.
 *                 {@link #tag} reads the tag without the start bits; {@link #setTag} writes a whole int
 *                 (no start bit is set on a granule whose tag changes: a slab is tagged and untagged
 *                 only while it has no live block).
 *   int[]  next   free run head: next run in its size bin (a run ref), or -1;
 *                 medium movable block head: its handle index
 *   int[]  prev   free run head: previous run in its size bin, or -1;
 *                 slab head granule: the slab's id
 *   short[] slabMap ({@link SlabMap}): per granule of a fixed slab, its class and offset from the slab's head,
 *                 written only when a fixed slab is tagged or untagged, so that other threads can read it
 *                 without pulling the meta ints the owner writes on every small allocate and free
 * </pre>
 * Heap cost: 14.25 bytes per 256-byte granule (5.6% of the chunk, on the Java heap); a huge chunk
 * costs one object. History of the meta array, each step measured on churn: the start bits had their
 * own array until the tag and they shared a word (a small free touched two cache lines of metadata
 * instead of one: about 1.5 ns of a 26 ns churn-small pair and 7 ns of a 71 ns churn-mixed pair); the
 * shared word was a long with the slab id in the tag until the id moved to prev[head] and the word
 * shrank to an int (churn-mixed's metadata halves, one line per 4 KiB of blocks: median of 4 forks
 * 38.1 -> 33.8 ns a pair); the slab bitmap then took the small-or-medium branch off the meta int
 * (median of 6 forks 35.0 -> 33.6 ns).
 */
final class Chunk
{
    static final int KIND_REGULAR = 0;
    static final int KIND_REGION = 1;
    static final int KIND_HUGE = 2;

    static final int TAG_KIND_SHIFT = 29;
    static final int TAG_VALUE_MASK = (1 << TAG_KIND_SHIFT) - 1;
    static final int TAG_FREE_HEAD = 1 << TAG_KIND_SHIFT;
    static final int TAG_FREE_TAIL = 2 << TAG_KIND_SHIFT;
    static final int TAG_BLOCK = 3 << TAG_KIND_SHIFT;
    static final int TAG_SLAB = 4 << TAG_KIND_SHIFT;
    /** First granule of a medium fixed block in the free cache of {@link Heap} (used, free to the user). */
    static final int TAG_CACHED = 5 << TAG_KIND_SHIFT;
    static final int TAG_KIND_MASK = ~TAG_VALUE_MASK;
    /** Shift from an address offset to its quantum: one start bit per {@link SizeClasses#QUANTUM}. */
    static final int START_SHIFT = 4;
    /** Start bits a granule holds: one per quantum; the low bits of a slab granule's meta int. */
    static final int START_BITS = SizeClasses.GRANULE / SizeClasses.QUANTUM;
    static final int STARTS_MASK = (1 << START_BITS) - 1;
    /** Bits of a slab granule's offset from its slab's head granule, above the start bits. */
    static final int SLAB_OFFSET_BITS = 8;
    static final int SLAB_OFFSET_SHIFT = START_BITS;
    static final int SLAB_OFFSET_MASK = (1 << SLAB_OFFSET_BITS) - 1;
    /** Granules a slab may span: every offset fits {@link #SLAB_OFFSET_BITS}. */
    static final int SLAB_OFFSET_LIMIT = 1 << SLAB_OFFSET_BITS;
    /** Bits of a slab granule's size class, between the offset and the kind. */
    static final int SLAB_CLASS_SHIFT = SLAB_OFFSET_SHIFT + SLAB_OFFSET_BITS;
    static final int SLAB_CLASS_BITS = TAG_KIND_SHIFT - SLAB_CLASS_SHIFT;
    static final int SLAB_CLASS_MASK = (1 << SLAB_CLASS_BITS) - 1;

    static
    {
        if (SizeClasses.CLASS_COUNT > 1 << SLAB_CLASS_BITS ||
            SizeClasses.MAX_SLAB_BYTES / SizeClasses.GRANULE > SLAB_OFFSET_LIMIT || START_BITS > Short.SIZE)
        {
            throw new AssertionError("a slab granule's meta int cannot hold its class, offset and start bits");
        }
    }

    // identity: reassigned when a pooled Chunk object is reused for a new region (zero garbage)
    int id;
    final int kind;
    long base;
    long size;
    final int granules;
    /** The heap whose runs live here; null for huge chunks. */
    Heap heap;
    final long[] used;
    /** 1 bit a granule: set iff the granule belongs to a slab (see the class comment). */
    final long[] slabs;
    /** Per granule: tag, and on slab granules the start bits (bits 15..0); see the class comment. */
    final int[] meta;
    final int[] next;
    final int[] prev;
    /**
     * The read-mostly map of this chunk's fixed slabs for other threads ({@link SlabMap}); null for huge chunks.
     * Written with the tags of a fixed slab, in {@link #tagSlab} and {@link #untagSlab}.
     */
    final SlabMap slabMap;

    /** Granules in used runs. */
    int usedGranules;
    /** Bytes of live blocks (usable sizes), for compaction's choice of victims. */
    long liveBytes;
    /**
     * Set while the chunk has no live block but keeps its (empty) current slabs, standing in for a spare
     * chunk: see {@link Heap} "Small free".
     */
    boolean heldIdle;
    /**
     * Set while this chunk is the compactor's victim (detaching, moving or restoring): no release or spare
     * accounting happens behind the compactor's back.
     */
    boolean evacuating;
    /** While detaching: free runs and partial slabs starting at or after this granule are still linked. */
    int linkedFrom;
    /** While restoring: free runs and partial slabs starting before this granule are linked again. */
    int linkedBelow;
    /** {@link #linkedFrom} once the whole chunk is detached. */
    static final int ALL_GRANULES = Integer.MAX_VALUE;
    /** For huge chunks: the address of the block (the base, or above it when over-aligned). */
    long hugeBlockAddress;
    /** For huge movable chunks: the handle index of the block, else -1. */
    int hugeHandleIndex = -1;

    Chunk(final int id, final int kind, final long base, final long size, final Heap heap)
    {
        this.id = id;
        this.kind = kind;
        this.base = base;
        this.size = size;
        this.heap = heap;
        if (kind == KIND_HUGE)
        {
            granules = 0;
            used = null;
            slabs = null;
            meta = null;
            next = null;
            prev = null;
            slabMap = null;
        }
        else
        {
            granules = (int)(size >>> SizeClasses.GRANULE_SHIFT);
            used = new long[(granules + 63) >>> 6];
            slabs = new long[(granules + 63) >>> 6];
            meta = new int[granules];
            next = new int[granules];
            prev = new int[granules];
            slabMap = new SlabMap(granules);
        }
    }

    /** Adjusts the live bytes of this chunk and of its heap. */
    void addLive(final long delta)
    {
        if (heldIdle)
        {
            heap.revive(this);
        }
        liveBytes += delta;
        final Heap h = heap;
        if (h != null && h.movable)
        {
            h.liveBytes += delta; // only the movable heap's total is needed (compaction's O(1) check)
        }
    }

    /**
     * Reuses this (pooled, empty) Chunk object for a new region of the same kind and size: metadata arrays
     * are kept, so taking a chunk in steady state allocates nothing on the Java heap.
     */
    Chunk reuse(final int id, final long base, final long size, final Heap heap)
    {
        this.id = id;
        this.base = base;
        this.size = size;
        this.heap = heap;
        if (kind != KIND_HUGE)
        {
            clear();
        }
        liveBytes = 0;
        evacuating = false;
        linkedFrom = 0;
        linkedBelow = 0;
        heldIdle = false;
        hugeBlockAddress = 0;
        hugeHandleIndex = -1;
        return this;
    }

    boolean isHuge()
    {
        return kind == KIND_HUGE;
    }

    boolean contains(final long address)
    {
        return address - base >= 0 && address - base < size;
    }

    long granuleAddress(final int g)
    {
        return base + ((long)g << SizeClasses.GRANULE_SHIFT);
    }

    int granuleOf(final long address)
    {
        return (int)((address - base) >>> SizeClasses.GRANULE_SHIFT);
    }

    boolean isUsed(final int g)
    {
        return (used[g >>> 6] & (1L << g)) != 0;
    }

    /** @return the highest used granule below {@code g}, or -1. Cost: (distance / 64) + 1 words. */
    int previousUsed(final int g)
    {
        if (g == 0)
        {
            return -1;
        }
        int w = (g - 1) >>> 6;
        long bits = used[w] & (-1L >>> (63 - ((g - 1) & 63)));
        while (bits == 0)
        {
            if (--w < 0)
            {
                return -1;
            }
            bits = used[w];
        }
        return (w << 6) + 63 - Long.numberOfLeadingZeros(bits);
    }

    /** Sets bits [from, from + count). Cost: count / 64 word writes + 2. */
    void markUsed(final int from, final int count)
    {
        setRange(used, from, count, true);
        usedGranules += count;
    }

    /** Clears bits [from, from + count). */
    void markFree(final int from, final int count)
    {
        setRange(used, from, count, false);
        usedGranules -= count;
    }

    static void setRange(final long[] words, final int from, final int count, final boolean value)
    {
        int g = from;
        final int end = from + count;
        while (g < end)
        {
            final int w = g >>> 6;
            final int bit = g & 63;
            final int n = Math.min(64 - bit, end - g);
            final long mask = n == 64 ? -1L : ((1L << n) - 1) << bit;
            if (value)
            {
                words[w] |= mask;
            }
            else
            {
                words[w] &= ~mask;
            }
            g += n;
        }
    }

    /** @return true when every bit in [from, from + count) of the used bitmap has {@code value}. */
    boolean allEqual(final int from, final int count, final boolean value)
    {
        return allEqualIn(used, from, count, value);
    }

    /** @return true when every bit in [from, from + count) of {@code words} has {@code value}. */
    static boolean allEqualIn(final long[] words, final int from, final int count, final boolean value)
    {
        int g = from;
        final int end = from + count;
        while (g < end)
        {
            final int w = g >>> 6;
            final int bit = g & 63;
            final int n = Math.min(64 - bit, end - g);
            final long mask = n == 64 ? -1L : ((1L << n) - 1) << bit;
            final long bits = words[w] & mask;
            if (value ? bits != mask : bits != 0)
            {
                return false;
            }
            g += n;
        }
        return true;
    }

    /** Forgets every run: all granules free, no tags. Cost: granules / 64 + granules word writes. */
    void clear()
    {
        Arrays.fill(used, 0);
        Arrays.fill(slabs, 0);
        Arrays.fill(meta, 0);
        slabMap.clear();
        usedGranules = 0;
        liveBytes = 0;
        evacuating = false;
        linkedFrom = 0;
        linkedBelow = 0;
        heldIdle = false;
    }

    /**
     * @return true when a free run or slab starting at granule {@code g} belongs in the heap's free-run
     * index or partial lists: always, except for the parts of a compaction victim that are detached
     * (before {@link #linkedFrom}, which is 0 unless detaching) and not yet restored (from
     * {@link #linkedBelow}, which is 0 unless restoring).
     */
    boolean linked(final int g)
    {
        return g >= linkedFrom || g < linkedBelow;
    }

    /**
     * A free run [g, g + n) of the compaction victim was just formed (by coalescing): if it crosses a frontier,
     * the frontier moves past its end, so a frontier always sits at a run boundary and a run is linked iff its
     * head is on the linked side.
     */
    void frontiersPast(final int g, final int n)
    {
        final int end = g + n;
        if (g < linkedFrom && end > linkedFrom)
        {
            linkedFrom = end;
        }
        if (g < linkedBelow && end > linkedBelow)
        {
            linkedBelow = end;
        }
    }

    static int tagKind(final int tag)
    {
        return tag & TAG_KIND_MASK;
    }

    static int tagValue(final int tag)
    {
        return tag & TAG_VALUE_MASK;
    }

    /** @return the tag of the granule {@code offset} granules above the head of a slab of class {@code cls}. */
    static int slabTag(final int cls, final int offset)
    {
        return TAG_SLAB | (cls << SLAB_CLASS_SHIFT) | (offset << SLAB_OFFSET_SHIFT);
    }

    static int slabClassOf(final int tag)
    {
        return (tag >>> SLAB_CLASS_SHIFT) & SLAB_CLASS_MASK;
    }

    static int slabOffsetOf(final int tag)
    {
        return (tag >>> SLAB_OFFSET_SHIFT) & SLAB_OFFSET_MASK;
    }

    /** @return the id of the slab that granule {@code g} (tagged SLAB) belongs to: prev[] of its head granule. */
    int slabIdAt(final int g)
    {
        return prev[g - slabOffsetOf(meta[g])];
    }

    /** Tags the {@code granules} granules from {@code g} as slab {@code slabId} of class {@code cls}. */
    void tagSlab(final int g, final int granules, final int cls, final int slabId)
    {
        for (int i = 0; i < granules; i++)
        {
            meta[g + i] = slabTag(cls, i);
        }
        prev[g] = slabId;
        setRange(slabs, g, granules, true);
        if (heap == null || !heap.movable)
        {
            slabMap.tag(g, granules, cls);
        }
    }

    /** Clears the tags and slab bits of the {@code granules} granules of the slab at {@code g} (no live block). */
    void untagSlab(final int g, final int granules)
    {
        Arrays.fill(meta, g, g + granules, 0);
        setRange(slabs, g, granules, false);
        slabMap.untag(g, granules);
    }

    /** @return true when granule {@code g} belongs to a slab (its tag is SLAB). */
    boolean isSlab(final int g)
    {
        return (slabs[g >>> 6] & (1L << g)) != 0;
    }

    /** @return the tag of granule {@code g}, without its start bits. */
    int tag(final int g)
    {
        final int word = meta[g];
        return tagKind(word) == TAG_SLAB ? word & ~STARTS_MASK : word;
    }

    /** Sets the tag of granule {@code g}, a granule with no start bit set (see the class comment). */
    void setTag(final int g, final int tag)
    {
        meta[g] = tag;
    }

    /** @return the start bit of the quantum at {@code offset} (from base) within its granule's meta int. */
    static int startBit(final long offset)
    {
        return 1 << ((int)(offset >>> START_SHIFT) & (START_BITS - 1));
    }

    /** @return the number of start bits set in granule {@code g} (0 for a granule outside slabs). */
    int startCount(final int g)
    {
        final int word = meta[g];
        return tagKind(word) == TAG_SLAB ? Integer.bitCount(word & STARTS_MASK) : 0;
    }

    /** @return true when a live small block starts at {@code address} (fixed heap, inside a slab). */
    boolean isStart(final long address)
    {
        final long offset = address - base;
        if ((offset & (SizeClasses.QUANTUM - 1)) != 0)
        {
            return false;
        }
        final int word = meta[(int)(offset >>> SizeClasses.GRANULE_SHIFT)];
        return tagKind(word) == TAG_SLAB && (word & startBit(offset)) != 0;
    }

    /** Marks the start of a live small block at {@code address}, inside a slab of the fixed heap. */
    void setStart(final long address)
    {
        final long offset = address - base;
        meta[(int)(offset >>> SizeClasses.GRANULE_SHIFT)] |= startBit(offset);
    }

    static String kindName(final int kind)
    {
        switch (kind)
        {
            case KIND_REGULAR: return "regular";
            case KIND_REGION: return "region";
            default: return "huge";
        }
    }

    public String toString()
    {
        return "Chunk{id=" + id + ", kind=" + kindName(kind) + ", base=0x" + Long.toHexString(base) + ", size=" + size +
            ", usedGranules=" + usedGranules + "/" + granules + '}';
    }
}
