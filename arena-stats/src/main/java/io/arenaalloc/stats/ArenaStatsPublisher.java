package io.arenaalloc.stats;

import io.arenaalloc.core.SystemProperties;
import io.arenaalloc.core.ArenaCounters;
import io.arenaalloc.core.BlockVisitor;
import io.arenaalloc.core.OffHeapArena;

import java.lang.invoke.MethodHandles;
import java.lang.invoke.VarHandle;
import java.nio.file.Path;

/**
 * The statistics of one arena: its owner refreshes the figures only the owner can compute, any thread
 * reads every figure.
 *
 * <h2>Vocabulary</h2>
 * See {@link ArenaFigures}: <b>counters</b> (kept by the arena on every operation), <b>derived</b> figures,
 * and <b>owner</b> figures (fragmentation, largest free run, empty chunks, pinned blocks, occupancy by size
 * class), which need a walk of the arena's metadata and therefore its owner thread.
 *
 * <h2>Threading contract</h2>
 * <ul>
 *   <li>{@link #publish()} and {@link #publishIfDue(long)}: <b>owner thread only</b> (the thread that may call
 *   {@link OffHeapArena#walk}), e.g. from the allocator's maintenance duty cycle. They write the owner figures
 *   with opaque stores: no atomic read-modify-write, no lock, no fence, and <b>zero garbage</b> (the walk's
 *   visitor and both arrays are allocated once, here).</li>
 *   <li>{@link #copyFigures(long[])} and {@link #snapshot()}: any thread. Each figure is read atomically
 *   (opaque load), but figures are not read at one instant: a counter may be newer than the owner figures,
 *   which are as old as the last publish ({@link ArenaFigures#PUBLISHED_AT_MS}). Readers accept that.</li>
 * </ul>
 *
 * <h2>Owner figure storage</h2>
 * <pre>
 *   scratch[]   owner only, plain:    filled by one walk
 *   published[] owner writes opaque, any thread reads opaque
 *     index i holds figure ArenaFigures.OWNER_BASE + i:
 *     0 fragmentation-ppm | 1 largest-free-run | 2 regular-committed-bytes | 3 empty-chunks | 4 pinned-blocks |
 *     5 publishes | 6 published-at-ms | 7 + 2c class-c-live | 8 + 2c class-c-capacity
 * </pre>
 *
 * <h2>Algorithm of {@link #publish()}</h2>
 * <ol>
 *   <li>If the arena is closed, do nothing (the last published figures stay).</li>
 *   <li>Fragmentation and largest free run from the arena (O(chunks) and O(1)).</li>
 *   <li>If walking is on ({@link Builder#walk(boolean)}, default {@value #DEFAULT_WALK}): one
 *   {@link OffHeapArena#walk} (O(block slots), about 2-5 ns each): sum regular chunk sizes, count regular
 *   chunks without a live block, pinned live blocks, and per size class the slab blocks and the live ones.
 *   Without walking, regular-committed-bytes is the committed-bytes counter and the walk's figures are 0.</li>
 *   <li>Store every scratch value into {@code published} with an opaque store; count the publish and stamp it
 *   with the wall clock.</li>
 *   <li>If a heap map was requested ({@link #requestHeapMap(long, Path)}), write it now (this step allocates)
 *   and acknowledge the request.</li>
 * </ol>
 */
public final class ArenaStatsPublisher
{
    /** Default minimum interval of {@link #publishIfDue(long)}: 1 second. */
    public static final long DEFAULT_INTERVAL_MILLIS = 1_000;
    public static final String PROP_INTERVAL_MILLIS = "arena.stats.publishIntervalMillis";
    /** Default: walk the arena on each publish. */
    public static final boolean DEFAULT_WALK = true;
    public static final String PROP_WALK = "arena.stats.walk";

    private static final VarHandle LONGS = MethodHandles.arrayElementVarHandle(long[].class);

    private static final int O_FRAGMENTATION = 0;
    private static final int O_LARGEST_FREE_RUN = ArenaFigures.LARGEST_FREE_RUN - ArenaFigures.OWNER_BASE;
    private static final int O_REGULAR = ArenaFigures.REGULAR_COMMITTED_BYTES - ArenaFigures.OWNER_BASE;
    private static final int O_EMPTY = ArenaFigures.EMPTY_CHUNKS - ArenaFigures.OWNER_BASE;
    private static final int O_PINNED = ArenaFigures.PINNED_BLOCKS - ArenaFigures.OWNER_BASE;
    private static final int O_PUBLISHES = ArenaFigures.PUBLISHES - ArenaFigures.OWNER_BASE;
    private static final int O_PUBLISHED_AT = ArenaFigures.PUBLISHED_AT_MS - ArenaFigures.OWNER_BASE;

    private final OffHeapArena arena;
    private final ArenaCounters counters;
    private final String name;
    private final long intervalNanos;
    private final boolean walk;
    private final long[] published = new long[ArenaFigures.OWNER_COUNT];
    private final long[] scratch = new long[ArenaFigures.OWNER_COUNT];
    private final Walker walker = new Walker();
    private long publishes;
    private long lastPublishNanos;
    private boolean everPublished;

    /** Heap map request: sequence and path written by any thread, read by the owner in publish. */
    private volatile long heapMapRequested;
    private volatile Path heapMapPath;
    private volatile long heapMapDone;
    private volatile String heapMapError;

    private ArenaStatsPublisher(final Builder b)
    {
        this.arena = b.arena;
        this.counters = b.arena.counters();
        this.name = b.name != null ? b.name : "arena-" + b.arena.arenaId();
        this.intervalNanos = b.intervalMillis * 1_000_000L;
        this.walk = b.walk;
    }

    /** @return a builder for a publisher of {@code arena}. */
    public static Builder builder(final OffHeapArena arena)
    {
        return new Builder(arena);
    }

    /** @return a publisher of {@code arena} with the defaults. */
    public static ArenaStatsPublisher of(final OffHeapArena arena)
    {
        return builder(arena).build();
    }

    public OffHeapArena arena()
    {
        return arena;
    }

    public int arenaId()
    {
        return arena.arenaId();
    }

    public String name()
    {
        return name;
    }

    /** @return the minimum interval of {@link #publishIfDue(long)}, in nanoseconds. */
    public long intervalNanos()
    {
        return intervalNanos;
    }

    /**
     * Owner thread: publishes when at least the configured interval has passed since the last publish.
     * Cost when not due: one subtraction and compare.
     *
     * @param nowNanos {@link System#nanoTime()}, passed in so a duty cycle can share one clock read.
     * @return true if it published.
     */
    public boolean publishIfDue(final long nowNanos)
    {
        if (everPublished && nowNanos - lastPublishNanos < intervalNanos)
        {
            return false;
        }
        lastPublishNanos = nowNanos;
        everPublished = true;
        return publish();
    }

    /**
     * Owner thread: refreshes the owner figures now (see the class comment). Zero garbage unless a heap
     * map was requested.
     *
     * @return false when the arena is closed (nothing changes).
     */
    public boolean publish()
    {
        if (arena.isClosed())
        {
            return false;
        }
        final long[] s = scratch;
        java.util.Arrays.fill(s, 0L);
        s[O_FRAGMENTATION] = Math.round(arena.fragmentation() * ArenaFigures.PPM);
        s[O_LARGEST_FREE_RUN] = arena.largestFreeRun();
        if (walk)
        {
            walker.start(s);
            arena.walk(walker);
            walker.finish();
        }
        else
        {
            s[O_REGULAR] = arena.committedBytes();
        }
        s[O_PUBLISHES] = ++publishes;
        s[O_PUBLISHED_AT] = System.currentTimeMillis();
        for (int i = 0; i < s.length; i++)
        {
            LONGS.setOpaque(published, i, s[i]);
        }
        if (heapMapRequested != heapMapDone)
        {
            writeRequestedHeapMap();
        }
        return true;
    }

    /**
     * Any thread: copies every figure of this arena into {@code into} (length &gt;= {@link ArenaFigures#COUNT}).
     * Allocates nothing.
     */
    public void copyFigures(final long[] into)
    {
        if (into.length < ArenaFigures.COUNT)
        {
            throw new IllegalArgumentException("into.length=" + into.length + ", expected >= " + ArenaFigures.COUNT);
        }
        counters.copyTo(into);
        into[ArenaFigures.FREES_LOCAL] = into[ArenaCounters.FREES] - into[ArenaCounters.REMOTE_FREES_APPLIED];
        into[ArenaFigures.REMOTE_FREES_PENDING] =
            into[ArenaCounters.REMOTE_FREES_QUEUED] - into[ArenaCounters.REMOTE_FREES_APPLIED];
        for (int i = 0; i < ArenaFigures.OWNER_COUNT; i++)
        {
            into[ArenaFigures.OWNER_BASE + i] = (long)LONGS.getOpaque(published, i);
        }
    }

    /** Any thread: an immutable snapshot of every figure (owner figures as of the last publish). */
    public ArenaSnapshot snapshot()
    {
        final long[] figures = new long[ArenaFigures.COUNT];
        copyFigures(figures);
        return new ArenaSnapshot(name, arena.arenaId(), 1, System.currentTimeMillis(), figures);
    }

    // ---- heap map on request (used by the exporter for arena-stat --heap-map) ------------------

    /**
     * Any thread: asks the owner to write a heap map of this arena to {@code path} at its next
     * {@link #publish()}. A later request replaces an unserved one.
     *
     * @param sequence a number greater than any earlier request's.
     */
    public void requestHeapMap(final long sequence, final Path path)
    {
        heapMapPath = path;
        heapMapRequested = sequence;
    }

    /** Any thread: the sequence of the last request the owner has served (written or failed). */
    public long heapMapDone()
    {
        return heapMapDone;
    }

    /** Any thread: the error of the last served request, or null when it was written. */
    public String heapMapError()
    {
        return heapMapError;
    }

    private void writeRequestedHeapMap()
    {
        final long sequence = heapMapRequested;
        final Path path = heapMapPath;
        try
        {
            HeapMap.capture(arena).write(path);
            heapMapError = null;
        }
        catch (final java.io.IOException | RuntimeException ex)
        {
            heapMapError = ex.toString();
        }
        heapMapDone = sequence;
    }

    public String toString()
    {
        return "ArenaStatsPublisher{name=" + name + ", arenaId=" + arena.arenaId() + ", walk=" + walk +
            ", intervalNanos=" + intervalNanos + '}';
    }

    /** Counts what one walk sees. Owner thread; allocated once per publisher. */
    private static final class Walker implements BlockVisitor
    {
        private long[] s;
        private boolean inRegular;
        private boolean chunkHasLive;

        void start(final long[] scratch)
        {
            s = scratch;
            inRegular = false;
            chunkHasLive = false;
        }

        void finish()
        {
            endChunk();
            s = null;
        }

        private void endChunk()
        {
            if (inRegular && !chunkHasLive)
            {
                s[O_EMPTY]++;
            }
        }

        @Override
        public void visit(final long address, final long size, final boolean inUse, final boolean movable)
        {
            // the walk calls visitBlock
        }

        @Override
        public void beginChunk(final long base, final long size, final boolean huge, final boolean movable)
        {
            endChunk();
            inRegular = !huge;
            chunkHasLive = false;
            if (!huge)
            {
                s[O_REGULAR] += size;
            }
        }

        @Override
        public void visitBlock(final long address, final long size, final boolean inUse, final boolean movable,
            final boolean pinned, final int sizeClass)
        {
            if (inUse)
            {
                chunkHasLive = true;
                if (pinned)
                {
                    s[O_PINNED]++;
                }
            }
            if (sizeClass >= 0)
            {
                s[ArenaFigures.classCapacity(sizeClass) - ArenaFigures.OWNER_BASE]++;
                if (inUse)
                {
                    s[ArenaFigures.classLive(sizeClass) - ArenaFigures.OWNER_BASE]++;
                }
            }
        }
    }

    /** Validating builder; every option has a DEFAULT_* constant and a system property. Not thread safe. */
    public static final class Builder
    {
        private final OffHeapArena arena;
        private String name;
        private long intervalMillis = SystemProperties.longValue(PROP_INTERVAL_MILLIS, DEFAULT_INTERVAL_MILLIS);
        private boolean walk = SystemProperties.booleanValue(PROP_WALK, DEFAULT_WALK);

        private Builder(final OffHeapArena arena)
        {
            if (arena == null)
            {
                throw new IllegalArgumentException("arena=null, expected an OffHeapArena");
            }
            this.arena = arena;
        }

        /** Display name: 1..64 printable ASCII characters. Default "arena-&lt;id&gt;". */
        public Builder name(final String name)
        {
            this.name = StatsFile.checkName(name, StatsFile.MAX_NAME_LENGTH);
            return this;
        }

        /** Minimum interval of {@link #publishIfDue(long)}: 0 .. 1 day in milliseconds. Default 1000. */
        public Builder intervalMillis(final long millis)
        {
            if (millis < 0 || millis > 86_400_000L)
            {
                throw new IllegalArgumentException("intervalMillis=" + millis + ", expected 0..86400000");
            }
            this.intervalMillis = millis;
            return this;
        }

        /** Walk the arena on each publish (occupancy by size class, empty chunks, pinned blocks). Default true. */
        public Builder walk(final boolean walk)
        {
            this.walk = walk;
            return this;
        }

        public ArenaStatsPublisher build()
        {
            intervalMillis(intervalMillis);
            return new ArenaStatsPublisher(this);
        }
    }
}
