package io.arenaalloc.stats;

import io.arenaalloc.threads.AllocatorCounters;
import io.arenaalloc.threads.ArenaAllocator;

/**
 * The catalogue of <b>allocator figures</b>: the values arena-stats reports about one {@link ArenaAllocator} as a
 * whole, beside the {@link ArenaFigures} of each of its arenas. Each is a {@code long} with a fixed id, name, unit
 * and rule for totalling over several allocators.
 *
 * <h2>Vocabulary</h2>
 * <ul>
 *   <li><b>allocator counter</b>: one of {@link AllocatorCounters} (limit waits and failures, remote frees batched,
 *   threads and arenas coming and going, ...). Rare events sit in {@code LongAdder}s; hot-path events are plain
 *   fields of each freer or arena, summed when read. Any thread reads them, slightly stale; the allocating threads
 *   pay nothing for the reading.</li>
 *   <li><b>allocator figure vector</b>: a {@code long[COUNT]} indexed by the ids below.</li>
 * </ul>
 * Per-arena events (allocations, frees local and remote, remote frees queued and applied, bytes, chunks,
 * compaction, high-water marks, the arena limit's failures) are arena figures, not repeated here; limit waits
 * are both (see below).
 *
 * <h2>Layout of an allocator figure vector (ids)</h2>
 * <pre>
 *   id        name                          unit    source                               total over allocators
 *   0 .. 17   AllocatorCounters.NAMES[id]   count   AllocatorCounters.get(id)            sum
 *   18        arenas-open                   count   ArenaAllocator.arenaCount()          sum
 *   19        budget-committed-bytes        bytes   ArenaAllocator.committedBytes()      sum
 *   20        budget-limit-bytes            bytes   AllocatorConfig.maxTotalBytes()      sum, saturating at
 *                                                   (Long.MAX_VALUE = no global limit)   Long.MAX_VALUE
 *   21        budget-committed-high-water   bytes   ArenaAllocator.committedHighWater()  sum (an upper bound)
 *   22        = COUNT
 * </pre>
 * Ids 0..17 are exactly {@link AllocatorCounters}' ids, so {@code vector[AllocatorCounters.LIMIT_WAITS]} works.
 *
 * <h2>limit-waits and limit-failures versus the arenas' limit-failures</h2>
 * {@code limit-waits} counts allocations that met a limit (the allocator's {@code maxTotalBytes} or an arena's) and
 * then waited ({@code limitWaitNanos > 0}), once per allocation however long it waited; {@code limit-failures} counts
 * {@code AllocatorLimitExceededException}s thrown to callers. Each waiting allocation is also counted in the
 * {@code limit-waits} arena figure of the arena it was for (the caller's own arena, or the stripe it started in),
 * so the arenas' total equals the allocator's figure (unless the allocator closed during a wait). An arena's own
 * {@code limit-failures} figure counts attempts refused at that arena's {@code ArenaConfig.maxTotalBytes}, retries
 * included; a refusal by the allocator's global budget is not counted there, only here.
 *
 * <h2>Algorithm of {@link #total(long[][], int, long[])}</h2>
 * <ol>
 *   <li>Start from zeros; for each vector and each id add the value, saturating at {@code Long.MAX_VALUE} (so
 *   "no limit" plus anything stays "no limit").</li>
 * </ol>
 */
public final class AllocatorFigures
{
    public static final int ARENAS_OPEN = AllocatorCounters.COUNT;
    public static final int BUDGET_COMMITTED_BYTES = ARENAS_OPEN + 1;
    public static final int BUDGET_LIMIT_BYTES = ARENAS_OPEN + 2;
    public static final int BUDGET_COMMITTED_HIGH_WATER = ARENAS_OPEN + 3;
    public static final int COUNT = ARENAS_OPEN + 4;

    private static final String[] NAMES = new String[COUNT];
    private static final ArenaFigures.Unit[] UNITS = new ArenaFigures.Unit[COUNT];

    static
    {
        for (int i = 0; i < AllocatorCounters.COUNT; i++)
        {
            NAMES[i] = AllocatorCounters.NAMES[i];
            UNITS[i] = ArenaFigures.Unit.COUNT;
        }
        NAMES[ARENAS_OPEN] = "arenas-open";
        UNITS[ARENAS_OPEN] = ArenaFigures.Unit.COUNT;
        NAMES[BUDGET_COMMITTED_BYTES] = "budget-committed-bytes";
        UNITS[BUDGET_COMMITTED_BYTES] = ArenaFigures.Unit.BYTES;
        NAMES[BUDGET_LIMIT_BYTES] = "budget-limit-bytes";
        UNITS[BUDGET_LIMIT_BYTES] = ArenaFigures.Unit.BYTES;
        NAMES[BUDGET_COMMITTED_HIGH_WATER] = "budget-committed-high-water";
        UNITS[BUDGET_COMMITTED_HIGH_WATER] = ArenaFigures.Unit.BYTES;
        for (int i = 0; i < COUNT; i++)
        {
            if (NAMES[i] == null)
            {
                throw new AssertionError("allocator figure " + i + " has no name");
            }
        }
    }

    private AllocatorFigures()
    {
    }

    public static String name(final int id)
    {
        check(id);
        return NAMES[id];
    }

    public static ArenaFigures.Unit unit(final int id)
    {
        check(id);
        return UNITS[id];
    }

    /** @return the id of the allocator figure with this name, or -1. */
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
     * Any thread, allocates nothing: copies every figure of {@code allocator} into {@code into}.
     *
     * @param into length &gt;= {@link #COUNT}.
     */
    public static void copy(final ArenaAllocator allocator, final long[] into)
    {
        if (into.length < COUNT)
        {
            throw new IllegalArgumentException("into.length=" + into.length + ", expected >= " + COUNT);
        }
        final AllocatorCounters counters = allocator.counters();
        for (int i = 0; i < AllocatorCounters.COUNT; i++)
        {
            into[i] = counters.get(i);
        }
        into[ARENAS_OPEN] = allocator.arenaCount();
        into[BUDGET_COMMITTED_BYTES] = allocator.committedBytes();
        into[BUDGET_LIMIT_BYTES] = allocator.config().maxTotalBytes();
        into[BUDGET_COMMITTED_HIGH_WATER] = allocator.committedHighWater();
    }

    /**
     * Totals allocator figure vectors (see the class comment).
     *
     * @param vectors each of length &gt;= {@link #COUNT}; rows beyond {@code count} are ignored.
     * @param into    receives the total; length &gt;= {@link #COUNT}.
     * @return {@code into}.
     */
    public static long[] total(final long[][] vectors, final int count, final long[] into)
    {
        java.util.Arrays.fill(into, 0, COUNT, 0L);
        for (int a = 0; a < count; a++)
        {
            final long[] v = vectors[a];
            for (int i = 0; i < COUNT; i++)
            {
                final long sum = into[i] + v[i];
                into[i] = ((into[i] ^ sum) & (v[i] ^ sum)) < 0 ? Long.MAX_VALUE : sum;
            }
        }
        return into;
    }

    private static void check(final int id)
    {
        if (id < 0 || id >= COUNT)
        {
            throw new IllegalArgumentException("allocator figure id=" + id + ", expected 0.." + (COUNT - 1));
        }
    }
}
