package io.arenaalloc.threads;

import io.arenaalloc.core.HandleTable;
import io.arenaalloc.core.OffHeapArena;

/**
 * What an {@link ArenaAllocator} keeps per platform thread under {@link Policy#PER_THREAD}, in a
 * {@code ThreadLocal} of that allocator, in its {@link ThreadRegistry} and, when the thread's slot was free,
 * in its {@link ThreadContextTable} (where the owner's fast path finds it): the thread's own arena (if it
 * allocated), and its {@link RemoteFreeOutbox}. Virtual threads get none (they use the stripes and the
 * inboxes' rings), so there is never per-virtual-thread state.
 *
 * <h2>Owner's fast path state (PER_THREAD owner only)</h2>
 * <pre>
 *   ownArena, ownArenaId    arena.arena and arena.id (null / -1 without an arena): the fast path's test
 *   nextDrainAt             the owned arena's allocationCount() at which the owner next looks at its inbox
 *                           (every drainInterval allocations; 0 right after attach: the first one looks)
 *   cache                   the thread's {@link ThreadBlockCache} (null when off), asked first by free and allocate
 *   nextCacheDrainAt        the cache's reuse count at which the owner next looks at its inbox
 *   chunk cache, 2 entries  [base0, base0 + span0), [base1, base1 + span1): chunks of the owned arena
 *                           (span 0 = empty); an address inside one is the caller's own block, no AddressMap
 * </pre>
 * The chunk cache only ever holds chunks of {@link #arena}: an entry is added by the owner after its
 * {@link AddressMap} lookup found its own arena, and taken out by the arena's chunk listener when the chunk
 * leaves the arena ({@link #forgetChunkPlain}); chunks leave only through calls made by whoever holds the
 * arena, which is this thread while it owns the arena (an orphan has no owner context). So a hit is exact.
 * (At allocator close the closing thread clears the cache while closing the arenas; close must happen-after
 * every other call, and a call after it fails before it looks at the cache.)
 *
 * <p><b>Padded</b> (128 bytes of padding before and after the fields): the owner writes {@code nextDrainAt}
 * and the chunk cache now and then and every thread reads its own context on every call, so two
 * threads' contexts (allocated one after the other at registration) must not share a cache line.
 *
 * <p>Confined to its thread while the thread lives (but for {@code allocationsAtLastScan} and {@code scanDelta},
 * which belong to the liveness scan); the liveness scan reads it after
 * {@code thread.isAlive()} returned false, which happens-after everything the thread did (and reads a living
 * thread's {@code arena} racily, for the busiest-thread heuristic of {@link ThreadRegistry} step 2b).
 */
final class ThreadContext extends ThreadContextFields
{
    long p31, p32, p33, p34, p35, p36, p37, p38, p39, p3a, p3b, p3c, p3d, p3e, p3f, p40;

    ThreadContext(final Thread thread, final int batchSize, final boolean debug, final long threadCacheBytes)
    {
        super(thread, new RemoteFreeOutbox(batchSize, debug),
            threadCacheBytes > 0 && !debug ? new ThreadBlockCache(threadCacheBytes) : null);
    }

    /** This thread now owns {@code m} (or, with null, no arena). */
    void attach(final ManagedArena m)
    {
        arena = m;
        ownArena = m == null ? null : m.arena;
        ownArenaId = m == null ? -1 : m.id;
        nextDrainAt = 0;
    }

    /**
     * Owner's fast path: is {@code addressOrHandle} in the owned arena, known without the allocator's tables?
     * A handle names its arena (compare the id); an address is looked up in the chunk cache. False means
     * "not known here" (a miss), not "foreign".
     */
    boolean ownsPlain(final long addressOrHandle)
    {
        if (addressOrHandle < 0)
        {
            return HandleTable.arenaIdOf(addressOrHandle) == ownArenaId;
        }
        return Long.compareUnsigned(addressOrHandle - chunkBase0, chunkSpan0) < 0 ||
            Long.compareUnsigned(addressOrHandle - chunkBase1, chunkSpan1) < 0;
    }

    /** Owner: remembers a chunk of its own arena (most recent in entry 0, the previous one moves to entry 1). */
    void rememberChunkPlain(final long base, final long span)
    {
        if (chunkBase0 != base || chunkSpan0 != span)
        {
            chunkBase1 = chunkBase0;
            chunkSpan1 = chunkSpan0;
            chunkBase0 = base;
            chunkSpan0 = span;
        }
    }

    /** Whoever holds the owned arena (the owner): the chunk at {@code base} leaves the arena. */
    void forgetChunkPlain(final long base)
    {
        if (chunkBase0 == base)
        {
            chunkBase0 = 0;
            chunkSpan0 = 0;
        }
        if (chunkBase1 == base)
        {
            chunkBase1 = 0;
            chunkSpan1 = 0;
        }
    }

    /**
     * The thread's allocations so far, from its own arena and from its {@link ThreadBlockCache}: for the liveness
     * scan's busiest-thread heuristic, which reads them racily (an arena reference the owner may be changing, an
     * opaque load of its count, a plain read of the cache's reuse count).
     */
    long allocationsRelaxed()
    {
        final ManagedArena m = arena;
        final ThreadBlockCache tc = cache;
        return (m == null ? 0 : m.arena.allocationCountOpaque()) + (tc == null ? 0 : tc.reused);
    }

    /**
     * At allocator close: drops every reference from this context to the allocator's objects, so the
     * {@code ThreadLocal} entry that a still-living thread keeps no longer holds the closed allocator (and
     * through it the {@code ThreadLocal} key itself) strongly: the entry is then expunged as a stale one.
     */
    void detach()
    {
        attach(null);
        useStripes = true;
        chunkSpan0 = 0;
        chunkSpan1 = 0;
        outbox.clear();
        if (cache != null)
        {
            cache.clear();
        }
    }

    public String toString()
    {
        return "ThreadContext{thread=" + thread.getName() + ", arena=" + (arena == null ? "-" : Integer.toString(arena.id)) +
            ", useStripes=" + useStripes + '}';
    }
}

abstract class ThreadContextPad0
{
    long p01, p02, p03, p04, p05, p06, p07, p08, p09, p0a, p0b, p0c, p0d, p0e, p0f, p10;
}

/** The fields of {@link ThreadContext}, between its two paddings. */
abstract class ThreadContextFields extends ThreadContextPad0
{
    final Thread thread;
    final RemoteFreeOutbox outbox;
    /** Small fixed blocks this thread freed (any per-thread arena's), kept for its own reuse; null when off. */
    final ThreadBlockCache cache;
    /** The arena this thread owns, or null (not allocated yet, or {@link #useStripes}). Set by {@code attach}. */
    ManagedArena arena;
    /** {@code arena.arena}, or null: one load fewer on the owner's fast path (the fast path tests this one). */
    OffHeapArena ownArena;
    /** {@code arena.id}, or -1. */
    int ownArenaId = -1;
    /** The thread found {@code maxThreadArenas} reached: it allocates from the stripes for good. */
    boolean useStripes;
    /** The owned arena's {@code allocationCount()} from which the owner's next allocation looks at its inbox. */
    long nextDrainAt;
    /** The same for allocations served by {@link #cache}: its {@code reused} count at which the owner next looks. */
    long nextCacheDrainAt;
    /**
     * Not the thread's: written by the liveness scan only (under the registry's monitor), every
     * {@code livenessScanNanos} at most: {@link #allocationsRelaxed} at the last scan, to find the busiest
     * thread ({@link ThreadRegistry} step 2b). It shares the owner's lines; one store per scan period.
     */
    long allocationsAtLastScan;
    /** The liveness scan's own, as {@link #allocationsAtLastScan}: allocations between its last two scans. */
    long scanDelta;
    /** The thread's {@link LocalAllocator}, made on its first {@code ArenaAllocator.local()}. */
    LocalAllocator local;
    long chunkBase0;
    long chunkSpan0;
    long chunkBase1;
    long chunkSpan1;

    ThreadContextFields(final Thread thread, final RemoteFreeOutbox outbox, final ThreadBlockCache cache)
    {
        this.thread = thread;
        this.outbox = outbox;
        this.cache = cache;
    }
}
