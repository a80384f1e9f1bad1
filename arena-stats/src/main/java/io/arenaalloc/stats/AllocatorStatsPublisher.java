package io.arenaalloc.stats;

import io.arenaalloc.core.ArenaConfig;
import io.arenaalloc.core.OffHeapArena;
import io.arenaalloc.threads.ArenaAllocator;

import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.function.Consumer;

/**
 * The statistics of one {@link ArenaAllocator}: its allocator figures ({@link AllocatorFigures}) and one
 * {@link ArenaStatsPublisher} per arena it holds, tracked as its arenas come (threads, stripes) and go (closed
 * orphans, the allocator's close). Allocating threads do nothing for it, except that an arena's holder publishes
 * that arena's owner figures at the end of its maintenance (see the threading contract).
 *
 * <h2>Vocabulary</h2>
 * <b>tracked arena</b>: an open arena of the allocator that has a publisher here, named
 * {@code "<allocator name>/arena-<id>"}. <b>refresh</b>: bringing the tracked arenas in line with the allocator's.
 * <b>arena version</b>: a number that grows at each refresh that changed the tracked arenas, so that a consumer
 * (the exporter) notices new arenas without a callback.
 *
 * <h2>Layout</h2>
 * <pre>
 *   allocator, name (1..48 printable ASCII; default the allocator's name)
 *   arenas:       ArrayList&lt;ArenaStatsPublisher&gt;   in arena id order; guarded by this
 *   arenaVersion: long                              guarded by this
 *   tracked:      volatile ArenaStatsPublisher[]    a copy of arenas made by each refresh that changed them, in
 *                                                   arena id order; read without a lock by the maintenance callback
 * </pre>
 * An arena that appeared since the last refresh (the exporter refreshes every interval; {@link #snapshot()} and
 * {@link #arenaPublishers()} do too) is not in {@code tracked} yet: its maintenance publishes nothing until then.
 *
 * <h2>Threading contract</h2>
 * <ul>
 *   <li>{@link #copyFigures(long[])}: any thread, allocates nothing; each figure is read atomically but not all at one
 *   instant (the allocator's {@code LongAdder}s and the freers' plain fields are summed as they are).</li>
 *   <li>{@link #refreshArenas()}, {@link #forEachArena}, {@link #snapshot()}: any thread, under this object's lock.
 *   A refresh reads {@link ArenaAllocator#arenaById} for every possible arena id (32,768 loads, tens of
 *   microseconds) and allocates only when an arena came or went.</li>
 *   <li><b>Owner figures</b> of the tracked arenas (fragmentation, largest free run, empty chunks, pinned blocks,
 *   occupancy by size class) need a walk on each arena's owner thread: this publisher sets itself as the
 *   allocator's {@link io.arenaalloc.threads.ArenaMaintenanceListener}, so the holder of each tracked arena
 *   refreshes them at the end of that arena's maintenance, at most once per the arena publisher's interval. An
 *   arena that is never maintained (a PER_THREAD owner that never calls {@code maintain} or an idle strategy of
 *   the allocator) keeps them unpublished (0, "publishes" 0). The counters (allocations, frees local and remote,
 *   bytes, chunks, compaction, high-water marks, limit failures and waits) are live either way. One publisher per allocator
 *   receives the callbacks: the last one made.</li>
 * </ul>
 *
 * <h2>Algorithm of {@link #refreshArenas()}</h2>
 * <ol>
 *   <li>Drop each tracked publisher whose arena is closed or is no longer the allocator's arena of that id.</li>
 *   <li>For each id 0 .. {@link ArenaConfig#MAX_ARENA_ID}: an open arena of the allocator that is not tracked gets a
 *   publisher.</li>
 *   <li>If anything changed, sort by arena id and increment the arena version.</li>
 * </ol>
 */
public final class AllocatorStatsPublisher
{
    /** Longest allocator name: leaves room for "/arena-32767" within {@link StatsFile#MAX_NAME_LENGTH}. */
    public static final int MAX_NAME_LENGTH = 48;

    private static final Comparator<ArenaStatsPublisher> BY_ARENA_ID =
        Comparator.comparingInt(ArenaStatsPublisher::arenaId);

    private final ArenaAllocator allocator;
    private final String name;
    private final ArrayList<ArenaStatsPublisher> arenas = new ArrayList<>();
    private long arenaVersion;
    /** The tracked publishers as of the last refresh that changed them, for the maintenance callback (lock-free). */
    private volatile ArenaStatsPublisher[] tracked = new ArenaStatsPublisher[0];

    private AllocatorStatsPublisher(final ArenaAllocator allocator, final String name)
    {
        this.allocator = allocator;
        this.name = name;
        allocator.setMaintenanceListener(this::onMaintenance);
    }

    /**
     * The allocator's maintenance callback, on the thread that holds {@code arena}: refreshes that arena's owner
     * figures when its publisher's interval has passed. Allocates nothing.
     */
    private void onMaintenance(final OffHeapArena arena, final long nowNanos)
    {
        final ArenaStatsPublisher[] publishers = tracked; // sorted by arena id, one per id
        final int id = arena.arenaId();
        int lo = 0;
        int hi = publishers.length - 1;
        while (lo <= hi)
        {
            final int mid = (lo + hi) >>> 1;
            final int midId = publishers[mid].arenaId();
            if (midId < id)
            {
                lo = mid + 1;
            }
            else if (midId > id)
            {
                hi = mid - 1;
            }
            else
            {
                if (publishers[mid].arena() == arena)
                {
                    publishers[mid].publishIfDue(nowNanos);
                }
                return;
            }
        }
    }

    /** @return a publisher of {@code allocator} named after it. */
    public static AllocatorStatsPublisher of(final ArenaAllocator allocator)
    {
        if (allocator == null)
        {
            throw new IllegalArgumentException("allocator=null, expected an ArenaAllocator");
        }
        return of(allocator, allocator.name());
    }

    /**
     * @param name 1..{@value #MAX_NAME_LENGTH} printable ASCII characters, shown by arena-stat, the reporter and JMX.
     * @return a publisher of {@code allocator}.
     */
    public static AllocatorStatsPublisher of(final ArenaAllocator allocator, final String name)
    {
        if (allocator == null)
        {
            throw new IllegalArgumentException("allocator=null, expected an ArenaAllocator");
        }
        return new AllocatorStatsPublisher(allocator, StatsFile.checkName(name, MAX_NAME_LENGTH));
    }

    public ArenaAllocator allocator()
    {
        return allocator;
    }

    public String name()
    {
        return name;
    }

    public boolean isClosed()
    {
        return allocator.isClosed();
    }

    /**
     * Any thread, allocates nothing: copies the allocator figures into {@code into}.
     *
     * @param into length &gt;= {@link AllocatorFigures#COUNT}.
     */
    public void copyFigures(final long[] into)
    {
        AllocatorFigures.copy(allocator, into);
    }

    /**
     * Any thread: brings the tracked arenas in line with the allocator's (see the class comment).
     *
     * @return true when an arena came or went.
     */
    public synchronized boolean refreshArenas()
    {
        boolean changed = false;
        for (int i = arenas.size() - 1; i >= 0; i--)
        {
            final ArenaStatsPublisher p = arenas.get(i);
            if (p.arena().isClosed() || allocator.arenaById(p.arenaId()) != p.arena())
            {
                arenas.remove(i);
                changed = true;
            }
        }
        for (int id = 0; id <= ArenaConfig.MAX_ARENA_ID; id++)
        {
            final OffHeapArena arena = allocator.arenaById(id);
            if (arena != null && !arena.isClosed() && !tracked(arena))
            {
                arenas.add(ArenaStatsPublisher.builder(arena).name(name + "/arena-" + id).build());
                changed = true;
            }
        }
        if (changed)
        {
            arenas.sort(BY_ARENA_ID);
            arenaVersion++;
            tracked = arenas.toArray(new ArenaStatsPublisher[0]);
        }
        return changed;
    }

    private boolean tracked(final OffHeapArena arena)
    {
        for (int i = 0; i < arenas.size(); i++)
        {
            if (arenas.get(i).arena() == arena)
            {
                return true;
            }
        }
        return false;
    }

    /** @return a number that changes whenever {@link #refreshArenas()} changed the tracked arenas. */
    public synchronized long arenaVersion()
    {
        return arenaVersion;
    }

    /** Calls {@code action} with each tracked arena's publisher, in arena id order, under this object's lock. */
    public synchronized void forEachArena(final Consumer<ArenaStatsPublisher> action)
    {
        for (int i = 0; i < arenas.size(); i++)
        {
            action.accept(arenas.get(i));
        }
    }

    /** @return the tracked arenas' publishers, refreshed now, in arena id order. */
    public synchronized List<ArenaStatsPublisher> arenaPublishers()
    {
        refreshArenas();
        return List.copyOf(arenas);
    }

    /**
     * Any thread: an immutable snapshot of the allocator figures and of each open arena (refreshed now; the arenas'
     * owner figures as of their last publish, see the class comment).
     */
    public AllocatorSnapshot snapshot()
    {
        final long[] figures = new long[AllocatorFigures.COUNT];
        final List<ArenaSnapshot> list = new ArrayList<>();
        synchronized (this)
        {
            refreshArenas();
            copyFigures(figures);
            for (int i = 0; i < arenas.size(); i++)
            {
                list.add(arenas.get(i).snapshot());
            }
        }
        return AllocatorSnapshot.of(name, System.currentTimeMillis(), figures, list);
    }

    public String toString()
    {
        return "AllocatorStatsPublisher{name=" + name + ", allocator=" + allocator + '}';
    }
}
