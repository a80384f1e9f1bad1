package io.arenaalloc.core;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;

import static org.junit.jupiter.api.Assertions.assertEquals;

/** A fingerprint of an arena's observable state: counters, totals and every block from walk(). */
final class ArenaState
{
    final long[] counters = new long[ArenaCounters.COUNT];
    final List<String> blocks = new ArrayList<>();
    final long committed;
    final long live;

    ArenaState(final OffHeapArena arena)
    {
        arena.counters().copyTo(counters);
        arena.walk((address, size, inUse, movable) -> blocks.add(address + ":" + size + ":" + inUse + ":" + movable));
        committed = arena.committedBytes();
        live = arena.liveBytes();
    }

    static void assertUnchanged(final ArenaState before, final OffHeapArena arena)
    {
        final ArenaState after = new ArenaState(arena);
        // limit failures are counted by design; every other counter must be untouched
        before.counters[ArenaCounters.LIMIT_FAILURES] = after.counters[ArenaCounters.LIMIT_FAILURES];
        assertEquals(Arrays.toString(before.counters), Arrays.toString(after.counters), "counters changed");
        assertEquals(before.committed, after.committed, "committed bytes changed");
        assertEquals(before.live, after.live, "live bytes changed");
        assertEquals(before.blocks, after.blocks, "block layout changed");
        arena.validate();
    }
}
