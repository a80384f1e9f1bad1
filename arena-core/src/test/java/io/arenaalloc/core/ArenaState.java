package io.arenaalloc.core;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;

import static org.junit.jupiter.api.Assertions.assertEquals;

/**
 * A fingerprint of an arena's observable state: counters, totals, the free cache and every chunk and block from
 * walk() (with its pinned flag and size class).
 */
final class ArenaState
{
    final long[] counters = new long[ArenaCounters.COUNT];
    final List<String> blocks = new ArrayList<>();
    final long committed;
    final long live;
    final long liveBlocks;
    final long allocationCount;
    final int freeCacheBlocks;

    ArenaState(final OffHeapArena arena)
    {
        arena.counters().copyTo(counters);
        arena.walk(new BlockVisitor()
        {
            public void beginChunk(final long base, final long size, final boolean huge, final boolean movable)
            {
                blocks.add("chunk " + base + ":" + size + ":" + huge + ":" + movable);
            }

            public void visitBlock(final long address, final long size, final boolean inUse, final boolean movable,
                final boolean pinned, final int sizeClass)
            {
                blocks.add(address + ":" + size + ":" + inUse + ":" + movable + ":" + pinned + ":" + sizeClass);
            }

            public void visit(final long address, final long size, final boolean inUse, final boolean movable)
            {
                throw new AssertionError("visitBlock overrides this");
            }
        });
        committed = arena.committedBytes();
        live = arena.liveBytes();
        liveBlocks = arena.liveBlocks();
        allocationCount = arena.allocationCount();
        freeCacheBlocks = arena.freeCacheBlocks();
    }

    static void assertUnchanged(final ArenaState before, final OffHeapArena arena)
    {
        final ArenaState after = assertFiguresUnchanged(before, arena);
        assertEquals(before.freeCacheBlocks, after.freeCacheBlocks, "free cache changed");
        assertEquals(before.blocks, after.blocks, "block layout changed");
        arena.validate();
    }

    /** The counters (limit failures aside: counted by design), committed and live figures. @return the state after. */
    private static ArenaState assertFiguresUnchanged(final ArenaState before, final OffHeapArena arena)
    {
        final ArenaState after = new ArenaState(arena);
        before.counters[ArenaCounters.LIMIT_FAILURES] = after.counters[ArenaCounters.LIMIT_FAILURES];
        assertEquals(Arrays.toString(before.counters), Arrays.toString(after.counters), "counters changed");
        assertEquals(before.committed, after.committed, "committed bytes changed");
        assertEquals(before.live, after.live, "live bytes changed");
        assertEquals(before.liveBlocks, after.liveBlocks, "live blocks changed");
        assertEquals(before.allocationCount, after.allocationCount, "allocation count changed");
        return after;
    }

    /**
     * As {@link #assertUnchanged}, for a call that met the limit after giving the free cache back, as an allocation
     * that finds no space does: the cache and the free space may change, every live block and every figure but
     * those may not.
     */
    static void assertLiveUnchanged(final ArenaState before, final OffHeapArena arena)
    {
        final ArenaState after = assertFiguresUnchanged(before, arena);
        assertEquals(liveOnly(before.blocks), liveOnly(after.blocks), "live blocks moved or changed");
        arena.validate();
    }

    private static List<String> liveOnly(final List<String> blocks)
    {
        final List<String> live = new ArrayList<>();
        for (final String b : blocks)
        {
            if (b.startsWith("chunk ") || b.split(":")[2].equals("true"))
            {
                live.add(b);
            }
        }
        return live;
    }
}
