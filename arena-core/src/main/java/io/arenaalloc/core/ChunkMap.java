package io.arenaalloc.core;

import java.util.Arrays;

/**
 * Maps any address to the chunk that contains it, in O(1), with no allocation on lookup.
 *
 * <h2>Idea</h2>
 * The address space is cut into <b>windows</b> of 2^{@value #WINDOW_SHIFT} bytes (128 KiB). Every chunk is
 * at least one window long ({@link #MIN_CHUNK_BYTES}), so a window intersects at most two chunks: the
 * one that ends in it and the one that starts in it. The map holds, per window a chunk touches, the
 * ids of up to two chunks.
 * <pre>
 *   window key = address &gt;&gt;&gt; 17
 *   |  win k   |  win k+1 |  win k+2 |  win k+3 |
 *   |---- chunk 5 -----|----- chunk 9 ------|
 *   key k -&gt; (5, -), k+1 -&gt; (5, 9), k+2 -&gt; (9, -), k+3 -&gt; (9, -)
 * </pre>
 *
 * <h2>Value word</h2>
 * <pre>
 *   bits 63..32  second chunk id + 1 (0 = none)
 *   bits 31..0   first chunk id + 1  (0 = none)
 * </pre>
 *
 * <h2>Table</h2>
 * Open addressing with linear probing over two parallel {@code long[]}s, load factor at most 1/2,
 * deletion by backward shift (no tombstones).
 *
 * <h2>Lookup</h2>
 * <ol>
 *   <li>The chunk that step 3 found last: one range check. Every lookup lands there while the arena has one
 *   chunk (churn-small).</li>
 *   <li>Else a two-way cache of {@value #RECENT_SLOTS} sets of chunk references, indexed by the window key's
 *   low bits: way 0 holds the chunk the table last found for a window with these low bits, way 1 the one
 *   before it. One or two loads and range checks. A window that two chunks share (a chunk not aligned to
 *   128 KiB ends in the window where the next one starts) keeps both, so with up to {@value #RECENT_SLOTS}
 *   windows (32 MiB) of live chunks every lookup after the first per chunk and window hits, wherever in them
 *   the frees land (churn-mixed's frees spread over 7 chunks and miss step 1 six times in seven). With one
 *   way, the lookups in the 2 shared windows of each chunk's 33 went to the table half the time, and
 *   churn-mixed took 32.6 ns a pair instead of 28.0 (median of 6 alternating JMH forks each).</li>
 *   <li>Else the table: one multiply, usually one probe, at most two range checks; step 2's way 0 (its old
 *   chunk moves to way 1) and step 1 remember the chunk found.</li>
 * </ol>
 * A hit in step 2 does not update step 1: that was a reference store (with the GC's write barrier) on every
 * lookup that missed step 1, and cost churn-mixed about 10% of a pair (same-JVM A/B, both role orders),
 * churn-small nothing either way.
 * Step 2 sits out of line, behind step 1: with it inline the free path of churn-small (one chunk) lost
 * about 4 ns a pair, though step 1 hit every time (the JIT's code for the whole free path got worse).
 * <p>Registering a chunk costs size / 128 KiB inserts (32 for a 4 MiB chunk). Owner-thread only: not thread safe.
 */
final class ChunkMap
{
    static final int WINDOW_SHIFT = 17;
    static final long MIN_CHUNK_BYTES = 1L << WINDOW_SHIFT;
    private static final long EMPTY = -1;
    private static final int ID_BITS = 32;
    private static final long ID_MASK = (1L << ID_BITS) - 1;

    private long[] keys;
    private long[] values;
    private int mask;
    private int size;
    private Chunk[] chunks;
    /** Lookup cache, see "Lookup": set (key &amp; RECENT_MASK) is entries 2 set (way 0) and 2 set + 1 (way 1). */
    static final int RECENT_SLOTS = 256;
    private static final int RECENT_MASK = RECENT_SLOTS - 1;
    private final Chunk[] recent = new Chunk[RECENT_SLOTS * 2];
    /** The chunk the table (step 3 of "Lookup") found last. */
    private Chunk last;

    ChunkMap(final int initialCapacity)
    {
        final int capacity = Math.max(64, Integer.highestOneBit(Math.max(1, initialCapacity - 1)) << 1);
        keys = new long[capacity];
        values = new long[capacity];
        Arrays.fill(keys, EMPTY);
        mask = capacity - 1;
        chunks = new Chunk[64];
    }

    private static int hash(final long key)
    {
        final long h = key * 0x9E3779B97F4A7C15L;
        return (int)(h ^ (h >>> 32));
    }

    /** @return the chunk that contains {@code address}, or null. */
    Chunk find(final long address)
    {
        final Chunk last = this.last;
        if (last != null && last.contains(address))
        {
            return last;
        }
        return findRecent(address);
    }

    private Chunk findRecent(final long address)
    {
        final int way0 = ((int)(address >>> WINDOW_SHIFT) & RECENT_MASK) << 1;
        final Chunk[] recent = this.recent;
        final Chunk cached = recent[way0];
        if (cached != null && cached.contains(address))
        {
            return cached;
        }
        final Chunk other = recent[way0 + 1];
        if (other != null && other.contains(address))
        {
            return other;
        }
        final Chunk found = probe(address);
        if (found != null)
        {
            recent[way0 + 1] = cached;
            recent[way0] = found;
            last = found;
        }
        return found;
    }

    private Chunk probe(final long address)
    {
        final long key = address >>> WINDOW_SHIFT;
        final long[] keys = this.keys;
        int i = hash(key) & mask;
        long k;
        while ((k = keys[i]) != key)
        {
            if (k == EMPTY)
            {
                return null;
            }
            i = (i + 1) & mask;
        }
        final long v = values[i];
        final Chunk a = chunks[(int)(v & ID_MASK) - 1];
        if (a.contains(address))
        {
            return a;
        }
        final int second = (int)(v >>> ID_BITS);
        if (second != 0)
        {
            final Chunk b = chunks[second - 1];
            if (b.contains(address))
            {
                return b;
            }
        }
        return null;
    }

    /** Chunk by id, or null. */
    Chunk byId(final int id)
    {
        return id < chunks.length ? chunks[id] : null;
    }

    void register(final Chunk chunk)
    {
        if (chunk.size < MIN_CHUNK_BYTES)
        {
            throw new IllegalArgumentException("chunk size=" + chunk.size + ", expected >= " + MIN_CHUNK_BYTES);
        }
        if (chunk.id >= chunks.length)
        {
            chunks = Arrays.copyOf(chunks, Math.max(chunks.length * 2, chunk.id + 1));
        }
        chunks[chunk.id] = chunk;
        final long first = chunk.base >>> WINDOW_SHIFT;
        final long last = (chunk.base + chunk.size - 1) >>> WINDOW_SHIFT;
        for (long key = first; key <= last; key++)
        {
            add(key, chunk.id + 1L);
        }
    }

    void unregister(final Chunk chunk)
    {
        final long first = chunk.base >>> WINDOW_SHIFT;
        final long last = (chunk.base + chunk.size - 1) >>> WINDOW_SHIFT;
        for (long key = first; key <= last; key++)
        {
            removeId(key, chunk.id + 1L);
        }
        chunks[chunk.id] = null;
        for (int i = 0; i < recent.length; i++)
        {
            if (recent[i] == chunk)
            {
                recent[i] = null; // a pooled Chunk object may come back with another base
            }
        }
        if (this.last == chunk)
        {
            this.last = null;
        }
    }

    private void add(final long key, final long idPlusOne)
    {
        if ((size + 1) * 2L > keys.length)
        {
            rehash(keys.length * 2);
        }
        int i = hash(key) & mask;
        while (true)
        {
            final long k = keys[i];
            if (k == EMPTY)
            {
                keys[i] = key;
                values[i] = idPlusOne;
                size++;
                return;
            }
            if (k == key)
            {
                final long v = values[i];
                if ((v >>> ID_BITS) != 0)
                {
                    throw new IllegalStateException("window key=" + key + " already holds two chunks: " + (v & ID_MASK) +
                        " and " + (v >>> ID_BITS) + "; overlapping chunks?");
                }
                values[i] = v | (idPlusOne << ID_BITS);
                return;
            }
            i = (i + 1) & mask;
        }
    }

    private void removeId(final long key, final long idPlusOne)
    {
        int i = hash(key) & mask;
        while (keys[i] != key)
        {
            if (keys[i] == EMPTY)
            {
                return;
            }
            i = (i + 1) & mask;
        }
        final long v = values[i];
        final long a = v & ID_MASK;
        final long b = v >>> ID_BITS;
        if (a == idPlusOne && b != 0)
        {
            values[i] = b;
        }
        else if (b == idPlusOne)
        {
            values[i] = a;
        }
        else if (a == idPlusOne)
        {
            deleteSlot(i);
        }
    }

    private void deleteSlot(final int slot)
    {
        int hole = slot;
        int i = slot;
        while (true)
        {
            i = (i + 1) & mask;
            final long k = keys[i];
            if (k == EMPTY)
            {
                break;
            }
            final int home = hash(k) & mask;
            // move k back into the hole if its home lies cyclically outside (hole, i]
            if (((i - home) & mask) >= ((i - hole) & mask))
            {
                keys[hole] = k;
                values[hole] = values[i];
                hole = i;
            }
        }
        keys[hole] = EMPTY;
        values[hole] = 0;
        size--;
    }

    private void rehash(final int capacity)
    {
        final long[] oldKeys = keys;
        final long[] oldValues = values;
        keys = new long[capacity];
        values = new long[capacity];
        Arrays.fill(keys, EMPTY);
        mask = capacity - 1;
        for (int j = 0; j < oldKeys.length; j++)
        {
            final long k = oldKeys[j];
            if (k != EMPTY)
            {
                int i = hash(k) & mask;
                while (keys[i] != EMPTY)
                {
                    i = (i + 1) & mask;
                }
                keys[i] = k;
                values[i] = oldValues[j];
            }
        }
    }

    /** @return bytes of Java heap the table uses. */
    long heapBytes()
    {
        return 16L * keys.length + 4L * chunks.length;
    }
}
