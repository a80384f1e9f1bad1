package io.arenaalloc.stats;

import io.arenaalloc.core.ArenaCounters;
import io.arenaalloc.core.SizeClasses;

/**
 * The catalogue of <b>figures</b>: every value arena-stats reports about one arena, each a {@code long}
 * with a fixed id, name, unit and rule for totalling over several arenas.
 *
 * <h2>Vocabulary</h2>
 * <ul>
 *   <li><b>counter</b>: a value the arena's owner keeps in {@link ArenaCounters} on every operation
 *   (opaque stores; any thread may read it, slightly stale).</li>
 *   <li><b>derived</b> figure: computed from counters when a vector is taken (local frees, pending remote frees).</li>
 *   <li><b>owner</b> figure: only the owner thread can compute it (it walks the arena's metadata), so it is
 *   refreshed by {@link ArenaStatsPublisher#publish()}, which the owner or its maintenance duty cycle calls
 *   periodically; between publishes readers see the last published value.</li>
 *   <li><b>figure vector</b>: a {@code long[COUNT]} indexed by the ids below.</li>
 * </ul>
 *
 * <h2>Layout of a figure vector (ids)</h2>
 * <pre>
 *   id        name                        unit     source    total over arenas
 *   0 .. 23   ArenaCounters.NAMES[id]     (below)  counter   sum (high-water marks: sum, an upper bound)
 *   24        frees-local                 count    derived   sum    frees - remote-frees-applied
 *   25        remote-frees-pending        count    derived   sum    remote-frees-queued - remote-frees-applied
 *   26        fragmentation-ppm           ppm      owner     recomputed: 1 - sum(live) / sum(regular-committed)
 *   27        largest-free-run            bytes    owner     max
 *   28        regular-committed-bytes     bytes    owner     sum    bytes of regular and region chunks
 *   29        empty-chunks                count    owner     sum    regular chunks with no live block (spares)
 *   30        pinned-blocks               count    owner     sum    live movable blocks pinned at the walk
 *   31        publishes                   count    owner     sum    owner figures refreshed so often
 *   32        published-at-ms             epoch ms owner     min of the non-zero values (the oldest)
 *   33 + 2c   class-&lt;size&gt;-live         count    owner     sum    live slab blocks of size class c
 *   34 + 2c   class-&lt;size&gt;-capacity     count    owner     sum    slab blocks (live + free) of class c
 *   89        = COUNT
 * </pre>
 * Ids 0..23 are exactly {@link ArenaCounters}' ids, so {@code vector[ArenaCounters.FREES]} works. Counter 23,
 * {@code limit-waits}, is written by an {@code ArenaAllocator} for its arenas (allocations for the arena that
 * waited at a limit, see {@link AllocatorFigures}); the total over an allocator's arenas is the allocator's own
 * {@code limit-waits}. A file's figure count is in its header, so a reader of another release refuses it.
 * Fragmentation is carried in parts per million so that every figure is a long.
 *
 * <h2>Algorithm of {@link #total(long[][], int, long[])}</h2>
 * <ol>
 *   <li>Start from zeros. For each arena's vector, for each id: add (SUM), take the larger (MAX), or take
 *   the smaller non-zero value (MIN_NONZERO).</li>
 *   <li>Fragmentation (WEIGHTED): accumulate live regular bytes as regular-committed x (1 - fragmentation),
 *   then set fragmentation = 1 - live / regular-committed over the total (0 when nothing is committed).</li>
 * </ol>
 */
public final class ArenaFigures
{
    public static final int FREES_LOCAL = ArenaCounters.COUNT;
    public static final int REMOTE_FREES_PENDING = FREES_LOCAL + 1;
    public static final int FRAGMENTATION_PPM = FREES_LOCAL + 2;
    public static final int LARGEST_FREE_RUN = FREES_LOCAL + 3;
    public static final int REGULAR_COMMITTED_BYTES = FREES_LOCAL + 4;
    public static final int EMPTY_CHUNKS = FREES_LOCAL + 5;
    public static final int PINNED_BLOCKS = FREES_LOCAL + 6;
    public static final int PUBLISHES = FREES_LOCAL + 7;
    public static final int PUBLISHED_AT_MS = FREES_LOCAL + 8;
    /** First per-size-class figure: {@code CLASS_BASE + 2 * cls} live, {@code + 1} capacity. */
    public static final int CLASS_BASE = FREES_LOCAL + 9;
    public static final int COUNT = CLASS_BASE + 2 * SizeClasses.CLASS_COUNT;
    /** Owner figures occupy ids {@code [OWNER_BASE, COUNT)}. */
    public static final int OWNER_BASE = FRAGMENTATION_PPM;
    public static final int OWNER_COUNT = COUNT - OWNER_BASE;

    /** Parts per million: the scale of {@link #FRAGMENTATION_PPM}. */
    public static final long PPM = 1_000_000L;

    /** Units, for formatting. */
    public enum Unit
    {
        COUNT, BYTES, NANOS, PPM, EPOCH_MILLIS
    }

    /** How a figure is totalled over arenas. */
    public enum Total
    {
        SUM, MAX, MIN_NONZERO, WEIGHTED
    }

    private static final String[] NAMES = new String[COUNT];
    private static final Unit[] UNITS = new Unit[COUNT];
    private static final Total[] TOTALS = new Total[COUNT];

    static
    {
        for (int i = 0; i < ArenaCounters.COUNT; i++)
        {
            final String name = ArenaCounters.NAMES[i];
            define(i, name, name.contains("bytes") || name.endsWith("high-water") ? Unit.BYTES :
                name.endsWith("nanos") ? Unit.NANOS : Unit.COUNT, Total.SUM);
        }
        define(FREES_LOCAL, "frees-local", Unit.COUNT, Total.SUM);
        define(REMOTE_FREES_PENDING, "remote-frees-pending", Unit.COUNT, Total.SUM);
        define(FRAGMENTATION_PPM, "fragmentation-ppm", Unit.PPM, Total.WEIGHTED);
        define(LARGEST_FREE_RUN, "largest-free-run", Unit.BYTES, Total.MAX);
        define(REGULAR_COMMITTED_BYTES, "regular-committed-bytes", Unit.BYTES, Total.SUM);
        define(EMPTY_CHUNKS, "empty-chunks", Unit.COUNT, Total.SUM);
        define(PINNED_BLOCKS, "pinned-blocks", Unit.COUNT, Total.SUM);
        define(PUBLISHES, "publishes", Unit.COUNT, Total.SUM);
        define(PUBLISHED_AT_MS, "published-at-ms", Unit.EPOCH_MILLIS, Total.MIN_NONZERO);
        for (int c = 0; c < SizeClasses.CLASS_COUNT; c++)
        {
            define(classLive(c), "class-" + SizeClasses.classSize(c) + "-live", Unit.COUNT, Total.SUM);
            define(classCapacity(c), "class-" + SizeClasses.classSize(c) + "-capacity", Unit.COUNT, Total.SUM);
        }
        for (int i = 0; i < COUNT; i++)
        {
            if (NAMES[i] == null)
            {
                throw new AssertionError("figure " + i + " has no name");
            }
        }
    }

    private ArenaFigures()
    {
    }

    private static void define(final int id, final String name, final Unit unit, final Total total)
    {
        NAMES[id] = name;
        UNITS[id] = unit;
        TOTALS[id] = total;
    }

    /** @return the id of the live-block figure of size class {@code cls}. */
    public static int classLive(final int cls)
    {
        return CLASS_BASE + 2 * cls;
    }

    /** @return the id of the capacity figure of size class {@code cls}. */
    public static int classCapacity(final int cls)
    {
        return CLASS_BASE + 2 * cls + 1;
    }

    /** @return the size class of a per-class figure id, or -1 for any other id. */
    public static int classOf(final int id)
    {
        return id >= CLASS_BASE && id < COUNT ? (id - CLASS_BASE) >>> 1 : -1;
    }

    public static String name(final int id)
    {
        check(id);
        return NAMES[id];
    }

    public static Unit unit(final int id)
    {
        check(id);
        return UNITS[id];
    }

    public static Total total(final int id)
    {
        check(id);
        return TOTALS[id];
    }

    /** @return the id of the figure with this name, or -1. */
    public static int idOf(final String name)
    {
        for (int i = 0; i < COUNT; i++)
        {
            if (NAMES[i].equals(name))
            {
                return i;
            }
        }
        return -1;
    }

    /**
     * Totals figure vectors (see the class comment for the rule of each figure).
     *
     * @param vectors the vectors, each of length &gt;= {@link #COUNT}; rows beyond {@code count} are ignored.
     * @param count   how many rows of {@code vectors} to total.
     * @param into    receives the total; length &gt;= {@link #COUNT}.
     * @return {@code into}.
     */
    public static long[] total(final long[][] vectors, final int count, final long[] into)
    {
        java.util.Arrays.fill(into, 0, COUNT, 0L);
        double live = 0;
        for (int a = 0; a < count; a++)
        {
            final long[] v = vectors[a];
            for (int i = 0; i < COUNT; i++)
            {
                switch (TOTALS[i])
                {
                    case SUM:
                        into[i] += v[i];
                        break;
                    case MAX:
                        into[i] = Math.max(into[i], v[i]);
                        break;
                    case MIN_NONZERO:
                        if (v[i] != 0 && (into[i] == 0 || v[i] < into[i]))
                        {
                            into[i] = v[i];
                        }
                        break;
                    default:
                        break;
                }
            }
            live += v[REGULAR_COMMITTED_BYTES] * (1.0 - (double)v[FRAGMENTATION_PPM] / PPM);
        }
        final long regular = into[REGULAR_COMMITTED_BYTES];
        into[FRAGMENTATION_PPM] = regular == 0 ? 0 : Math.round((1.0 - live / regular) * PPM);
        return into;
    }

    private static void check(final int id)
    {
        if (id < 0 || id >= COUNT)
        {
            throw new IllegalArgumentException("figure id=" + id + ", expected 0.." + (COUNT - 1));
        }
    }
}
