package io.arenaalloc.bench.subject;

import io.arenaalloc.core.ArenaCounters;
import io.arenaalloc.core.OffHeapArena;

/**
 * {@code arena} with <em>movable</em> blocks, for the {@code frag} workload: each slot holds a handle
 * from {@link OffHeapArena#allocateHandle}; {@link #allocate} returns the block's current address
 * ({@link OffHeapArena#resolve}), valid until the next {@link #idle} (compaction). Footprint:
 * {@link OffHeapArena#committedBytes()}. Idle: {@link OffHeapArena#compactFully(long)} within the
 * budget, i.e. bounded compaction steps until {@link OffHeapArena#compactionWorthIt()} is false.
 * Default configuration (4 MiB chunks, one spare chunk, compaction threshold 0.20). One thread only.
 */
public final class ArenaHandleSubject implements Subject
{
    private final OffHeapArena arena;
    private final long[] handles;
    private boolean closed;
    private long lastIdleNanos;
    private long lastIdleBytesMoved;

    /** @param slots size of the slot table. */
    public ArenaHandleSubject(final int slots)
    {
        arena = OffHeapArena.create();
        handles = new long[slots];
    }

    /** @return the arena (owner thread only), e.g. for heap maps. */
    public OffHeapArena arena()
    {
        return arena;
    }

    @Override
    public String name()
    {
        return Subjects.ARENA;
    }

    @Override
    public int slots()
    {
        return handles.length;
    }

    @Override
    public long allocate(final int slot, final int size)
    {
        final long handle = arena.allocateHandle(size);
        handles[slot] = handle;
        return arena.resolve(handle);
    }

    @Override
    public void free(final int slot)
    {
        final long handle = handles[slot];
        handles[slot] = 0;
        arena.free(handle);
    }

    @Override
    public boolean isLive(final int slot)
    {
        return handles[slot] != 0;
    }

    @Override
    public long footprintBytes()
    {
        return arena.committedBytes();
    }

    @Override
    public String footprintSource()
    {
        return "OffHeapArena.committedBytes()";
    }

    @Override
    public void idle(final long budgetNanos)
    {
        final long moved = arena.counters().getOpaque(ArenaCounters.BYTES_MOVED);
        final long start = System.nanoTime();
        arena.compactFully(budgetNanos);
        lastIdleNanos = System.nanoTime() - start;
        lastIdleBytesMoved = arena.counters().getOpaque(ArenaCounters.BYTES_MOVED) - moved;
    }

    /** @return what the last {@link #idle} did, for the log. */
    public String lastIdle()
    {
        return String.format(java.util.Locale.ROOT, "compaction moved %.1f MiB in %.1f ms, still worth it: %s",
            lastIdleBytesMoved / 1048576.0, lastIdleNanos / 1e6, arena.compactionWorthIt());
    }

    @Override
    public void close()
    {
        if (closed)
        {
            return;
        }
        closed = true;
        for (int i = 0; i < handles.length; i++)
        {
            if (handles[i] != 0)
            {
                free(i);
            }
        }
        arena.close();
    }
}
