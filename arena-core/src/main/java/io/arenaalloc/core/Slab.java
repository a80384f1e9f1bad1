package io.arenaalloc.core;

/**
 * A run of granules cut into equal blocks of one size class.
 *
 * <h2>Layout</h2>
 * <pre>
 *   base = chunk.base + startGranule * 256
 *   | block 0 | block 1 | ... | block capacity-1 | tail waste |
 *   free bits:  bits[w] bit b = 1  &lt;=&gt;  block 64w + b is free
 *   summary:    bit w = 1          &lt;=&gt;  bits[w] != 0   (at most 16 words, so one long)
 * </pre>
 *
 * <h2>Allocate (2 bit scans, no loop)</h2>
 * <ol>
 *   <li>w = numberOfTrailingZeros(summary); b = numberOfTrailingZeros(bits[w]).</li>
 *   <li>bits[w] &amp;= bits[w] - 1 (clear lowest set bit); if it became 0, clear bit w of summary.</li>
 *   <li>return base + (64w + b) * classSize.</li>
 * </ol>
 * <h2>Free</h2>
 * index = offset * reciprocal &gt;&gt;&gt; 32 ({@link SizeClasses#blockIndex}); the offset must be exactly
 * index * classSize (else the address is inside a block, not at its start) and the bit must be clear
 * (else the block is already free: a double free). Then set the bit and summary bit w.
 *
 * Slab objects are pooled by their heap (ids are reused; the movable heap's carry a handle array, the
 * fixed heap's do not), so making and dropping slabs in steady state allocates nothing.
 */
final class Slab
{
    final int id;
    final long[] bits = new long[SizeClasses.MAX_SLAB_WORDS];
    long summary;
    int cls;
    int classSize;
    /** ceil(2^32 / classSize), so a block index needs no division. */
    long reciprocal;
    int capacity;
    int free;
    long base;
    Chunk chunk;
    Heap heap;
    int startGranule;
    int granules;
    /** Movable slabs: the handle index of each live block. */
    int[] handles;
    /** Links of the heap's list of partial slabs of this class. */
    Slab next;
    Slab prev;
    boolean inPartialList;
    boolean active;

    Slab(final int id)
    {
        this.id = id;
    }

    void init(final Heap heap, final int cls, final Chunk chunk, final int startGranule)
    {
        this.heap = heap;
        this.cls = cls;
        this.classSize = SizeClasses.classSize(cls);
        this.reciprocal = SizeClasses.reciprocal(cls);
        this.capacity = SizeClasses.blocksPerSlab(cls);
        this.granules = SizeClasses.slabGranules(cls);
        this.chunk = chunk;
        this.startGranule = startGranule;
        this.base = chunk.granuleAddress(startGranule);
        this.free = capacity;
        final int fullWords = capacity >>> 6;
        for (int w = 0; w < fullWords; w++)
        {
            bits[w] = -1L;
        }
        final int rest = capacity & 63;
        int words = fullWords;
        if (rest != 0)
        {
            bits[fullWords] = (1L << rest) - 1;
            words++;
        }
        for (int w = words; w < bits.length; w++)
        {
            bits[w] = 0;
        }
        summary = words == 64 ? -1L : (1L << words) - 1;
        if (heap.movable && handles == null)
        {
            handles = new int[SizeClasses.MIN_SLAB_BYTES / SizeClasses.QUANTUM];
        }
        next = null;
        prev = null;
        inPartialList = false;
        active = true;
    }

    /** @return the index of a newly allocated block; the slab must have a free block. */
    int allocateIndex()
    {
        final int w = Long.numberOfTrailingZeros(summary);
        final long word = bits[w];
        final int b = Long.numberOfTrailingZeros(word);
        final long rest = word & (word - 1);
        bits[w] = rest;
        if (rest == 0)
        {
            summary &= ~(1L << w);
        }
        free--;
        return (w << 6) + b;
    }

    long addressOf(final int index)
    {
        return base + (long)index * classSize;
    }

    /**
     * @return the block index for a block start address, or -1 if the address is not the start of a
     * block of this slab.
     */
    int indexOf(final long address)
    {
        final long offset = address - base;
        if (offset < 0)
        {
            return -1;
        }
        final int index = SizeClasses.blockIndexByReciprocal(reciprocal, offset);
        if (index >= capacity || (long)index * classSize != offset)
        {
            return -1;
        }
        return index;
    }

    boolean isAllocated(final int index)
    {
        return (bits[index >>> 6] & (1L << index)) == 0;
    }

    void freeIndex(final int index)
    {
        final int w = index >>> 6;
        bits[w] |= 1L << index;
        summary |= 1L << w;
        free++;
    }

    int live()
    {
        return capacity - free;
    }

    public String toString()
    {
        return "Slab{id=" + id + ", cls=" + cls + ", classSize=" + classSize + ", live=" + live() + "/" + capacity +
            ", base=0x" + Long.toHexString(base) + '}';
    }
}
