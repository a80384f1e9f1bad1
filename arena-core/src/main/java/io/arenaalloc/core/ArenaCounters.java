package io.arenaalloc.core;

import java.lang.invoke.MethodHandles;
import java.lang.invoke.VarHandle;

/**
 * The live counters of one arena: written by the owner thread only, readable from any thread.
 *
 * <h2>Threading contract</h2>
 * The owner keeps its running totals in plain fields of its own and publishes each change with one
 * opaque store ({@code putOpaque} on the hot path, {@code addOpaque}/{@code setOpaque} elsewhere); no
 * atomic read-modify-write, no fence (on x86 and AArch64 an opaque store is a plain move). A reader on another thread uses
 * {@link #getOpaque(int)}: it sees each counter's value as of some recent moment, never a torn value,
 * but two counters read one after the other need not be from the same moment ("slightly stale", as
 * Agrona's {@code CountersManager} readers are). Values are padded from the arena's hot fields by
 * living in their own array.
 *
 * <h2>Counters</h2>
 * The ids below index {@link #NAMES}; {@link #COUNT} is their number. Byte figures are usable bytes
 * (what the caller may use) unless the name says otherwise.
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
    public static final int COUNT = 23;

    public static final String[] NAMES = {
        "allocations", "frees", "live-blocks", "live-bytes", "requested-bytes", "committed-bytes",
        "committed-high-water", "chunks", "huge-chunks", "chunks-acquired", "chunks-released", "live-handles",
        "moves-skipped-pinned", "compact-steps", "compact-nanos", "blocks-moved", "bytes-moved", "release-blocked",
        "limit-failures", "reallocations", "remote-frees-queued", "remote-frees-applied", "live-bytes-high-water"
    };

    private static final VarHandle VALUES = MethodHandles.arrayElementVarHandle(long[].class);
    private static final long BASE = org.agrona.UnsafeApi.arrayBaseOffset(long[].class);
    private static final int SHIFT = 3;

    private final long[] values = new long[COUNT];

    private static void checkId(final int id)
    {
        if (id < 0 || id >= COUNT)
        {
            throw new IllegalArgumentException("id=" + id + ", expected 0.." + (COUNT - 1));
        }
    }

    /** Owner thread only. */
    public void addOpaque(final int id, final long delta)
    {
        checkId(id);
        putOpaque(id, org.agrona.UnsafeApi.getLongOpaque(values, BASE + ((long)id << SHIFT)) + delta);
    }

    /** Owner thread only. */
    public void setOpaque(final int id, final long value)
    {
        checkId(id);
        putOpaque(id, value);
    }

    /**
     * Owner thread, hot path: one opaque store (a plain move on x86 and AArch64), no bounds or type check;
     * {@code id} must be one of the constants above.
     */
    void putOpaque(final int id, final long value)
    {
        org.agrona.UnsafeApi.putLongOpaque(values, BASE + ((long)id << SHIFT), value);
    }

    /** Any thread. */
    public long getOpaque(final int id)
    {
        return (long)VALUES.getOpaque(values, id);
    }

    /** Owner thread only: raises a high-water mark. */
    void maxOpaque(final int id, final long value)
    {
        if (value > (long)VALUES.getOpaque(values, id))
        {
            VALUES.setOpaque(values, id, value);
        }
    }

    /** Any thread: copies every counter into {@code into} (length &gt;= {@link #COUNT}). */
    public void copyTo(final long[] into)
    {
        for (int i = 0; i < COUNT; i++)
        {
            into[i] = (long)VALUES.getOpaque(values, i);
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
