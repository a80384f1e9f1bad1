package io.arenaalloc.threads;

import io.arenaalloc.core.ArenaConfig;
import io.arenaalloc.core.ChunkListener;
import io.arenaalloc.core.OffHeapArena;

import java.lang.invoke.MethodHandles;
import java.lang.invoke.VarHandle;
import java.util.ArrayList;
import java.util.concurrent.locks.LockSupport;

/**
 * An {@link OffHeapArena} as an {@link ArenaAllocator} holds it: the arena, its {@link RemoteFreeInbox},
 * and one <b>state word</b> that says who may call the arena right now. {@code OffHeapArena} is
 * single-owner and not thread safe; this word is how that stays true under many threads.
 *
 * <h2>Kinds</h2>
 * <ul>
 *   <li>{@link #KIND_THREAD}: owned by one platform thread ({@link Policy#PER_THREAD}); the owner's calls take
 *   no lock and no atomic read-modify-write; the state word changes only when ownership changes.</li>
 *   <li>{@link #KIND_STRIPE}: shared ({@link Policy#STRIPED}, and the fallback arenas of virtual threads under
 *   {@code PER_THREAD}); every call holds the state word as a lock (one CAS to take, one release store to
 *   give back).</li>
 * </ul>
 *
 * <h2>State word (an int, padded: stripes contend on it)</h2>
 * <pre>
 *   value  name        kind     who may call the arena
 *   0      UNLOCKED    stripe   nobody; CAS to LOCKED to become the owner
 *   1      LOCKED      stripe   the thread whose CAS won, until it release-stores UNLOCKED
 *   2      OWNED       thread   the owning thread (ThreadContext.arena == this)
 *   3      ORPHANED    thread   nobody: the owner ended; CAS to RECLAIMING or OWNED to take it
 *   4      RECLAIMING  thread   the reclaimer (or a borrower) whose CAS won, until it stores ORPHANED/CLOSED
 *   5      CLOSED      both     nobody, ever again
 * </pre>
 * <pre>
 *   stripe:  UNLOCKED &lt;--CAS / release--&gt; LOCKED;  both --allocator close--&gt; CLOSED
 *   thread:  OWNED --liveness scan sees the owner ended--&gt; ORPHANED --CAS--&gt; RECLAIMING --&gt; ORPHANED
 *                                                           |  ^                  `--empty--&gt; CLOSED
 *                                                           `--CAS by a new thread (adoption)--&gt; OWNED
 * </pre>
 * Every hand-over goes through the state word (a release store or a CAS by the giver, an acquire load or
 * a CAS by the taker), so each new owner sees everything the previous one did to the arena; for an ended
 * thread the edge is {@code Thread.isAlive()} returning false in the liveness scan.
 *
 * <h2>Maintenance</h2>
 * Compaction, draining and chunk release are arena calls like any other: they run only while holding
 * this arena as above (its owning thread, the stripe lock, or RECLAIMING). An arena is therefore
 * <b>never compacted while its owner allocates from it</b>: the two are mutually excluded, not made
 * compatible.
 */
final class ManagedArena extends ManagedArenaState
{
    static final int KIND_THREAD = 0;
    static final int KIND_STRIPE = 1;

    static final int UNLOCKED = 0;
    static final int LOCKED = 1;
    static final int OWNED = 2;
    static final int ORPHANED = 3;
    static final int RECLAIMING = 4;
    static final int CLOSED = 5;

    private static final String[] STATE_NAMES = {"UNLOCKED", "LOCKED", "OWNED", "ORPHANED", "RECLAIMING", "CLOSED"};
    private static final int SPIN_TRIES = 64;
    private static final int YIELD_TRIES = 32;
    private static final long MAX_PARK_NANOS = 100_000;

    long p31, p32, p33, p34, p35, p36, p37, p38, p39, p3a, p3b, p3c, p3d, p3e, p3f, p40;

    final ArenaAllocator allocator;
    final int id;
    final int kind;
    final OffHeapArena arena;
    final RemoteFreeInbox inbox;
    /**
     * A stripe's outbox (null for a per-thread arena): the frees its lock holder, a thread with no outbox of its own
     * (STRIPED, virtual threads), makes of small fixed blocks of other arenas, marked ({@link RemoteFreeInbox} steps
     * 2 and 3). Used only under this stripe's lock, which hands it from holder to holder as it hands the arena.
     */
    final RemoteFreeOutbox outbox;
    /** The owning thread's context while OWNED (written under the registry's lock); null otherwise. */
    volatile ThreadContext owner;
    /**
     * The thread that holds the arena RECLAIMING (reclaimer or borrower), null otherwise: written by that thread only,
     * read by a thread that waits for the arena in {@link #claimOrphan} to tell that it is itself the holder (a
     * listener or error handler that called back into the allocator during a reclaim): it would wait for ever.
     * A racy read can only show another thread or null to a thread that is not the holder (its own last write is
     * its release's null).
     */
    private Thread reclaimingThread;
    /** Holder-confined: the arena's allocation count at its last maintenance (idle test for the free cache). */
    long allocationsAtLastMaintenance = -1;
    /**
     * Holder-confined: remote frees this arena rejected while held as a lock (a stripe, or an orphan while RECLAIMING),
     * reported to the error handler once the lock is given back ({@link #unlockRelease}, {@link #stateRelease}), so
     * that a handler which calls the allocator again never waits for the lock its own thread holds. Null when none
     * (the only value the release paths read on the hot path).
     */
    private ArrayList<InvalidRemoteFreeException> errorsWhileHeld;
    ManagedArena(final ArenaAllocator allocator, final int kind, final ArenaConfig arenaConfig, final int queueCapacity,
        final int ringCapacity)
    {
        this.allocator = allocator;
        this.kind = kind;
        STATE.setRelease(this, kind == KIND_STRIPE ? UNLOCKED : OWNED);
        this.inbox = new RemoteFreeInbox(this, queueCapacity, ringCapacity);
        this.outbox = kind == KIND_STRIPE ? new RemoteFreeOutbox(allocator.config().remoteFreeBatchSize(),
            arenaConfig.debug(), RemoteFreeOutbox.STRIPE_BATCHES) : null;
        // the listener is called only from arena operations, all of which come after this constructor
        this.arena = OffHeapArena.create(arenaConfig.toBuilder()
            // thread caches keep blocks of any per-thread arena: those arenas keep free marks (ThreadBlockCache);
            // a stripe's blocks are never cached, but threads without a context free them marked, through their
            // own stripe's outbox (RemoteFreeInbox step 2), so stripes keep marks too
            .freeMarks(arenaConfig.freeMarks() || kind == KIND_STRIPE ||
                (kind == KIND_THREAD && allocator.config().threadCacheBytes() > 0))
            .chunkListener(new Registrar(this, allocator.addressMap(), arenaConfig.chunkListener())).build());
        this.id = arena.arenaId();
    }

    /**
     * Tells the allocator's {@link AddressMap} of every chunk the arena takes or gives back, then the
     * listener the caller configured, if any (added: ours first; removed: theirs first).
     */
    private static final class Registrar implements ChunkListener
    {
        private final ManagedArena owner;
        private final AddressMap map;
        private final ChunkListener next;

        Registrar(final ManagedArena owner, final AddressMap map, final ChunkListener next)
        {
            this.owner = owner;
            this.map = map;
            this.next = next;
        }

        public void onChunkAdded(final OffHeapArena arena, final long base, final long size)
        {
            // the chunk's slab map: freers tell a small fixed block's start from it (to park a per-thread arena's
            // block in their ThreadBlockCache, or to free a block marked through their stripe's outbox)
            map.add(new AddressMap.Descriptor(owner, base, size, arena.slabMapOf(base)));
            try
            {
                next.onChunkAdded(arena, base, size);
            }
            catch (final RuntimeException ex)
            {
                owner.allocator.reportError(ex); // the arena's state must not depend on the user's listener
            }
        }

        public void onChunkRemoved(final OffHeapArena arena, final long base, final long size)
        {
            try
            {
                next.onChunkRemoved(arena, base, size);
            }
            catch (final RuntimeException ex)
            {
                owner.allocator.reportError(ex); // the chunk goes back all the same (a close must return every byte)
            }
            final ThreadContext c = owner.owner;
            if (c != null)
            {
                c.forgetChunkPlain(base); // we run on the owner's thread: only the holder changes chunks
            }
            map.remove(owner, base, size);
        }
    }

    boolean isStripe()
    {
        return kind == KIND_STRIPE;
    }

    int stateAcquire()
    {
        return (int)STATE.getAcquire(this);
    }

    /** Gives the arena a new state (a hand-over), then reports the errors found while it was held. */
    void stateRelease(final int state)
    {
        reclaimingThread = null;
        releaseThenReport(state);
    }

    /** The holder: release-stores {@code state}, then reports the errors kept while it held the arena (if any). */
    private void releaseThenReport(final int state)
    {
        final ArrayList<InvalidRemoteFreeException> errors = errorsWhileHeld;
        errorsWhileHeld = null;
        STATE.setRelease(this, state);
        if (errors != null)
        {
            allocator.reportRemoteFreeErrors(errors);
        }
    }

    /**
     * The holder, from a drain: true when the arena is held as a lock that the error handler, calling the allocator
     * again on this thread, could wait for (a stripe; an orphan while RECLAIMING); the error is then kept for
     * {@link #deferErrorWhileHeld}. A PER_THREAD owner reports at once: its calls take no lock.
     */
    boolean reportsErrorsAfterRelease()
    {
        return kind == KIND_STRIPE || (int)STATE.getOpaque(this) == RECLAIMING;
    }

    /** The holder: keeps {@code ex} until the arena is given back. */
    void deferErrorWhileHeld(final InvalidRemoteFreeException ex)
    {
        if (errorsWhileHeld == null)
        {
            errorsWhileHeld = new ArrayList<>(4);
        }
        errorsWhileHeld.add(ex);
    }

    boolean casState(final int expected, final int next)
    {
        final boolean won = STATE.compareAndSet(this, expected, next);
        if (won && next == RECLAIMING)
        {
            reclaimingThread = Thread.currentThread();
        }
        return won;
    }

    boolean isClosedOpaque()
    {
        return (int)STATE.getOpaque(this) == CLOSED;
    }

    // ---- stripes -----------------------------------------------------------------------------

    /** One CAS (after a plain look, so a busy lock costs no write). */
    boolean tryLock()
    {
        return (int)STATE.getOpaque(this) == UNLOCKED && STATE.compareAndSet(this, UNLOCKED, LOCKED);
    }

    /**
     * Takes the lock, waiting: spin, then yield, then park with a growing period (at most 100 us). Holders
     * never block while holding it, so the wait is short; a virtual thread yields its carrier.
     * @throws IllegalStateException when the arena is closed.
     */
    void lock()
    {
        int tries = 0;
        while (!tryLock())
        {
            if ((int)STATE.getOpaque(this) == CLOSED)
            {
                throw new IllegalStateException("arena " + id + " is closed (its ArenaAllocator was closed)");
            }
            if (tries < SPIN_TRIES)
            {
                Thread.onSpinWait();
            }
            else if (tries < SPIN_TRIES + YIELD_TRIES)
            {
                Thread.yield();
            }
            else
            {
                LockSupport.parkNanos(Math.min(MAX_PARK_NANOS, 1000L << Math.min(16, tries - SPIN_TRIES - YIELD_TRIES)));
            }
            tries++;
        }
    }

    /** Gives the lock back, then reports the remote-free errors found while holding it (none: one plain load). */
    void unlockRelease()
    {
        if (errorsWhileHeld == null)
        {
            STATE.setRelease(this, UNLOCKED); // the common case: no store to the field
            return;
        }
        releaseThenReport(UNLOCKED);
    }

    // ---- thread arenas -------------------------------------------------------------------------

    /**
     * Takes an ORPHANED arena for a bounded piece of work (reclaim, or a call by a thread that does not
     * own it), waiting while another reclaimer holds it.
     * @return false when the arena is OWNED or CLOSED (it cannot be borrowed).
     */
    boolean claimOrphan()
    {
        while (true)
        {
            final int s = (int)STATE.getAcquire(this);
            if (s == ORPHANED)
            {
                if (casState(ORPHANED, RECLAIMING)) // records this thread as the holder
                {
                    return true;
                }
            }
            else if (s == RECLAIMING)
            {
                if (reclaimingThread == Thread.currentThread())
                {
                    throw new IllegalStateException("arena " + id + " is being reclaimed by this very thread (a " +
                        "listener or error handler called back into the allocator during the reclaim), expected a call " +
                        "from outside the reclaim");
                }
                Thread.onSpinWait();
            }
            else
            {
                return false;
            }
        }
    }

    /** Whoever holds the arena: drains the inbox when something may be waiting. @return values taken. */
    int drainIfWork()
    {
        opsSinceDrain = 0;
        return inbox.hasWorkRelaxed() ? inbox.drain() : 0;
    }

    /**
     * The per-thread owner, before an allocation: as {@link #drainIfWork}, its small fixed blocks parked in its own
     * cache {@code park} (null: none) where there is room ({@link RemoteFreeInbox#drain(ThreadBlockCache)}).
     */
    int drainIfWorkParking(final ThreadBlockCache park)
    {
        opsSinceDrain = 0;
        return inbox.hasWorkRelaxed() ? inbox.drain(park) : 0;
    }

    /**
     * A stripe's lock holder: counts a call and drains every {@code interval} calls. (A PER_THREAD owner
     * compares its arena's allocation count with {@link ThreadContext#nextDrainAt} instead: no store per call.)
     */
    void beforeCall(final int interval)
    {
        if (++opsSinceDrain >= interval)
        {
            drainIfWork();
        }
    }

    static String stateName(final int state)
    {
        return state >= 0 && state < STATE_NAMES.length ? STATE_NAMES[state] : "state " + state;
    }

    /** For messages: who may call this arena, in words. */
    String describeOwner()
    {
        final int s = stateAcquire();
        if (kind == KIND_STRIPE)
        {
            return "stripe arena " + id;
        }
        final ThreadContext c = owner;
        if (s == OWNED && c != null)
        {
            return "arena " + id + " owned by thread '" + c.thread.getName() + "'";
        }
        return "arena " + id + " (" + stateName(s) + ": its owner thread ended)";
    }

    public String toString()
    {
        return "ManagedArena{id=" + id + ", kind=" + (kind == KIND_STRIPE ? "stripe" : "thread") + ", state=" +
            stateName(stateAcquire()) + ", arena=" + arena + '}';
    }
}

abstract class ManagedArenaPad0
{
    /**
     * Fills the 4-byte hole after a 12-byte object header, which the JVM would otherwise give to a subclass's
     * int: without it the state word sat there and {@code id}, which every remote freer reads, filled the hole
     * after {@code opsSinceDrain}, on the line the holder writes ({@code PaddedLayoutTest} checks).
     */
    int p00;
    long p01, p02, p03, p04, p05, p06, p07, p08, p09, p0a, p0b, p0c, p0d, p0e, p0f, p10;
}

/** The padded state word of {@link ManagedArena}. */
abstract class ManagedArenaState extends ManagedArenaPad0
{
    static final VarHandle STATE;

    static
    {
        try
        {
            STATE = MethodHandles.lookup().findVarHandle(ManagedArenaState.class, "state", int.class);
        }
        catch (final ReflectiveOperationException ex)
        {
            throw new ExceptionInInitializerError(ex);
        }
    }

    @SuppressWarnings("unused") // through STATE
    private volatile int state;
    /** Stripe calls since the last drain: written only by the lock holder, beside the state it writes anyway. */
    int opsSinceDrain;
    /** Statistics written by whoever holds the arena, read racily: values drained from the ring. */
    long singleFreesReceived;
    /** Statistics written by whoever holds the arena, read racily: re-hashes that ended at this stripe. */
    long rehashesHere;
}
