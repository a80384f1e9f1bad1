package io.arenaalloc.stats;

import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;

/**
 * A thread-safe set of {@link ArenaStatsPublisher}s, the source the reporter and the JMX total read.
 *
 * <h2>Vocabulary and layout</h2>
 * <pre>
 *   publishers: CopyOnWriteArrayList [ p0 | p1 | ... ]   each p = one arena's publisher (arena, name, figures)
 * </pre>
 *
 * <h2>Contract</h2>
 * Adding and removing copy the list (copy-on-write): cheap at the rate arenas come and go, and readers
 * ({@link #snapshots()}) never block or see a half-changed list. Publishers of closed arenas are dropped by
 * {@link #snapshots()} (their final figures are not reported again).
 *
 * <h2>Algorithm of {@link #snapshots()}</h2>
 * <ol>
 *   <li>Take the current array of publishers.</li>
 *   <li>For each whose arena is open, take {@link ArenaStatsPublisher#snapshot()}; remove the closed ones.</li>
 * </ol>
 */
public final class ArenaStatsRegistry
{
    private final CopyOnWriteArrayList<ArenaStatsPublisher> publishers = new CopyOnWriteArrayList<>();

    /** @return {@code publisher}, for chaining. */
    public ArenaStatsPublisher add(final ArenaStatsPublisher publisher)
    {
        if (publisher == null)
        {
            throw new IllegalArgumentException("publisher=null, expected an ArenaStatsPublisher");
        }
        publishers.addIfAbsent(publisher);
        return publisher;
    }

    public boolean remove(final ArenaStatsPublisher publisher)
    {
        return publishers.remove(publisher);
    }

    public List<ArenaStatsPublisher> publishers()
    {
        return List.copyOf(publishers);
    }

    /** Any thread: a snapshot of every open arena, in the order they were added. */
    public List<ArenaSnapshot> snapshots()
    {
        final List<ArenaSnapshot> list = new ArrayList<>(publishers.size());
        for (final ArenaStatsPublisher p : publishers)
        {
            if (p.arena().isClosed())
            {
                publishers.remove(p);
            }
            else
            {
                list.add(p.snapshot());
            }
        }
        return list;
    }

    /** Any thread: the total over every open arena. */
    public ArenaSnapshot total()
    {
        return ArenaStats.total(snapshots());
    }
}
