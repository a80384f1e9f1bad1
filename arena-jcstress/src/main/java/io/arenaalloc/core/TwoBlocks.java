package io.arenaalloc.core;

import org.agrona.UnsafeApi;

/**
 * Two 16-byte native blocks for one jcstress state: block A (where a handle's data lives first) and block B
 * (where a compactor moves it). The bytes are real native memory, read and written through raw addresses
 * exactly as arena users and the compactor do, so a test sees what an address returned by the handle table
 * really points at.
 *
 * <p>Markers: {@link #take()} fills A with {@link #CONTENT} and B with {@link #JUNK} (what a fresh block holds
 * before the copy); a mover overwrites A with {@link #POISON} after publishing B (the old block is reused).
 *
 * <p>Pairs come from a per-JVM pool of native regions that are never freed (jcstress has no per-state
 * teardown and creates millions of states; at most a few thousand are alive at once, and the arbiter hands
 * each pair back with {@link #recycle()}). Take and recycle run in state constructors and arbiters, which
 * jcstress runs on several threads at once: they synchronize on {@link SharedTable#OWNER}.
 */
final class TwoBlocks
{
    static final long BLOCK = 16;
    static final long PAIR = 2 * BLOCK;
    static final long CONTENT = 0x0A11_0CA7_ED0D_A7A1L;
    static final long JUNK = 0x7E57_B10C_0000_0B0BL;
    static final long POISON = 0xDEAD_DEAD_DEAD_DEADL;

    /** Codes reported in results: which block an address is, and what a read found. */
    static final int IS_A = 1, IS_B = 2, IS_OTHER = -1;
    static final int READ_CONTENT = 1, READ_JUNK = 0, READ_POISON = 9, READ_OTHER = -1;

    private static final int PAIRS_PER_REGION = 4096;
    // guarded by SharedTable.OWNER
    private static long[] regions = new long[0];
    private static int[] freePairs = new int[64];
    private static int freeTop;
    private static int pairCount;

    private final int pair;
    final long a;
    final long b;

    private TwoBlocks(final int pair, final long a)
    {
        this.pair = pair;
        this.a = a;
        this.b = a + BLOCK;
    }

    /** A pair with A = CONTENT and B = JUNK. Caller holds {@link SharedTable#OWNER}. */
    static TwoBlocks take()
    {
        assert Thread.holdsLock(SharedTable.OWNER);
        final int pair;
        if (freeTop > 0)
        {
            pair = freePairs[--freeTop];
        }
        else
        {
            pair = pairCount++;
            final int region = pair / PAIRS_PER_REGION;
            if (region == regions.length)
            {
                regions = java.util.Arrays.copyOf(regions, region + 1);
                regions[region] = UnsafeApi.allocateMemory(PAIRS_PER_REGION * PAIR);
            }
        }
        final TwoBlocks blocks = new TwoBlocks(pair, regions[pair / PAIRS_PER_REGION] + (pair % PAIRS_PER_REGION) * PAIR);
        UnsafeApi.putLong(blocks.a, CONTENT);
        UnsafeApi.putLong(blocks.b, JUNK);
        return blocks;
    }

    /** Hands the pair back. Caller holds {@link SharedTable#OWNER}; the state must not use it any more. */
    void recycle()
    {
        assert Thread.holdsLock(SharedTable.OWNER);
        if (freeTop == freePairs.length)
        {
            freePairs = java.util.Arrays.copyOf(freePairs, freeTop * 2);
        }
        freePairs[freeTop++] = pair;
    }

    int whichBlock(final long address)
    {
        return address == a ? IS_A : address == b ? IS_B : IS_OTHER;
    }

    static int classify(final long word)
    {
        if (word == CONTENT)
        {
            return READ_CONTENT;
        }
        if (word == JUNK)
        {
            return READ_JUNK;
        }
        return word == POISON ? READ_POISON : READ_OTHER;
    }

    /** What the compactor's copy does: A's bytes to B. */
    void copyAToB()
    {
        UnsafeApi.copyMemory(a, b, BLOCK);
    }

    /** The old block is reused after the move (a new allocation overwrites it). */
    void reuseA()
    {
        UnsafeApi.putLong(a, POISON);
    }
}
