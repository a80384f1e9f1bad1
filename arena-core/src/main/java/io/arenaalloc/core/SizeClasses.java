package io.arenaalloc.core;

/**
 * The small size classes, the slab each is cut from, and the granule that medium runs are made of.
 *
 * <h2>Vocabulary</h2>
 * <ul>
 *   <li><b>granule</b>: {@value #GRANULE} bytes, the unit one bit of a chunk's occupancy bitmap covers.
 *   Medium blocks are whole numbers of granules.</li>
 *   <li><b>small</b>: 1 .. {@value #SMALL_MAX} bytes, rounded up to one of {@value #CLASS_COUNT} classes.</li>
 *   <li><b>slab</b>: a run of granules cut into equal blocks of one class; its occupancy is a bitmap of
 *   at most {@value #MAX_SLAB_WORDS} 64-bit words.</li>
 * </ul>
 *
 * <h2>The classes</h2>
 * <pre>
 *   16 .. 128 in steps of 16                      8 classes   (rounding waste &lt;= 15 B)
 *   then four classes per doubling up to 4096:   20 classes   (rounding waste &lt;= 25%, mean ~11%)
 *     160 192 224 256 | 320 384 448 512 | 640 768 896 1024 | 1280 1536 1792 2048 | 2560 3072 3584 4096
 * </pre>
 * Slab bytes = clamp(classSize * 64, 16 KiB, 64 KiB) rounded to granules, so a slab holds 16 .. 1024
 * blocks. {@link #table()} prints every class with its slab and tail waste.
 *
 * <h2>Lookup, O(1)</h2>
 * {@code classOf(size) = CLASS_BY_16[(size - 1) >>> 4]}: one byte-array read for every small size.
 * The block index inside a slab is {@code (offset * reciprocal) >>> 32} with
 * {@code reciprocal = ceil(2^32 / classSize)}: exact for every offset below 2^20 (slabs are at most
 * 2^16 bytes), so no division is done on the free path.
 */
public final class SizeClasses
{
    /** log2 of the granule. */
    public static final int GRANULE_SHIFT = 8;
    /** Bytes one occupancy bit covers; medium blocks are multiples of it. */
    public static final int GRANULE = 1 << GRANULE_SHIFT;
    /** Largest small size; larger requests take a run of granules or a huge chunk. */
    public static final int SMALL_MAX = 4096;
    /** Smallest class, and the minimum alignment of every block. */
    public static final int QUANTUM = 16;
    public static final int CLASS_COUNT = 28;
    public static final int MIN_SLAB_BYTES = 16 << 10;
    public static final int MAX_SLAB_BYTES = 64 << 10;
    /** A slab never holds more than 1024 blocks: 16 words of 64 bits. */
    public static final int MAX_SLAB_WORDS = MIN_SLAB_BYTES / QUANTUM / Long.SIZE;

    private static final int[] CLASS_SIZE = new int[CLASS_COUNT];
    private static final int[] SLAB_BYTES = new int[CLASS_COUNT];
    private static final int[] BLOCKS_PER_SLAB = new int[CLASS_COUNT];
    private static final long[] RECIPROCAL = new long[CLASS_COUNT];
    private static final byte[] CLASS_BY_16 = new byte[SMALL_MAX / QUANTUM];

    static
    {
        int c = 0;
        for (int size = QUANTUM; size <= 128; size += QUANTUM)
        {
            CLASS_SIZE[c++] = size;
        }
        for (int base = 128; base < SMALL_MAX; base <<= 1)
        {
            for (int q = 1; q <= 4; q++)
            {
                CLASS_SIZE[c++] = base + q * (base >> 2);
            }
        }
        if (c != CLASS_COUNT || CLASS_SIZE[CLASS_COUNT - 1] != SMALL_MAX)
        {
            throw new AssertionError("size class table is inconsistent: count=" + c);
        }
        int cls = 0;
        for (int i = 0; i < CLASS_BY_16.length; i++)
        {
            final int size = (i + 1) * QUANTUM;
            while (CLASS_SIZE[cls] < size)
            {
                cls++;
            }
            CLASS_BY_16[i] = (byte)cls;
        }
        for (int i = 0; i < CLASS_COUNT; i++)
        {
            final int size = CLASS_SIZE[i];
            final int slab = Math.min(MAX_SLAB_BYTES, Math.max(MIN_SLAB_BYTES, size * 64));
            SLAB_BYTES[i] = (slab + GRANULE - 1) & -GRANULE;
            BLOCKS_PER_SLAB[i] = SLAB_BYTES[i] / size;
            RECIPROCAL[i] = ((1L << 32) + size - 1) / size;
        }
    }

    private SizeClasses()
    {
    }

    /** @return the class index of a small size, 1 .. {@link #SMALL_MAX}. */
    public static int classOf(final long size)
    {
        return CLASS_BY_16[(int)(size - 1) >>> 4];
    }

    public static int classSize(final int cls)
    {
        return CLASS_SIZE[cls];
    }

    public static int slabBytes(final int cls)
    {
        return SLAB_BYTES[cls];
    }

    public static int slabGranules(final int cls)
    {
        return SLAB_BYTES[cls] >>> GRANULE_SHIFT;
    }

    public static int blocksPerSlab(final int cls)
    {
        return BLOCKS_PER_SLAB[cls];
    }

    /** @return ceil(2^32 / classSize(cls)). */
    public static long reciprocal(final int cls)
    {
        return RECIPROCAL[cls];
    }

    /** @return offset / classSize for any offset below 2^20, without a division. */
    public static int blockIndex(final int cls, final long offset)
    {
        return blockIndexByReciprocal(RECIPROCAL[cls], offset);
    }

    /** As {@link #blockIndex}, for a caller that keeps the class's {@link #reciprocal} at hand (a slab). */
    static int blockIndexByReciprocal(final long reciprocal, final long offset)
    {
        return (int)((offset * reciprocal) >>> 32);
    }

    /** @return granules needed for {@code size} bytes. */
    public static long granulesFor(final long size)
    {
        return (size + GRANULE - 1) >>> GRANULE_SHIFT;
    }

    /** @return the whole table, one class a line. */
    public static String table()
    {
        final StringBuilder sb = new StringBuilder("class  size  slabBytes  blocks  tailWaste\n");
        for (int i = 0; i < CLASS_COUNT; i++)
        {
            sb.append(String.format("%5d %5d %10d %7d %10d%n", i, CLASS_SIZE[i], SLAB_BYTES[i], BLOCKS_PER_SLAB[i],
                SLAB_BYTES[i] - BLOCKS_PER_SLAB[i] * CLASS_SIZE[i]));
        }
        return sb.toString();
    }

    public static void main(final String[] args)
    {
        System.out.print(table());
    }
}
