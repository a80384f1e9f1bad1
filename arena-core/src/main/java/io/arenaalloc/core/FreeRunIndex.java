package io.arenaalloc.core;

/**
 * Size-indexed summary of the free runs of one {@link Heap}: best fit without scanning the heap.
 *
 * <h2>Vocabulary</h2>
 * A <b>run ref</b> names a run as one int: {@code chunkId << granuleBits | firstGranule}.
 * A <b>bin</b> holds the runs of one size range, as a doubly linked list threaded through the chunks'
 * {@code next}/{@code prev} arrays (out of band, on the heap).
 *
 * <h2>Bins (two levels, as TLSF)</h2>
 * <pre>
 *   length n (granules)     bin
 *   1 .. 15                 n                                      exact bins
 *   &gt;= 16                   16 + (fl - 4) * 16 + sl                fl = floor(log2 n), sl = next 4 bits
 *   e.g. n = 100 = 0b1100100: fl = 6, sl = 0b1001 = 9 -&gt; bin 16 + 32 + 9 = 57, covering 100 .. 103
 *   bins are at most 16 + 20 * 16 = 336 -&gt; a bitmap of 6 words marks the non-empty ones
 * </pre>
 *
 * <h2>Find, for n granules</h2>
 * <ol>
 *   <li>b = bin(n). Look at up to {@value #EXACT_BIN_PROBES} runs of bin b and take the smallest with
 *   length &gt;= n (exact when n &lt; 16: every run there has length n).</li>
 *   <li>Else take the first run of the first non-empty bin above b (bit scan over at most 6 words):
 *   every run there is longer than n, and at most 1/16 longer than the bin's lower bound, so the
 *   waste of this "good fit" is bounded by 1/16 of the run.</li>
 * </ol>
 * Worst case per call: 8 list steps + 6 word scans; insert and remove are O(1).
 *
 * <h2>Which runs are in the index</h2>
 * Every free run of the heap, except those of the compaction victim's detached part: {@code insert} and
 * {@code remove} (un)link a run only when {@link Chunk#linked} says its head is on the linked side of the
 * victim's frontier, and {@code insert} first lets a run that coalesced across a frontier move it
 * ({@link Chunk#frontiersPast}).
 */
final class FreeRunIndex
{
    static final int EXACT_BIN_PROBES = 8;
    private static final int SUB_BITS = 4;
    private static final int SUB_COUNT = 1 << SUB_BITS;
    private static final int BIN_COUNT = SUB_COUNT + (24 - SUB_BITS) * SUB_COUNT;
    private static final int NONE = -1;

    private final ChunkMap chunks;
    private final int granuleBits;
    private final int granuleMask;
    private final int[] binHead = new int[BIN_COUNT];
    private final long[] nonEmpty = new long[(BIN_COUNT + 63) >>> 6];
    private long freeGranules;

    FreeRunIndex(final ChunkMap chunks, final int granuleBits)
    {
        this.chunks = chunks;
        this.granuleBits = granuleBits;
        this.granuleMask = (1 << granuleBits) - 1;
        java.util.Arrays.fill(binHead, NONE);
    }

    static int binOf(final int n)
    {
        if (n < SUB_COUNT)
        {
            return n;
        }
        final int fl = 31 - Integer.numberOfLeadingZeros(n);
        final int sl = (n >>> (fl - SUB_BITS)) & (SUB_COUNT - 1);
        return SUB_COUNT + (fl - SUB_BITS) * SUB_COUNT + sl;
    }

    /** @return the smallest length that falls into {@code bin}. */
    static int binLowerBound(final int bin)
    {
        if (bin < SUB_COUNT)
        {
            return bin;
        }
        final int fl = SUB_BITS + (bin - SUB_COUNT) / SUB_COUNT;
        final int sl = (bin - SUB_COUNT) % SUB_COUNT;
        return (SUB_COUNT + sl) << (fl - SUB_BITS);
    }

    int ref(final Chunk chunk, final int g)
    {
        return (chunk.id << granuleBits) | g;
    }

    Chunk chunkOf(final int ref)
    {
        return chunks.byId(ref >>> granuleBits);
    }

    int granuleOf(final int ref)
    {
        return ref & granuleMask;
    }

    long freeGranules()
    {
        return freeGranules;
    }

    /** Records [g, g + n) as a free run: writes its head and tail tags and links it into its bin. */
    void insert(final Chunk chunk, final int g, final int n)
    {
        chunk.setTag(g, Chunk.TAG_FREE_HEAD | n);
        if (n > 1)
        {
            chunk.setTag(g + n - 1, Chunk.TAG_FREE_TAIL | n);
        }
        if (chunk.evacuating)
        {
            chunk.frontiersPast(g, n);
        }
        if (chunk.linked(g))
        {
            link(chunk, g, n);
        }
    }

    /** Forgets the free run at g (length n): unlinks it and clears its tags. */
    void remove(final Chunk chunk, final int g, final int n)
    {
        if (chunk.linked(g))
        {
            unlink(chunk, g, n);
        }
        chunk.setTag(g, 0);
        if (n > 1)
        {
            chunk.setTag(g + n - 1, 0);
        }
    }

    void link(final Chunk chunk, final int g, final int n)
    {
        final int bin = binOf(n);
        final int ref = ref(chunk, g);
        final int head = binHead[bin];
        chunk.next[g] = head;
        chunk.prev[g] = NONE;
        if (head != NONE)
        {
            chunkOf(head).prev[granuleOf(head)] = ref;
        }
        else
        {
            nonEmpty[bin >>> 6] |= 1L << bin;
        }
        binHead[bin] = ref;
        freeGranules += n;
    }

    void unlink(final Chunk chunk, final int g, final int n)
    {
        final int bin = binOf(n);
        final int next = chunk.next[g];
        final int prev = chunk.prev[g];
        if (prev != NONE)
        {
            chunkOf(prev).next[granuleOf(prev)] = next;
        }
        else
        {
            binHead[bin] = next;
            if (next == NONE)
            {
                nonEmpty[bin >>> 6] &= ~(1L << bin);
            }
        }
        if (next != NONE)
        {
            chunkOf(next).prev[granuleOf(next)] = prev;
        }
        freeGranules -= n;
    }

    /** @return a ref to a free run of at least n granules (best fit as described above), or -1. */
    int find(final int n)
    {
        final int bin = binOf(n);
        int best = NONE;
        int bestLen = Integer.MAX_VALUE;
        int ref = binHead[bin];
        for (int probes = 0; ref != NONE && probes < EXACT_BIN_PROBES; probes++)
        {
            final Chunk c = chunkOf(ref);
            final int g = granuleOf(ref);
            final int len = Chunk.tagValue(c.tag(g));
            if (len >= n && len < bestLen)
            {
                best = ref;
                bestLen = len;
                if (len == n)
                {
                    break;
                }
            }
            ref = c.next[g];
        }
        if (best != NONE)
        {
            return best;
        }
        final int above = nextNonEmptyBin(bin + 1);
        return above < 0 ? NONE : binHead[above];
    }

    private int nextNonEmptyBin(final int from)
    {
        if (from >= BIN_COUNT)
        {
            return -1;
        }
        int w = from >>> 6;
        long bits = nonEmpty[w] & (-1L << from);
        while (bits == 0)
        {
            if (++w == nonEmpty.length)
            {
                return -1;
            }
            bits = nonEmpty[w];
        }
        return (w << 6) + Long.numberOfTrailingZeros(bits);
    }

    /** @return the length of the longest free run in the index, in granules (scans one bin). */
    int largestRun()
    {
        for (int w = nonEmpty.length - 1; w >= 0; w--)
        {
            if (nonEmpty[w] != 0)
            {
                final int bin = (w << 6) + 63 - Long.numberOfLeadingZeros(nonEmpty[w]);
                int max = 0;
                for (int ref = binHead[bin]; ref != NONE; )
                {
                    final Chunk c = chunkOf(ref);
                    final int g = granuleOf(ref);
                    max = Math.max(max, Chunk.tagValue(c.tag(g)));
                    ref = c.next[g];
                }
                return max;
            }
        }
        return 0;
    }

    /** Empties every bin (reset). */
    void clear()
    {
        java.util.Arrays.fill(binHead, NONE);
        java.util.Arrays.fill(nonEmpty, 0);
        freeGranules = 0;
    }

    /** Calls back each linked run (validation). */
    void forEachRun(final RunVisitor visitor)
    {
        for (int bin = 0; bin < BIN_COUNT; bin++)
        {
            int prev = NONE;
            for (int ref = binHead[bin]; ref != NONE; )
            {
                final Chunk c = chunkOf(ref);
                final int g = granuleOf(ref);
                visitor.visit(bin, prev, c, g);
                prev = ref;
                ref = c.next[g];
            }
        }
    }

    boolean binMarkedNonEmpty(final int bin)
    {
        return (nonEmpty[bin >>> 6] & (1L << bin)) != 0;
    }

    int binCount()
    {
        return BIN_COUNT;
    }

    int binHead(final int bin)
    {
        return binHead[bin];
    }

    interface RunVisitor
    {
        void visit(int bin, int prevRef, Chunk chunk, int g);
    }
}
