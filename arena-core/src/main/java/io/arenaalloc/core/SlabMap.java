package io.arenaalloc.core;

/**
 * A read-mostly map of a chunk's fixed slabs, for threads that do not own the chunk: which granules belong to a
 * slab of the fixed heap, of which size class, and where that slab starts. The owner writes it only when it cuts a
 * slab or gives one back (never on an allocation or a free), so a reader on another core finds its lines in the
 * shared state instead of pulling the owner's hot metadata ({@link Chunk}'s meta ints change on every small
 * allocate and free).
 *
 * <h2>Entry (a short per granule)</h2>
 * <pre>
 *   15 .. 13 | 12 ........ 8 | 7 .............. 0
 *   zero     | cls + 1 (5)   | offset (8): granules from the slab's first granule
 *   0 = the granule is not in a fixed slab (a free run, a medium block, a movable slab)
 * </pre>
 * {@code CLASS_SHIFT} = {@link Chunk#SLAB_OFFSET_BITS} (8), so the offset is the meta int's slab offset.
 *
 * <h2>Algorithm of {@link #blockClassAt}</h2>
 * <ol>
 *   <li>g = (address - base) &gt;&gt;&gt; GRANULE_SHIFT; e = entries[g] (a plain read); 0: not a small fixed block.</li>
 *   <li>rel = offset of the address from the slab's first granule; index = rel / classSize by the class's reciprocal
 *   ({@link SizeClasses#blockIndex}); the address is a block start iff index * classSize == rel and index is below
 *   the slab's block count. Tried instead (2026-12-05, FacadeCostBenchmark perThread, 5
 *   forks, two rounds): a divisibility test by the odd part's inverse mod 2^32, 1.2-1.4 ns a pair slower; Lemire's
 *   {@code rel * ceil(2^64 / classSize) <= ceil(2^64 / classSize) - 1}, no faster (15.13-15.76 against 15.23-15.82
 *   ns). A build without the check at all ran 14.58-14.84 ns: the check costs about 0.4-1.2 ns a pair, and one
 *   multiply fewer did not show.</li>
 * </ol>
 * <b>Threading</b>: written by the chunk's owner; read racily by anyone. A reader that got the address of a live
 * block through a happens-before edge from its allocation sees the entries written when its slab was cut (which
 * came before the allocation). A reader holding an address that is not live (a bad free) may read entries that are
 * being changed: it gets a wrong class or -1, never an exception (every index stays inside the array). Callers use
 * it together with {@link FreeMark}.
 */
public final class SlabMap
{
    static final int CLASS_SHIFT = Chunk.SLAB_OFFSET_BITS;
    static final int OFFSET_MASK = (1 << CLASS_SHIFT) - 1;

    private final short[] entries;

    SlabMap(final int granules)
    {
        this.entries = new short[granules];
    }

    /** Owner: the {@code granules} granules from {@code g} form a fixed slab of class {@code cls}. */
    void tag(final int g, final int granules, final int cls)
    {
        for (int i = 0; i < granules; i++)
        {
            entries[g + i] = (short)(((cls + 1) << CLASS_SHIFT) | i);
        }
    }

    /** Owner: the slab at {@code g} is given back. */
    void untag(final int g, final int granules)
    {
        java.util.Arrays.fill(entries, g, g + granules, (short)0);
    }

    /** Owner: the chunk is reused for a new region. */
    void clear()
    {
        java.util.Arrays.fill(entries, (short)0);
    }

    /** For tests: the raw entry of granule {@code g}. */
    int entry(final int g)
    {
        return entries[g];
    }

    /**
     * Any thread: whether {@code address} lies in a fixed slab. With {@link #blockClassAt} returning -1 this proves
     * that the address is not a live block (an address inside a small block, or one freed since): a live small
     * block's start, read through a happens-before edge from its allocation, gets its class, and the granules of a
     * live medium or movable block read 0 (see Threading).
     * @param chunkBase the chunk's base address (from the caller's own record of the chunk).
     * @param address   an address inside the chunk.
     */
    public boolean inSlab(final long chunkBase, final long address)
    {
        final long g = (address - chunkBase) >>> SizeClasses.GRANULE_SHIFT;
        return g < entries.length && entries[(int)g] != 0; // an address below the base: a huge g
    }

    /**
     * Any thread.
     * @param chunkBase the chunk's base address (from the caller's own record of the chunk).
     * @param address   an address inside the chunk: {@code chunkBase <= address < chunkBase + granules * GRANULE}.
     * @return the size class of the small fixed block that starts at {@code address}, or -1 when no such block can
     * start there.
     */
    public int blockClassAt(final long chunkBase, final long address)
    {
        final long offset = address - chunkBase;
        final int g = (int)(offset >>> SizeClasses.GRANULE_SHIFT);
        if (g < 0 || g >= entries.length)
        {
            return -1;
        }
        final int e = entries[g];
        if (e == 0)
        {
            return -1;
        }
        final int cls = (e >>> CLASS_SHIFT) - 1;
        final long rel = offset - ((long)(g - (e & OFFSET_MASK)) << SizeClasses.GRANULE_SHIFT);
        final int index = SizeClasses.blockIndex(cls, rel);
        return (long)index * SizeClasses.classSize(cls) == rel && index < SizeClasses.blocksPerSlab(cls) ? cls : -1;
    }
}
