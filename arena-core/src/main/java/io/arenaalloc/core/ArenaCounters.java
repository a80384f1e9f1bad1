package io.arenaalloc.core;

import java.lang.invoke.MethodHandles;
import java.lang.invoke.VarHandle;

/**
 * The live counters of one arena: written by the owner thread only, readable from any thread.
 *
 * <h2>Threading contract</h2>
 * Only the owner writes, each change with one opaque store ({@code addOpaque}/{@code setOpaque}); no atomic
 * read-modify-write, no fence (on x86 and AArch64 an opaque store is a plain move). A reader on another thread
 * uses {@link #getOpaque(int)}: it sees each counter's value as of some recent moment, never a torn value,
 * but two counters read one after the other need not be from the same moment ("slightly stale", as
 * Agrona's {@code CountersManager} readers are).
 *
 * <h2>Per-call counters: no second copy</h2>
 * <pre>
 *   OffHeapArena (owner's fields, opaque stores)       ArenaCounters.values[] (opaque stores)
 *   allocationCount  liveBlocks  liveBytes             chunks, committed, compaction, limits, remote frees ...
 *   freeCount  requestedBytes  liveHighWater           (written off the allocate/free fast path)
 *          ^ getOpaque(ALLOCATIONS ... LIVE_BYTES_HIGH_WATER) reads here
 * </pre>
 * The six figures that change on every allocate and free ({@link #ALLOCATIONS}, {@link #FREES},
 * {@link #LIVE_BLOCKS}, {@link #LIVE_BYTES}, {@link #REQUESTED_BYTES}, {@link #LIVE_BYTES_HIGH_WATER}) are the
 * arena's own running totals: the owner writes those fields with opaque stores (the same plain moves it needs to
 * keep the totals at all) and this class reads them through the arena's field handles. Publishing a second copy
 * into {@code values} took seven more stores per allocate/free pair, which measured 15-18% of churn-small's time
 * ({@code arena-bench costs}). These six ids cannot be written through this class.
 *
 * <h2>Counters</h2>
 * The ids below index {@link #NAMES}; {@link #COUNT} is their number. Byte figures are usable bytes
 * (what the caller may use) unless the name says otherwise. A new counter takes the next id before
 * {@code COUNT}, so the ids of the others never change. {@link OffHeapArena} writes all of them but three, which
 * arena-threads' facade writes, always from the thread that holds the arena at that moment (its owner then, under
 * the facade's hand-over rules, so the single-writer contract above holds): {@link #REMOTE_FREES_QUEUED} and
 * {@link #REMOTE_FREES_APPLIED} when it drains the arena's inbox, {@link #LIMIT_WAITS} when an allocation that
 * met a limit is about to retry after waiting. A bare arena leaves them 0.
 *
 * <h2>Switching them off ({@value #PROP_ENABLED})</h2>
 * {@link #ENABLED} is read once, when this class is initialised, from the system property
 * {@code -D}{@value #PROP_ENABLED}: absent or {@code on} keeps the counters (the default), {@code off} turns
 * them off, anything else fails class initialisation with an {@link IllegalArgumentException} that names the
 * property, its value and the two accepted values ({@code parseEnabled}). Off, every write method
 * ({@code putOpaque}, {@link #addOpaque}, {@link #setOpaque}, {@code maxOpaque}) returns without storing;
 * since {@code ENABLED} is a static final the JIT folds the test and drops the stores. Every counter then
 * reads 0, and so does every arena-stats figure taken from the counters (allocations, frees, live and
 * committed bytes, chunks, compaction, limit failures and waits, remote frees, ...); the figures arena-stats
 * computes by walking the arena (fragmentation, largest free run, empty chunks, pinned blocks, size classes)
 * and the arena's own behaviour are unaffected: {@link OffHeapArena} keeps the plain fields it decides with
 * (live blocks and bytes, committed bytes, allocation count, chunks released, compaction steps) either way.
 * The switch exists to measure what the counters cost ({@code bench}'s {@code StatsCostBenchmark}).
 */
public final class ArenaCounters
{
    public static final int ALLOCATIONS = 0;
    public static final int FREES = 1;
    public static final int LIVE_BLOCKS = 2;
    public static final int LIVE_BYTES = 3;
    public static final int REQUESTED_BYTES = 4;
    public static final int COMMITTED_BYTES = 5;
    public static final int COMMITTED_HIGH_WATER = 6;
    public static final int CHUNKS = 7;
    public static final int HUGE_CHUNKS = 8;
    public static final int CHUNKS_ACQUIRED = 9;
    public static final int CHUNKS_RELEASED = 10;
    public static final int LIVE_HANDLES = 11;
    public static final int MOVES_SKIPPED_PINNED = 12;
    public static final int COMPACT_STEPS = 13;
    public static final int COMPACT_NANOS = 14;
    public static final int BLOCKS_MOVED = 15;
    public static final int BYTES_MOVED = 16;
    public static final int RELEASE_BLOCKED = 17;
    public static final int LIMIT_FAILURES = 18;
    public static final int REALLOCATIONS = 19;
    public static final int REMOTE_FREES_QUEUED = 20;
    public static final int REMOTE_FREES_APPLIED = 21;
    public static final int LIVE_BYTES_HIGH_WATER = 22;
    /**
     * Allocations for this arena that met a limit (its own or an allocator's global budget) and waited for room:
     * written by arena-threads' {@code ArenaAllocator}, once per waiting allocation; a bare arena never waits.
     */
    public static final int LIMIT_WAITS = 23;
    public static final int COUNT = 24;

    public static final String[] NAMES = {
        "allocations", "frees", "live-blocks", "live-bytes", "requested-bytes", "committed-bytes",
        "committed-high-water", "chunks", "huge-chunks", "chunks-acquired", "chunks-released", "live-handles",
        "moves-skipped-pinned", "compact-steps", "compact-nanos", "blocks-moved", "bytes-moved", "release-blocked",
        "limit-failures", "reallocations", "remote-frees-queued", "remote-frees-applied", "live-bytes-high-water",
        "limit-waits"
    };

    /** The system property that switches the counters off: {@code -Darena.counters=off}. */
    public static final String PROP_ENABLED = "arena.counters";
    /** False when {@value #PROP_ENABLED} is {@code off}: the write methods then store nothing. */
    public static final boolean ENABLED = parseEnabled(System.getProperty(PROP_ENABLED));

    private static final VarHandle VALUES = MethodHandles.arrayElementVarHandle(long[].class);
    private static final long BASE = org.agrona.UnsafeApi.arrayBaseOffset(long[].class);
    private static final int SHIFT = 3;

    private final long[] values = new long[COUNT];
    /** The arena whose running totals are the per-call counters. */
    private final OffHeapArena arena;

    ArenaCounters(final OffHeapArena arena)
    {
        this.arena = arena;
    }

    /** @return true for the six per-call ids, which live in the arena's fields. */
    static boolean isPerCall(final int id)
    {
        return id == ALLOCATIONS || id == FREES || id == LIVE_BLOCKS || id == LIVE_BYTES || id == REQUESTED_BYTES ||
            id == LIVE_BYTES_HIGH_WATER;
    }

    /**
     * The value of {@value #PROP_ENABLED}: null (absent) or {@code "on"} = true, {@code "off"} = false.
     * @throws IllegalArgumentException for any other value, naming the property, the value and what is expected.
     */
    static boolean parseEnabled(final String value)
    {
        if (value == null || "on".equals(value))
        {
            return true;
        }
        if ("off".equals(value))
        {
            return false;
        }
        throw new IllegalArgumentException("-D" + PROP_ENABLED + "=" + value + ", expected on (the default) or off");
    }

    private static void checkId(final int id)
    {
        if (id < 0 || id >= COUNT)
        {
            throw new IllegalArgumentException("id=" + id + ", expected 0.." + (COUNT - 1));
        }
        if (isPerCall(id))
        {
            throw new IllegalArgumentException("id=" + id + " (" + NAMES[id] +
                ") is a per-call counter, which the arena keeps in its own fields; expected another id");
        }
    }

    /** Owner thread only. Does nothing (after checking {@code id}) when {@link #ENABLED} is false. */
    public void addOpaque(final int id, final long delta)
    {
        checkId(id);
        if (!ENABLED)
        {
            return;
        }
        putOpaque(id, org.agrona.UnsafeApi.getLongOpaque(values, BASE + ((long)id << SHIFT)) + delta);
    }

    /** Owner thread only. Does nothing (after checking {@code id}) when {@link #ENABLED} is false. */
    public void setOpaque(final int id, final long value)
    {
        checkId(id);
        if (!ENABLED)
        {
            return;
        }
        putOpaque(id, value);
    }

    /**
     * Owner thread: one opaque store (a plain move on x86 and AArch64), no bounds or type check; {@code id} must be
     * one of the constants above, not a per-call one. Does nothing when {@link #ENABLED} is false.
     */
    private void putOpaque(final int id, final long value)
    {
        if (!ENABLED)
        {
            return;
        }
        org.agrona.UnsafeApi.putLongOpaque(values, BASE + ((long)id << SHIFT), value);
    }

    /** Any thread. Always 0 when {@link #ENABLED} is false. */
    public long getOpaque(final int id)
    {
        if (!ENABLED)
        {
            return 0;
        }
        switch (id)
        {
            case ALLOCATIONS:
                return (long)OffHeapArena.ALLOCATION_COUNT_VH.getOpaque(arena);
            case FREES:
                return (long)OffHeapArena.FREE_COUNT_VH.getOpaque(arena);
            case LIVE_BLOCKS:
                return (long)OffHeapArena.LIVE_BLOCKS_VH.getOpaque(arena);
            case LIVE_BYTES:
                return (long)OffHeapArena.LIVE_BYTES_VH.getOpaque(arena);
            case REQUESTED_BYTES:
                return (long)OffHeapArena.REQUESTED_BYTES_VH.getOpaque(arena);
            case LIVE_BYTES_HIGH_WATER:
                return (long)OffHeapArena.LIVE_HIGH_WATER_VH.getOpaque(arena);
            default:
                return (long)VALUES.getOpaque(values, id);
        }
    }

    /** Owner thread only: raises a high-water mark. Does nothing when {@link #ENABLED} is false. */
    void maxOpaque(final int id, final long value)
    {
        if (ENABLED && value > (long)VALUES.getOpaque(values, id))
        {
            VALUES.setOpaque(values, id, value);
        }
    }

    /** Any thread: copies every counter into {@code into} (length &gt;= {@link #COUNT}). */
    public void copyTo(final long[] into)
    {
        for (int i = 0; i < COUNT; i++)
        {
            into[i] = getOpaque(i);
        }
    }

    public String toString()
    {
        final StringBuilder sb = new StringBuilder("ArenaCounters{");
        for (int i = 0; i < COUNT; i++)
        {
            sb.append(i == 0 ? "" : ", ").append(NAMES[i]).append('=').append(getOpaque(i));
        }
        return sb.append('}').toString();
    }
}
