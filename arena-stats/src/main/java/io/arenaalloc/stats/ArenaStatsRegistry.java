package io.arenaalloc.stats;

import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;

/**
 * A thread-safe set of {@link ArenaStatsPublisher}s of lone arenas and {@link AllocatorStatsPublisher}s of
 * allocators, the source the reporter and the JMX total read.
 *
 * <h2>Vocabulary and layout</h2>
 * <pre>
 *   publishers: CopyOnWriteArrayList [ p0 | p1 | ... ]   each p = one lone arena's publisher (arena, name, figures)
 *   allocators: CopyOnWriteArrayList [ g0 | g1 | ... ]   each g = one allocator's publisher, which tracks the
 *                                                        allocator's arenas itself
 * </pre>
 *
 * <h2>Contract</h2>
 * Adding and removing copy the lists (copy-on-write): cheap at the rate arenas and allocators come and go, and
 * readers ({@link #snapshots()}) never block or see a half-changed list. Publishers of closed arenas and closed
 * allocators are dropped by the readers (their final figures are not reported again).
 *
 * <h2>Algorithm of {@link #snapshots()}</h2>
 * <ol>
 *   <li>Take the current array of lone publishers. For each whose arena is open, take
 *   {@link ArenaStatsPublisher#snapshot()}; remove the closed ones.</li>
 *   <li>Take {@link #allocatorSnapshots()} (open allocators; closed ones removed) and append each one's arenas.</li>
 * </ol>
 */
public final class ArenaStatsRegistry
{
    private final CopyOnWriteArrayList<ArenaStatsPublisher> publishers = new CopyOnWriteArrayList<>();
    private final CopyOnWriteArrayList<AllocatorStatsPublisher> allocators = new CopyOnWriteArrayList<>();

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

    /** @return {@code publisher}, for chaining. */
    public AllocatorStatsPublisher add(final AllocatorStatsPublisher publisher)
    {
        if (publisher == null)
        {
            throw new IllegalArgumentException("publisher=null, expected an AllocatorStatsPublisher");
        }
        allocators.addIfAbsent(publisher);
        return publisher;
    }

    public boolean remove(final AllocatorStatsPublisher publisher)
    {
        return allocators.remove(publisher);
    }

    public List<AllocatorStatsPublisher> allocatorPublishers()
    {
        return List.copyOf(allocators);
    }

    /** Any thread: a snapshot of every open allocator (with its arenas), in the order they were added. */
    public List<AllocatorSnapshot> allocatorSnapshots()
    {
        final List<AllocatorSnapshot> list = new ArrayList<>(allocators.size());
        for (final AllocatorStatsPublisher g : allocators)
        {
            if (g.isClosed())
            {
                allocators.remove(g);
            }
            else
            {
                list.add(g.snapshot());
            }
        }
        return list;
    }

    public List<ArenaStatsPublisher> publishers()
    {
        return List.copyOf(publishers);
    }

    /**
     * Any thread: a snapshot of every open arena: the lone ones in the order they were added, then each allocator's
     * in arena id order.
     */
    public List<ArenaSnapshot> snapshots()
    {
        final List<ArenaSnapshot> list = loneSnapshots();
        for (final AllocatorSnapshot a : allocatorSnapshots())
        {
            list.addAll(a.arenas());
        }
        return list;
    }

    /** Any thread: a snapshot of every open lone arena (a mutable list of its own). */
    List<ArenaSnapshot> loneSnapshots()
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

    /** Any thread: the total over every open arena, the allocators' included. */
    public ArenaSnapshot total()
    {
        return ArenaStats.total(snapshots());
    }
}
