package io.arenaalloc.stats;

import io.arenaalloc.core.OffHeapArena;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.Collection;
import java.util.List;

/**
 * One-call entry points for in-process use: a snapshot of an arena, a total over several, a table.
 *
 * <h2>Vocabulary</h2>
 * Snapshots and figures: see {@link ArenaSnapshot} and {@link ArenaFigures}.
 *
 * <h2>Which call, from which thread</h2>
 * <pre>
 *   call                                   thread        cost                 owner figures
 *   ArenaStats.snapshot(arena)             owner         one walk, allocates  computed now
 *   ArenaStatsPublisher.snapshot()         any           COUNT opaque loads   as of the last publish
 *   ArenaStats.total(snapshots)            any           COUNT x arenas       combined (see ArenaFigures)
 *   AllocatorStatsPublisher.snapshot()     any           arena id scan +      as of each arena's last publish
 *                                                        one per arena        (none for an allocator's arenas)
 * </pre>
 *
 * <h2>Algorithm of {@link #snapshot(OffHeapArena)}</h2>
 * <ol>
 *   <li>Make a throw-away {@link ArenaStatsPublisher} for the arena and publish once (the walk).</li>
 *   <li>Copy counters, derived and owner figures into a new immutable {@link ArenaSnapshot}.</li>
 * </ol>
 */
public final class ArenaStats
{
    /** Name of totals made here. */
    public static final String TOTAL_NAME = "total";

    private ArenaStats()
    {
    }

    /**
     * Owner thread: every figure of {@code arena}, owner figures computed now. For a closed arena the owner
     * figures are 0 and the counters are their final values.
     */
    public static ArenaSnapshot snapshot(final OffHeapArena arena)
    {
        final ArenaStatsPublisher publisher = ArenaStatsPublisher.of(arena);
        publisher.publish();
        return publisher.snapshot();
    }

    /** Owner thread of every arena: the snapshot of each arena and their total, last. */
    public static List<ArenaSnapshot> snapshotsWithTotal(final OffHeapArena... arenas)
    {
        final List<ArenaSnapshot> list = new ArrayList<>(arenas.length + 1);
        for (final OffHeapArena a : arenas)
        {
            list.add(snapshot(a));
        }
        list.add(total(list));
        return list;
    }

    /** @return the total over {@code snapshots}, named {@value #TOTAL_NAME}. */
    public static ArenaSnapshot total(final Collection<ArenaSnapshot> snapshots)
    {
        return ArenaSnapshot.total(TOTAL_NAME, snapshots);
    }

    /** @return the total over {@code snapshots}, named {@value #TOTAL_NAME}. */
    public static ArenaSnapshot total(final ArenaSnapshot... snapshots)
    {
        return total(Arrays.asList(snapshots));
    }

    /** @return the table arena-stat prints: one row per figure, one column per snapshot. */
    public static String table(final List<ArenaSnapshot> columns)
    {
        return StatsFormat.table(columns, id -> true, false, System.currentTimeMillis());
    }
}
