package io.arenaalloc.stats;

import io.arenaalloc.threads.AllocatorCounters;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.Collection;
import java.util.Collections;
import java.util.List;

/**
 * An immutable copy of the figures of one {@link io.arenaalloc.threads.ArenaAllocator}, or the total over several,
 * taken by one call: the allocator figures and a snapshot of each of its arenas.
 *
 * <h2>Vocabulary</h2>
 * Allocator figures: see {@link AllocatorFigures}; arena figures: see {@link ArenaFigures}. A <b>total</b> snapshot
 * ({@link #isTotal()}) sums the allocator figures of several allocators and holds all their arenas.
 *
 * <h2>Layout</h2>
 * <pre>
 *   name, takenAtMillis, allocatorCount (1, or the number totalled), total flag
 *   figures: long[AllocatorFigures.COUNT]   (private copy)
 *   arenas:  List&lt;ArenaSnapshot&gt;           (unmodifiable; the allocator's open arenas, in arena id order)
 *   arenaTotal(): ArenaSnapshot.total over arenas, named "&lt;name&gt;/total"
 * </pre>
 *
 * <h2>How one is made</h2>
 * <ol>
 *   <li>{@link AllocatorStatsPublisher#snapshot()} (any thread): the allocator figures, then each open arena's
 *   {@link ArenaStatsPublisher#snapshot()}; or {@link StatsFileReader#readAllocators()} from a counters file.</li>
 *   <li>{@link #total(String, Collection)} sums allocator figures ({@link AllocatorFigures#total}) and concatenates
 *   the arenas.</li>
 * </ol>
 * The allocator figures and the arenas are read one after the other, not at one instant (slightly stale, as every
 * figure here).
 */
public final class AllocatorSnapshot
{
    private final String name;
    private final long takenAtMillis;
    private final int allocatorCount;
    private final boolean total;
    private final long[] figures;
    private final List<ArenaSnapshot> arenas;

    private AllocatorSnapshot(final String name, final long takenAtMillis, final int allocatorCount, final boolean total,
        final long[] figures, final List<ArenaSnapshot> arenas)
    {
        this.name = name;
        this.takenAtMillis = takenAtMillis;
        this.allocatorCount = allocatorCount;
        this.total = total;
        this.figures = figures;
        this.arenas = arenas;
    }

    /**
     * Builds a snapshot from an allocator figure vector (copied) and its arenas' snapshots (copied list).
     *
     * @param figures at least {@link AllocatorFigures#COUNT} values.
     */
    public static AllocatorSnapshot of(final String name, final long takenAtMillis, final long[] figures,
        final List<ArenaSnapshot> arenas)
    {
        if (name == null || figures == null || figures.length < AllocatorFigures.COUNT || arenas == null)
        {
            throw new IllegalArgumentException("name=" + name + ", figures.length=" +
                (figures == null ? "null" : figures.length) + ", arenas=" + (arenas == null ? "null" : arenas.size()) +
                ", expected a name, >= " + AllocatorFigures.COUNT + " figures and a list of arenas");
        }
        return new AllocatorSnapshot(name, takenAtMillis, 1, false, Arrays.copyOf(figures, AllocatorFigures.COUNT),
            Collections.unmodifiableList(new ArrayList<>(arenas)));
    }

    /** @return the total over {@code snapshots} (see the class comment). */
    public static AllocatorSnapshot total(final String name, final Collection<AllocatorSnapshot> snapshots)
    {
        final long[][] vectors = new long[snapshots.size()][];
        final List<ArenaSnapshot> arenas = new ArrayList<>();
        int n = 0;
        int allocators = 0;
        long taken = 0;
        for (final AllocatorSnapshot s : snapshots)
        {
            vectors[n++] = s.figures;
            allocators += s.allocatorCount;
            taken = Math.max(taken, s.takenAtMillis);
            arenas.addAll(s.arenas);
        }
        return new AllocatorSnapshot(name, n == 0 ? System.currentTimeMillis() : taken, allocators, true,
            AllocatorFigures.total(vectors, n, new long[AllocatorFigures.COUNT]), Collections.unmodifiableList(arenas));
    }

    public String name()
    {
        return name;
    }

    /** @return wall-clock time (epoch ms) the figures were copied. */
    public long takenAtMillis()
    {
        return takenAtMillis;
    }

    public boolean isTotal()
    {
        return total;
    }

    /** @return 1 for one allocator; the number of allocators totalled otherwise. */
    public int allocatorCount()
    {
        return allocatorCount;
    }

    /** @return allocator figure {@code id} (see {@link AllocatorFigures}). */
    public long figure(final int id)
    {
        if (id < 0 || id >= AllocatorFigures.COUNT)
        {
            throw new IllegalArgumentException("allocator figure id=" + id + ", expected 0.." +
                (AllocatorFigures.COUNT - 1));
        }
        return figures[id];
    }

    /** @return a copy of every allocator figure. */
    public long[] figures()
    {
        return figures.clone();
    }

    /** @return the snapshots of the allocator's open arenas (unmodifiable). */
    public List<ArenaSnapshot> arenas()
    {
        return arenas;
    }

    /** @return the total over {@link #arenas()}, named "&lt;name&gt;/total" (all zeros when there is none). */
    public ArenaSnapshot arenaTotal()
    {
        return ArenaSnapshot.total(name + "/total", arenas);
    }

    // ---- threads and arenas -------------------------------------------------------------------

    public long threadsRegistered()
    {
        return figures[AllocatorCounters.THREADS_REGISTERED];
    }

    public long threadsEnded()
    {
        return figures[AllocatorCounters.THREADS_ENDED];
    }

    public long arenasCreated()
    {
        return figures[AllocatorCounters.ARENAS_CREATED];
    }

    /** @return per-thread arenas whose owner ended (they become orphans until adopted or closed). */
    public long arenasOrphaned()
    {
        return figures[AllocatorCounters.ARENAS_ORPHANED];
    }

    /** @return orphan arenas adopted by a new thread. */
    public long arenasAdopted()
    {
        return figures[AllocatorCounters.ARENAS_ADOPTED];
    }

    public long arenasClosed()
    {
        return figures[AllocatorCounters.ARENAS_CLOSED];
    }

    public long arenasOpen()
    {
        return figures[AllocatorFigures.ARENAS_OPEN];
    }

    // ---- remote frees, the freers' side ---------------------------------------------------------

    /** @return remote frees written into batches by freers (the owners' side: the arenas' remote-frees-queued). */
    public long remoteFreesBatched()
    {
        return figures[AllocatorCounters.REMOTE_FREES_BATCHED];
    }

    public long batchesPublished()
    {
        return figures[AllocatorCounters.BATCHES_PUBLISHED];
    }

    /** @return batches that found an inbox's batch queue full and went on its overflow stack. */
    public long batchesOverflowed()
    {
        return figures[AllocatorCounters.BATCHES_OVERFLOWED];
    }

    /** @return remote frees that came one by one through a ring, counted when drained. */
    public long singleFrees()
    {
        return figures[AllocatorCounters.SINGLE_FREES];
    }

    public long singleFreesOverflowed()
    {
        return figures[AllocatorCounters.SINGLE_FREES_OVERFLOWED];
    }

    /** @return frees that found a stripe busy and its ring full, and waited for the stripe's lock. */
    public long ringFullLockedFrees()
    {
        return figures[AllocatorCounters.RING_FULL_LOCKED_FREES];
    }

    /** @return remote frees the owner rejected (double free, stale handle), reported to the error handler. */
    public long remoteFreeErrors()
    {
        return figures[AllocatorCounters.REMOTE_FREE_ERRORS];
    }

    /** @return remote frees of pinned handles, deferred until unpinned. */
    public long remoteFreesDeferred()
    {
        return figures[AllocatorCounters.REMOTE_FREES_DEFERRED];
    }

    public long stripeRehashes()
    {
        return figures[AllocatorCounters.STRIPE_REHASHES];
    }

    // ---- limits and maintenance -----------------------------------------------------------------

    /** @return allocations that met a limit and waited for memory (back-pressure). */
    public long limitWaits()
    {
        return figures[AllocatorCounters.LIMIT_WAITS];
    }

    /** @return AllocatorLimitExceededExceptions thrown to callers. */
    public long limitFailures()
    {
        return figures[AllocatorCounters.LIMIT_FAILURES];
    }

    /** @return bytes all arenas hold from their memory sources, as the global budget counts them. */
    /** @return the most bytes the allocator's arenas together ever held from their sources. */
    public long budgetCommittedHighWater()
    {
        return figures[AllocatorFigures.BUDGET_COMMITTED_HIGH_WATER];
    }

    public long budgetCommittedBytes()
    {
        return figures[AllocatorFigures.BUDGET_COMMITTED_BYTES];
    }

    /** @return the global limit, {@code maxTotalBytes}; {@link Long#MAX_VALUE} when there is none. */
    public long budgetLimitBytes()
    {
        return figures[AllocatorFigures.BUDGET_LIMIT_BYTES];
    }

    /**
     * @return duty cycles of {@code MaintenanceAgent}s (the background thread's, or one from
     * {@code maintenanceAgent()}); direct {@code maintain()} calls and idle strategies are not counted.
     */
    public long maintenanceRuns()
    {
        return figures[AllocatorCounters.MAINTENANCE_RUNS];
    }

    @Override
    public boolean equals(final Object o)
    {
        if (this == o)
        {
            return true;
        }
        if (!(o instanceof AllocatorSnapshot))
        {
            return false;
        }
        final AllocatorSnapshot s = (AllocatorSnapshot)o;
        return takenAtMillis == s.takenAtMillis && allocatorCount == s.allocatorCount && total == s.total &&
            name.equals(s.name) && Arrays.equals(figures, s.figures) && arenas.equals(s.arenas);
    }

    @Override
    public int hashCode()
    {
        return 31 * name.hashCode() + Arrays.hashCode(figures);
    }

    /** @return the reporter's summary line ({@link ArenaStatsReporter#formatAllocatorLine}). */
    @Override
    public String toString()
    {
        return ArenaStatsReporter.formatAllocatorLine(this);
    }
}
