package io.arenaalloc.stats;

import io.arenaalloc.core.ArenaCounters;
import io.arenaalloc.core.SizeClasses;

import java.util.Arrays;
import java.util.Collection;

/**
 * An immutable copy of every figure of one arena, or the total over several, taken by one call.
 *
 * <h2>Vocabulary</h2>
 * Figures, counters, derived and owner figures: see {@link ArenaFigures}. A <b>total</b> snapshot has
 * {@link #arenaId()} {@value #TOTAL_ID} and {@link #arenaCount()} &gt;= 0.
 *
 * <h2>Layout</h2>
 * <pre>
 *   name, arenaId, arenaCount, takenAtMillis
 *   figures: long[ArenaFigures.COUNT]   (private copy; see ArenaFigures for ids, units and totals)
 * </pre>
 *
 * <h2>How one is made</h2>
 * <ol>
 *   <li>{@link ArenaStats#snapshot(io.arenaalloc.core.OffHeapArena)} (owner thread) or
 *   {@link ArenaStatsPublisher#snapshot()} (any thread) copies the figures once.</li>
 *   <li>{@link #total(String, Collection)} combines several by each figure's rule (sums; max for the largest
 *   free run; fragmentation recomputed over the summed regular bytes; the oldest publish time).</li>
 * </ol>
 * High-water marks of a total are the sum of the arenas' marks: an upper bound of the total's own mark,
 * which no single arena can observe.
 */
public final class ArenaSnapshot
{
    /** {@link #arenaId()} of a total. */
    public static final int TOTAL_ID = -1;

    private final String name;
    private final int arenaId;
    private final int arenaCount;
    private final long takenAtMillis;
    private final long[] figures;

    ArenaSnapshot(final String name, final int arenaId, final int arenaCount, final long takenAtMillis,
        final long[] figures)
    {
        this.name = name;
        this.arenaId = arenaId;
        this.arenaCount = arenaCount;
        this.takenAtMillis = takenAtMillis;
        this.figures = figures;
    }

    /**
     * Builds a snapshot from a figure vector (copied), e.g. one read from a counters file.
     *
     * @param figures at least {@link ArenaFigures#COUNT} values.
     */
    public static ArenaSnapshot of(final String name, final int arenaId, final long takenAtMillis, final long[] figures)
    {
        if (name == null || figures == null || figures.length < ArenaFigures.COUNT)
        {
            throw new IllegalArgumentException("name=" + name + ", figures.length=" +
                (figures == null ? "null" : figures.length) + ", expected a name and >= " + ArenaFigures.COUNT + " figures");
        }
        return new ArenaSnapshot(name, arenaId, 1, takenAtMillis, Arrays.copyOf(figures, ArenaFigures.COUNT));
    }

    /** @return the total over {@code snapshots} (see the class comment); its arenaId is {@value #TOTAL_ID}. */
    public static ArenaSnapshot total(final String name, final Collection<ArenaSnapshot> snapshots)
    {
        final long[][] vectors = new long[snapshots.size()][];
        int n = 0;
        long taken = 0;
        int arenas = 0;
        for (final ArenaSnapshot s : snapshots)
        {
            vectors[n++] = s.figures;
            taken = Math.max(taken, s.takenAtMillis);
            arenas += s.arenaCount;
        }
        final long[] total = ArenaFigures.total(vectors, n, new long[ArenaFigures.COUNT]);
        return new ArenaSnapshot(name, TOTAL_ID, arenas, n == 0 ? System.currentTimeMillis() : taken, total);
    }

    public String name()
    {
        return name;
    }

    /** @return the arena's id, or {@link #TOTAL_ID} for a total. */
    public int arenaId()
    {
        return arenaId;
    }

    public boolean isTotal()
    {
        return arenaId == TOTAL_ID;
    }

    /** @return 1 for one arena; the number of arenas totalled otherwise. */
    public int arenaCount()
    {
        return arenaCount;
    }

    /** @return wall-clock time (epoch ms) the figures were copied. */
    public long takenAtMillis()
    {
        return takenAtMillis;
    }

    /** @return figure {@code id} (see {@link ArenaFigures}). */
    public long figure(final int id)
    {
        if (id < 0 || id >= ArenaFigures.COUNT)
        {
            throw new IllegalArgumentException("figure id=" + id + ", expected 0.." + (ArenaFigures.COUNT - 1));
        }
        return figures[id];
    }

    /** @return a copy of every figure. */
    public long[] figures()
    {
        return figures.clone();
    }

    // ---- allocations and frees ---------------------------------------------------------------

    public long allocations()
    {
        return figures[ArenaCounters.ALLOCATIONS];
    }

    /** @return all frees applied by the owner: local and remote. */
    public long frees()
    {
        return figures[ArenaCounters.FREES];
    }

    /** @return frees by the owner of blocks it freed itself (frees - remote frees applied). */
    public long localFrees()
    {
        return figures[ArenaFigures.FREES_LOCAL];
    }

    public long remoteFreesQueued()
    {
        return figures[ArenaCounters.REMOTE_FREES_QUEUED];
    }

    public long remoteFreesApplied()
    {
        return figures[ArenaCounters.REMOTE_FREES_APPLIED];
    }

    /** @return remote frees queued and not yet applied by the owner. */
    public long remoteFreesPending()
    {
        return figures[ArenaFigures.REMOTE_FREES_PENDING];
    }

    public long reallocations()
    {
        return figures[ArenaCounters.REALLOCATIONS];
    }

    // ---- bytes and blocks -------------------------------------------------------------------

    public long liveBlocks()
    {
        return figures[ArenaCounters.LIVE_BLOCKS];
    }

    public long liveHandles()
    {
        return figures[ArenaCounters.LIVE_HANDLES];
    }

    /** @return usable bytes of live blocks. */
    public long liveBytes()
    {
        return figures[ArenaCounters.LIVE_BYTES];
    }

    /** @return bytes requested by all allocations so far (cumulative). */
    public long requestedBytes()
    {
        return figures[ArenaCounters.REQUESTED_BYTES];
    }

    /** @return bytes held from memory sources. */
    public long committedBytes()
    {
        return figures[ArenaCounters.COMMITTED_BYTES];
    }

    public long committedHighWater()
    {
        return figures[ArenaCounters.COMMITTED_HIGH_WATER];
    }

    public long liveBytesHighWater()
    {
        return figures[ArenaCounters.LIVE_BYTES_HIGH_WATER];
    }

    // ---- chunks -------------------------------------------------------------------------------

    /** @return regular chunks held. */
    public long chunks()
    {
        return figures[ArenaCounters.CHUNKS];
    }

    public long hugeChunks()
    {
        return figures[ArenaCounters.HUGE_CHUNKS];
    }

    /** @return regular chunks holding no live block (spares kept for reuse), as of the last publish. */
    public long emptyChunks()
    {
        return figures[ArenaFigures.EMPTY_CHUNKS];
    }

    public long chunksAcquired()
    {
        return figures[ArenaCounters.CHUNKS_ACQUIRED];
    }

    public long chunksReleased()
    {
        return figures[ArenaCounters.CHUNKS_RELEASED];
    }

    /** @return bytes of regular and region chunks, as of the last publish. */
    public long regularCommittedBytes()
    {
        return figures[ArenaFigures.REGULAR_COMMITTED_BYTES];
    }

    // ---- fragmentation ------------------------------------------------------------------------

    /** @return 1 - live / committed over regular chunks, 0..1, as of the last publish. */
    public double fragmentation()
    {
        return figures[ArenaFigures.FRAGMENTATION_PPM] / (double)ArenaFigures.PPM;
    }

    /** @return the longest free run in bytes, as of the last publish. */
    public long largestFreeRun()
    {
        return figures[ArenaFigures.LARGEST_FREE_RUN];
    }

    public long pinnedBlocks()
    {
        return figures[ArenaFigures.PINNED_BLOCKS];
    }

    // ---- compaction -----------------------------------------------------------------------------

    public long compactSteps()
    {
        return figures[ArenaCounters.COMPACT_STEPS];
    }

    public long compactNanos()
    {
        return figures[ArenaCounters.COMPACT_NANOS];
    }

    public long blocksMoved()
    {
        return figures[ArenaCounters.BLOCKS_MOVED];
    }

    public long bytesMoved()
    {
        return figures[ArenaCounters.BYTES_MOVED];
    }

    public long movesSkippedPinned()
    {
        return figures[ArenaCounters.MOVES_SKIPPED_PINNED];
    }

    /** @return chunk releases prevented by fixed or pinned blocks. */
    public long releaseBlocked()
    {
        return figures[ArenaCounters.RELEASE_BLOCKED];
    }

    // ---- limits ---------------------------------------------------------------------------------

    /** @return allocations refused at the arena's byte limit. */
    public long limitFailures()
    {
        return figures[ArenaCounters.LIMIT_FAILURES];
    }

    /**
     * @return allocations for this arena that met a limit (the arena's or an allocator's global budget) and waited,
     * once per allocation; counted by {@code ArenaAllocator} (a bare arena never waits).
     */
    public long limitWaits()
    {
        return figures[ArenaCounters.LIMIT_WAITS];
    }

    // ---- owner publishing -----------------------------------------------------------------------

    /** @return how often the owner figures were published (0: never; they are then all 0). */
    public long publishes()
    {
        return figures[ArenaFigures.PUBLISHES];
    }

    /** @return wall-clock time (epoch ms) of the last publish of the owner figures; 0 if never. */
    public long publishedAtMillis()
    {
        return figures[ArenaFigures.PUBLISHED_AT_MS];
    }

    // ---- occupancy by size class ----------------------------------------------------------------

    /** @return live slab blocks of size class {@code cls} (0 .. {@link SizeClasses#CLASS_COUNT} - 1). */
    public long classLiveBlocks(final int cls)
    {
        return figures[ArenaFigures.classLive(checkClass(cls))];
    }

    /** @return slab blocks, live and free, of size class {@code cls}. */
    public long classCapacityBlocks(final int cls)
    {
        return figures[ArenaFigures.classCapacity(checkClass(cls))];
    }

    /** @return live / capacity of size class {@code cls}, 0..1 (0 when it has no slab). */
    public double classOccupancy(final int cls)
    {
        final long capacity = classCapacityBlocks(cls);
        return capacity == 0 ? 0.0 : (double)classLiveBlocks(cls) / capacity;
    }

    private static int checkClass(final int cls)
    {
        if (cls < 0 || cls >= SizeClasses.CLASS_COUNT)
        {
            throw new IllegalArgumentException("cls=" + cls + ", expected 0.." + (SizeClasses.CLASS_COUNT - 1));
        }
        return cls;
    }

    @Override
    public boolean equals(final Object o)
    {
        if (this == o)
        {
            return true;
        }
        if (!(o instanceof ArenaSnapshot))
        {
            return false;
        }
        final ArenaSnapshot s = (ArenaSnapshot)o;
        return arenaId == s.arenaId && arenaCount == s.arenaCount && takenAtMillis == s.takenAtMillis &&
            name.equals(s.name) && Arrays.equals(figures, s.figures);
    }

    @Override
    public int hashCode()
    {
        return 31 * (31 * name.hashCode() + arenaId) + Arrays.hashCode(figures);
    }

    /** @return one line with the main figures (the format of {@link ArenaStatsReporter#formatLine}). */
    @Override
    public String toString()
    {
        return ArenaStatsReporter.formatLine(this);
    }
}
