package io.arenaalloc.threads;

import io.arenaalloc.core.OffHeapArena;

/**
 * Called by whoever holds an arena during its maintenance (its owner thread, a stripe's lock holder, or the
 * reclaimer of an orphan), after the arena's free cache and compaction were seen to. The holder has the arena
 * to itself for the duration of the call, so owner-only work on the arena is allowed here: reading
 * {@link OffHeapArena#walk}, {@link OffHeapArena#fragmentation()} and the like (the statistics module publishes
 * an allocator's per-arena owner figures this way). Keep it short and allocation-free: it runs in the
 * maintenance budget of an event loop.
 */
@FunctionalInterface
public interface ArenaMaintenanceListener
{
    /**
     * @param arena the arena just maintained, held exclusively by the calling thread for this call.
     * @param nowNanos {@link System#nanoTime()} at the call.
     */
    void onMaintenance(OffHeapArena arena, long nowNanos);
}
