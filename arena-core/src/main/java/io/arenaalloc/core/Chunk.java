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
 *  tag(g):       SLAB|id on every    BLOCK|len at g64,       FREE_HEAD|len at g80,
 *                granule of a slab   0 inside               FREE_TAIL|len at g199
 * </pre>
 *
 * <h2>Per-granule metadata (on the Java heap, out of band: a stray write into native memory cannot
 * corrupt it)</h2>
 * <pre>
 *   long[] used   1 bit a granule: 1 = the granule belongs to a used run. The source of truth.
 *   long[] meta   one word a granule, the tag and the granule's start bits side by side, so that the
 *                 small free reads and writes one word (one cache line) for both:
 *
 *                 63       48 47            32 31  29 28                                  0
 *                 +----------+----------------+------+-------------------------------------+
 *                 |    0     | starts (16)    | kind |  value (29)                         |
 *                 +----------+----------------+------+-------------------------------------+
 *
 *                 starts: fixed heap, slab granules only: bit i set iff a live small block starts
 *                 at quantum i of the granule (granule address + 16 i). A block in the free cache of
 *                 {@link Heap} is not live; see there. Every other granule keeps them 0.
 *                 tag = (int) meta[g], read with {@link #tag}, written with {@link #setTag} (which
 *                 keeps the start bits):
 *   tag           bits 31..29 kind, bits 28..0 value:
 *                   FREE_HEAD | length   first granule of a free run
 *                   FREE_TAIL | length   last granule of a free run longer than one granule
 *                   BLOCK     | length   first granule of a medium block
 *                   CACHED    | length   first granule of a medium fixed block in the free cache
 *                   SLAB      | cls (5) | slabId (24)
 *                                        every granule of a slab (address -&gt; slab and class in O(1))
 *                   0                    anything else. Invariant: no stale tags inside runs.
 *   int[]  next   free run head: next run in its size bin (a run ref), or -1;
 *                 medium movable block head: its handle index
 *   int[]  prev   free run head: previous run in its size bin, or -1
 * </pre>
 * Heap cost: 16.125 bytes per 256-byte granule (6.3% of the chunk, on the Java heap); a huge chunk
 * costs one object. (The start bits had their own array until the tag and they shared a word: a small
 * free then touched two cache lines of metadata instead of one, which cost about 1.5 ns of a 26 ns
 * churn-small pair and 7 ns of a 71 ns churn-mixed pair.)
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
    /** Bits of a slab tag's value that hold the slab id; the size class sits above them. */
    static final int SLAB_ID_BITS = 24;
    static final int SLAB_ID_MASK = (1 << SLAB_ID_BITS) - 1;
    static final int SLAB_CLASS_BITS = TAG_KIND_SHIFT - SLAB_ID_BITS;
    static final int SLAB_CLASS_MASK = (1 << SLAB_CLASS_BITS) - 1;
    /** Shift from an address offset to its quantum: one start bit per {@link SizeClasses#QUANTUM}. */
    static final int START_SHIFT = 4;
    /** Start bits a granule holds: one per quantum. */
    static final int START_BITS = SizeClasses.GRANULE / SizeClasses.QUANTUM;
    /** Position of a granule's start bits in its {@link #meta} word: above the 32-bit tag. */
    static final int STARTS_SHIFT = Integer.SIZE;
    static final long STARTS_MASK = ((1L << START_BITS) - 1) << STARTS_SHIFT;
    static final long TAG_MASK = (1L << Integer.SIZE) - 1;

    // identity: reassigned when a pooled Chunk object is reused for a new region (zero garbage)
    int id;
    final int kind;
    long base;
    long size;
    final int granules;
    /** The heap whose runs live here; null for huge chunks. */
    Heap heap;
    final long[] used;
    /** Per granule: tag (bits 31..0) and start bits (bits 47..32); see the class comment. */
    final long[] meta;
    final int[] next;
    final int[] prev;

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
            meta = null;
            next = null;
            prev = null;
        }
        else
        {
            granules = (int)(size >>> SizeClasses.GRANULE_SHIFT);
            used = new long[(granules + 63) >>> 6];
            meta = new long[granules];
            next = new int[granules];
            prev = new int[granules];
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

    /** @return true when every bit in [from, from + count) has {@code value}. */
    boolean allEqual(final int from, final int count, final boolean value)
    {
        int g = from;
        final int end = from + count;
        while (g < end)
        {
            final int w = g >>> 6;
            final int bit = g & 63;
            final int n = Math.min(64 - bit, end - g);
            final long mask = n == 64 ? -1L : ((1L << n) - 1) << bit;
            final long bits = used[w] & mask;
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
        Arrays.fill(meta, 0);
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

    static int slabTag(final int cls, final int slabId)
    {
        return TAG_SLAB | (cls << SLAB_ID_BITS) | slabId;
    }

    static int slabIdOf(final int tag)
    {
        return tag & SLAB_ID_MASK;
    }

    static int slabClassOf(final int tag)
    {
        return (tag >>> SLAB_ID_BITS) & SLAB_CLASS_MASK;
    }

    /** @return the tag of granule {@code g} (the low half of its meta word). */
    int tag(final int g)
    {
        return (int)meta[g];
    }

    /** Sets the tag of granule {@code g}; its start bits stay as they are. */
    void setTag(final int g, final int tag)
    {
        meta[g] = (meta[g] & STARTS_MASK) | (tag & TAG_MASK);
    }

    /** @return the start bit of the quantum at {@code offset} (from base) within its granule's meta word. */
    static long startBit(final long offset)
    {
        return 1L << (STARTS_SHIFT + (int)((offset >>> START_SHIFT) & (START_BITS - 1)));
    }

    /** @return the number of start bits set in granule {@code g}. */
    int startCount(final int g)
    {
        return Long.bitCount(meta[g] & STARTS_MASK);
    }

    /** @return true when a live small block starts at {@code address} (fixed heap, inside a slab). */
    boolean isStart(final long address)
    {
        final long offset = address - base;
        return (offset & (SizeClasses.QUANTUM - 1)) == 0 &&
            (meta[(int)(offset >>> SizeClasses.GRANULE_SHIFT)] & startBit(offset)) != 0;
    }

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
