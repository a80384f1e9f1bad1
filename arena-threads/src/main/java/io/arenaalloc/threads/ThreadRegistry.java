package io.arenaalloc.threads;

import java.lang.invoke.MethodHandles;
import java.lang.invoke.VarHandle;
import java.util.Arrays;

/**
 * The platform threads of one {@link ArenaAllocator} ({@link Policy#PER_THREAD}) and the arenas of threads
 * that ended: finds ended threads without finalizers, orphans their arenas, reclaims them, and lets new
 * threads adopt them.
 *
 * <h2>Vocabulary</h2>
 * <ul>
 *   <li><b>context</b>: a registered thread's {@link ThreadContext} (its arena, its outbox).</li>
 *   <li><b>orphan</b>: an arena whose owner ended (state ORPHANED, see {@link ManagedArena}). Its live
 *   blocks stay valid: pins, frees (through its inbox) and reads keep working.</li>
 *   <li><b>liveness scan</b>: a pass over the contexts calling {@code Thread.isAlive()}; a strong reference
 *   to each registered thread is held until the scan sees it ended (no {@code WeakReference}, no
 *   {@code ReferenceQueue}, no finalizer: {@code isAlive()} returning false is also the happens-before
 *   edge that makes the dead thread's plain writes visible to the scanner, which a cleared weak
 *   reference would not formally give).</li>
 *   <li><b>reclaimer</b>: any thread running {@link #reclaim} (the background maintenance thread, or any
 *   {@code maintain} caller) while it holds an orphan (state RECLAIMING).</li>
 * </ul>
 *
 * <h2>Layout</h2>
 * <pre>
 *   contexts: ThreadContext[]  copy-on-write, volatile; written under this registry's monitor
 *   orphans:  ManagedArena[]   copy-on-write, volatile; written under this registry's monitor
 *   ownedArenas: int           arenas held by living threads (&lt;= maxThreadArenas), under the monitor
 *   scanning: int              1 while a scan runs (CAS), so scans never overlap
 *   nextScanNanos: long        rate limit: scans at most every livenessScanNanos
 * </pre>
 *
 * <h2>Algorithms</h2>
 * <ol>
 *   <li><b>register</b> (a platform thread's first call): new context, appended to {@code contexts}; the
 *   allocator then claims the thread's slot of the {@link ThreadContextTable} for it.</li>
 *   <li><b>scan</b> (at most every {@code livenessScanNanos}; from {@code maintain}, the background thread,
 *   and a new thread's first allocation; and at once when a call would borrow an arena whose owner ended
 *   unseen, {@link #orphanIfOwnerEnded}): for each context whose thread is not alive: seal its open
 *   batches ({@link RemoteFreeOutbox#sealAllAfterDeath}) so owners can finish them; take it out of the
 *   {@link ThreadContextTable}; if it owned an arena,
 *   clear the arena's owner, release-store ORPHANED and append it to {@code orphans}; fold its counters
 *   into the allocator's; drop the context. Then (2b, <b>promote</b>) the busiest living threads (allocations from
 *   their own arenas and thread caches since the last scan) take the {@link ThreadContextTable}'s hot set (its
 *   one-load path), at most {@link ThreadContextTable#HOT} rounds of: the busiest thread outside the set replaces
 *   the least busy context in it (or fills a free field) when it allocated at least
 *   {@value #PROMOTE_MIN_ALLOCATIONS} times and more than twice as often as that context (no flapping between
 *   threads equally busy); the first round that finds no such thread ends the step.</li>
 *   <li><b>adopt</b> (a thread's first allocation, before it makes an arena), unless living threads already own
 *   {@code maxThreadArenas} arenas (an adoption counts as a new arena would): CAS an orphan from ORPHANED to
 *   OWNED; the winner owns it from now on, drains its inbox at its next drain, and keeps every block.</li>
 *   <li><b>reclaim</b> (within a deadline): for each orphan, CAS ORPHANED to RECLAIMING (skip on failure),
 *   drain its inbox, compact it within the deadline (which releases emptied movable chunks); if it then
 *   has no live block, close it: every chunk goes back to its source, its chunks leave the address map and
 *   its id leaves the allocator's table, so a later free of one of its addresses or handles is rejected
 *   at once as foreign. Values still in its inbox or in batches that freers hold open can only be double
 *   frees (nothing is live): they are dropped unreported, and each freer forgets such a batch, open or
 *   not, the next time it looks for an idle one. Else store ORPHANED again.</li>
 * </ol>
 * Bound: an ended owner's arena is orphaned within one {@code livenessScanNanos} of the next maintenance
 * run; with the background thread on, within {@code livenessScanNanos + maintenancePeriodNanos}.
 */
final class ThreadRegistry
{
    /** Step 2b: allocations since the last scan below which a thread is never promoted into the hot set. */
    static final long PROMOTE_MIN_ALLOCATIONS = 1024;
    private static final ThreadContext[] NO_CONTEXTS = new ThreadContext[0];
    private static final ManagedArena[] NO_ARENAS = new ManagedArena[0];
    private static final VarHandle SCANNING;

    static
    {
        try
        {
            SCANNING = MethodHandles.lookup().findVarHandle(ThreadRegistry.class, "scanning", int.class);
        }
        catch (final ReflectiveOperationException ex)
        {
            throw new ExceptionInInitializerError(ex);
        }
    }

    private final ArenaAllocator allocator;
    private final AllocatorCounters counters;
    /** The allocator's context table: the allocator itself (its superclass), seen through the table's methods. */
    private final ThreadContextTable table;
    private final int maxThreadArenas;
    private final long scanIntervalNanos;
    private volatile ThreadContext[] contexts = NO_CONTEXTS;
    private volatile ManagedArena[] orphans = NO_ARENAS;
    private int ownedArenas;
    @SuppressWarnings("unused") // through SCANNING
    private volatile int scanning;
    private volatile long nextScanNanos;

    ThreadRegistry(final ArenaAllocator allocator, final AllocatorCounters counters, final int maxThreadArenas,
        final long scanIntervalNanos)
    {
        this.allocator = allocator;
        this.counters = counters;
        this.table = allocator;
        this.maxThreadArenas = maxThreadArenas;
        this.scanIntervalNanos = scanIntervalNanos;
        this.nextScanNanos = System.nanoTime();
    }

    /** Step 1. */
    synchronized ThreadContext register(final Thread thread, final int batchSize, final boolean debug,
        final long threadCacheBytes)
    {
        final ThreadContext c = new ThreadContext(thread, batchSize, debug, threadCacheBytes);
        final ThreadContext[] old = contexts;
        final ThreadContext[] next = Arrays.copyOf(old, old.length + 1);
        next[old.length] = c;
        contexts = next;
        counters.increment(AllocatorCounters.THREADS_REGISTERED);
        return c;
    }

    /**
     * Step 3. @return the adopted arena, now OWNED by {@code c}, or null when there is no orphan or living threads
     * already own {@code maxThreadArenas} arenas (an adoption counts as one more, as a new arena does).
     */
    synchronized ManagedArena adoptOrphan(final ThreadContext c)
    {
        if (ownedArenas >= maxThreadArenas)
        {
            return null;
        }
        for (final ManagedArena m : orphans)
        {
            if (m.casState(ManagedArena.ORPHANED, ManagedArena.OWNED))
            {
                m.owner = c;
                removeOrphan(m);
                ownedArenas++;
                counters.increment(AllocatorCounters.ARENAS_ADOPTED);
                return m;
            }
        }
        return null;
    }

    /** @return true when a living thread may own one more arena (and counts it). */
    synchronized boolean reserveOwnedArena()
    {
        if (ownedArenas >= maxThreadArenas)
        {
            return false;
        }
        ownedArenas++;
        return true;
    }

    synchronized void unreserveOwnedArena()
    {
        ownedArenas--;
    }

    /**
     * Step 2 at once, for a caller about to borrow {@code m} (an owner-only call on an arena it does not own): when
     * the arena's owner has ended but no scan has seen it yet, scans now, so the arena becomes an orphan.
     * @return true when a scan ran.
     */
    synchronized boolean orphanIfOwnerEnded(final ManagedArena m)
    {
        final ThreadContext c = m.owner;
        if (c == null || c.thread.isAlive())
        {
            return false;
        }
        scan();
        return true;
    }

    /** Step 2, rate-limited; never runs two scans at once. @return threads found ended. */
    int scanIfDue(final long nowNanos)
    {
        if (nowNanos - nextScanNanos < 0 || !SCANNING.compareAndSet(this, 0, 1))
        {
            return 0;
        }
        try
        {
            nextScanNanos = nowNanos + scanIntervalNanos;
            return scan();
        }
        finally
        {
            SCANNING.setRelease(this, 0);
        }
    }

    private synchronized int scan()
    {
        final ThreadContext[] all = contexts;
        ThreadContext[] alive = null;
        int kept = 0;
        for (int i = 0; i < all.length; i++)
        {
            final ThreadContext c = all[i];
            if (c.thread.isAlive())
            {
                if (alive != null)
                {
                    alive[kept] = c;
                }
                kept++;
                continue;
            }
            if (alive == null)
            {
                alive = Arrays.copyOf(all, all.length); // the first i entries are the living ones so far
            }
            endThread(c);
        }
        if (alive != null)
        {
            contexts = Arrays.copyOf(alive, kept);
        }
        promoteBusiest(contexts);
        return all.length - kept;
    }

    /**
     * Step 2b: the busiest living threads take the table's hot set. Each context's allocations since the last scan
     * ({@link ThreadContext#allocationsRelaxed}: from its arena and its thread cache) go to
     * {@link ThreadContext#scanDelta}; then, at most {@link ThreadContextTable#HOT} times, the busiest context outside
     * the set replaces the least busy one in it (a free field counts as -1) when it allocated at least
     * {@link #PROMOTE_MIN_ALLOCATIONS} and more than twice as much. The counts are read racily: a heuristic, which
     * the table's identity check keeps harmless. Every context in the set is in {@code living}: a thread claims a
     * field only after {@link #register} listed it, registration and scans hold this registry's monitor, and an
     * ended thread's context left the set in step 2, before this. No allocation: plain loops.
     */
    private void promoteBusiest(final ThreadContext[] living)
    {
        for (final ThreadContext c : living)
        {
            final long count = c.allocationsRelaxed();
            c.scanDelta = count - c.allocationsAtLastScan;
            c.allocationsAtLastScan = count;
        }
        for (int round = 0; round < ThreadContextTable.HOT; round++)
        {
            ThreadContext busiest = null;
            long most = 0;
            for (final ThreadContext c : living)
            {
                if (c.scanDelta > most && !table.isHot(c))
                {
                    most = c.scanDelta;
                    busiest = c;
                }
            }
            if (busiest == null || most < PROMOTE_MIN_ALLOCATIONS)
            {
                return;
            }
            int weakest = -1;
            ThreadContext weakestContext = null;
            long least = Long.MAX_VALUE;
            for (int i = 0; i < ThreadContextTable.HOT; i++)
            {
                final ThreadContext h = table.hotPlain(i);
                final long delta = h == null ? -1 : h.scanDelta;
                if (delta < least)
                {
                    least = delta;
                    weakest = i;
                    weakestContext = h;
                }
            }
            if (most <= 2 * least || !table.promote(weakest, weakestContext, busiest))
            {
                return;
            }
        }
    }

    /** The thread of {@code c} ended: its writes happen-before this (its isAlive() returned false). */
    private void endThread(final ThreadContext c)
    {
        table.release(c);
        if (c.cache != null && !c.cache.isEmpty())
        {
            allocator.sendCachedHome(c); // its parked blocks go home through its outbox, sealed just below
        }
        c.outbox.sealAllAfterDeath();
        final ManagedArena m = c.arena;
        if (m != null)
        {
            c.attach(null);
            m.owner = null;
            ownedArenas--;
            m.stateRelease(ManagedArena.ORPHANED);
            final ManagedArena[] o = orphans;
            final ManagedArena[] next = Arrays.copyOf(o, o.length + 1);
            next[o.length] = m;
            orphans = next;
            counters.increment(AllocatorCounters.ARENAS_ORPHANED);
        }
        foldCounters(c);
        counters.increment(AllocatorCounters.THREADS_ENDED);
    }

    private void foldCounters(final ThreadContext c)
    {
        for (final int id : RemoteFreeOutbox.COUNTER_IDS)
        {
            counters.add(id, c.outbox.counterRacy(id));
        }
        final ThreadBlockCache f = c.cache;
        if (f != null)
        {
            counters.add(AllocatorCounters.THREAD_CACHE_PARKED, f.parked);
            counters.add(AllocatorCounters.THREAD_CACHE_REUSED, f.reused);
            counters.add(AllocatorCounters.THREAD_CACHE_SENT_HOME, f.sentHome);
        }
    }

    /**
     * Step 4: reclaims orphans until {@code deadlineNanos} (at least the first one is looked at).
     * @return work done: remote frees applied, compaction steps, arenas closed.
     */
    int reclaim(final long deadlineNanos)
    {
        final ManagedArena[] snapshot = orphans;
        int work = 0;
        for (int i = 0; i < snapshot.length; i++)
        {
            if (i > 0 && System.nanoTime() - deadlineNanos >= 0)
            {
                break;
            }
            final ManagedArena m = snapshot[i];
            if (!m.casState(ManagedArena.ORPHANED, ManagedArena.RECLAIMING))
            {
                continue;
            }
            boolean closed = false;
            try
            {
                work += m.inbox.drain();
                work += allocator.compactWithin(m, deadlineNanos);
                if (m.arena.liveBlocks() == 0)
                {
                    synchronized (this)
                    {
                        removeOrphan(m);
                    }
                    allocator.closeArena(m);
                    closed = true;
                    work++;
                }
            }
            finally
            {
                if (!closed)
                {
                    m.stateRelease(ManagedArena.ORPHANED);
                }
            }
        }
        return work;
    }

    private void removeOrphan(final ManagedArena m)
    {
        final ManagedArena[] o = orphans;
        for (int i = 0; i < o.length; i++)
        {
            if (o[i] == m)
            {
                final ManagedArena[] next = new ManagedArena[o.length - 1];
                System.arraycopy(o, 0, next, 0, i);
                System.arraycopy(o, i + 1, next, i, o.length - i - 1);
                orphans = next;
                return;
            }
        }
    }

    /** At allocator close: detaches every context (see {@link ThreadContext#detach()}) and forgets them all. */
    /** Racy sum of the bytes living threads hold in their {@link ThreadBlockCache}s (statistics). */
    long cachedBytesRelaxed()
    {
        long sum = 0;
        for (final ThreadContext c : contexts)
        {
            if (c.cache != null)
            {
                sum += c.cache.bytes();
            }
        }
        return sum;
    }

    /** Allocator close, before the arenas close: every thread's cached blocks back into their arenas. */
    synchronized void returnCachedBlocksAtClose(final ThreadBlockCache.Home home)
    {
        for (final ThreadContext c : contexts)
        {
            if (c.cache != null && !c.cache.isEmpty())
            {
                c.cache.sendHome(c, home);
            }
        }
    }

    synchronized void closeAll()
    {
        for (final ThreadContext c : contexts)
        {
            table.release(c);
            foldCounters(c);
            c.detach();
        }
        contexts = NO_CONTEXTS;
        orphans = NO_ARENAS;
        ownedArenas = 0;
    }

    /** Racy sum over living threads' outboxes, for {@link AllocatorCounters}. */
    long liveOutboxSum(final int counterId)
    {
        long sum = 0;
        for (final ThreadContext c : contexts)
        {
            final RemoteFreeOutbox o = c.outbox;
            final ThreadBlockCache f = c.cache;
            switch (counterId)
            {
                case AllocatorCounters.THREAD_CACHE_PARKED:
                    sum += f == null ? 0 : f.parked;
                    break;
                case AllocatorCounters.THREAD_CACHE_REUSED:
                    sum += f == null ? 0 : f.reused;
                    break;
                case AllocatorCounters.THREAD_CACHE_SENT_HOME:
                    sum += f == null ? 0 : f.sentHome;
                    break;
                case AllocatorCounters.REMOTE_FREES_BATCHED:
                case AllocatorCounters.BATCHES_PUBLISHED:
                case AllocatorCounters.BATCHES_OVERFLOWED:
                    sum += o.counterRacy(counterId);
                    break;
                default:
                    return 0;
            }
        }
        return sum;
    }

    int orphanCount()
    {
        return orphans.length;
    }

    int contextCount()
    {
        return contexts.length;
    }

    /** Tests: the batch pool size of a registered thread's outbox, or -1. */
    int poolSizeOf(final Thread thread)
    {
        for (final ThreadContext c : contexts)
        {
            if (c.thread == thread)
            {
                return c.outbox.poolSize();
            }
        }
        return -1;
    }

    ManagedArena[] orphansSnapshot()
    {
        return orphans;
    }
}
