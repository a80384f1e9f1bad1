package io.arenaalloc.threads;

import io.arenaalloc.core.ArenaConfig;
import io.arenaalloc.core.ArenaCounters;
import io.arenaalloc.core.ArenaLimitExceededException;
import io.arenaalloc.core.FreeMark;
import io.arenaalloc.core.HandleTable;
import io.arenaalloc.core.InvalidBlockException;
import io.arenaalloc.core.MemorySource;
import io.arenaalloc.core.NativeMemorySource;
import io.arenaalloc.core.OffHeapArena;
import io.arenaalloc.core.SizeClasses;
import io.arenaalloc.core.StaleHandleException;
import org.agrona.ErrorHandler;
import org.agrona.concurrent.Agent;
import org.agrona.concurrent.AgentRunner;
import org.agrona.concurrent.IdleStrategy;
import org.agrona.concurrent.SleepingIdleStrategy;

import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicReferenceArray;
import java.util.concurrent.locks.LockSupport;

/**
 * A thread-safe off-heap allocator over many single-owner {@link OffHeapArena}s: fixed blocks by
 * address, movable blocks by handle, frees from any thread, maintenance in idle time.
 *
 * <h2>Use</h2>
 * <pre>{@code
 *   try (ArenaAllocator alloc = ArenaAllocator.builder().policy(Policy.PER_THREAD).maxTotalBytes(1L << 30).build())
 *   {
 *       long a = alloc.allocate(100);       // fixed block: a raw address, never moves
 *       alloc.free(a);                      // from this or any other thread
 *       long h = alloc.allocateHandle(100); // movable block: a handle (negative long)
 *       long p = alloc.pin(h);              // any thread: p stays valid until unpin
 *       alloc.unpin(h);
 *       long r = alloc.resolve(h);          // owner thread: valid until its next maintain/free/reallocate of h
 *       alloc.free(h);
 *       alloc.maintain(50_000);             // any event loop, when idle: drain frees, compact, reclaim
 *       LocalAllocator local = alloc.local(); // this thread's view: the same calls, no context search
 *       local.free(local.allocate(64));
 *   }
 * }</pre>
 * Event loops hand their idle time over with {@link #idleStrategy(IdleStrategy)}; an Agrona
 * {@link AgentRunner} takes {@link #maintenanceAgent()}; the optional background thread
 * ({@code backgroundMaintenance}, on by default) runs the same agent.
 *
 * <h2>Policies ({@link Policy})</h2>
 * <pre>
 *   PER_THREAD   platform thread T1 -&gt; arena 7 (owned)      T2 -&gt; arena 8 (owned)     virtual threads -&gt; stripes
 *   STRIPED      any thread -&gt; probe &amp; (stripes - 1) -&gt; stripe arena under a one-word lock, re-hash on contention
 * </pre>
 *
 * <h2>Who calls what</h2>
 * <pre>
 *   call                           PER_THREAD owner      other thread                  STRIPED (any thread)
 *   allocate*, allocateHandle*     own arena, no lock    -                             stripe lock
 *   free (small fixed block)       the caller's thread cache (any per-thread arena's block), else as below
 *   free (small fixed, no context) -                     -                             marked; own stripe, or own
 *                                                                                      stripe's outbox to its arena (**)
 *   free                           own arena, no lock    remote free (inbox)           block's stripe lock, or its inbox
 *   pin, unpin, pinned, arenaOf    any thread, lock-free (pin/unpin: one CAS on the handle's state word)
 *   resolve                        yes                   IllegalStateException: pin    IllegalStateException: pin
 *   reallocate, usableSize, sizeOf yes                   IllegalStateException (*)     block's stripe lock
 *   maintain                       own arena + global    global work only              global + stripes
 * </pre>
 * (*) except for an arena whose owner ended: the caller borrows it (CAS ORPHANED to RECLAIMING) for the call; if no
 * liveness scan has seen that owner end yet, the call runs one first.
 * (**) every thread without a context: all threads under STRIPED, virtual threads under PER_THREAD (whose frees of a
 * platform thread's small blocks take this path too). See {@link RemoteFreeInbox} step 2.
 *
 * <h2>Mapping to the owner, O(1)</h2>
 * A handle carries its arena id (bits 62..48, {@link HandleTable#arenaIdOf}) looked up in this allocator's
 * table of arenas; an address is looked up in the {@link AddressMap} that every arena keeps current through
 * its {@code ChunkListener}. Both work from any thread, lock-free, without allocating.
 *
 * <h2>The PER_THREAD owner's fast path (allocate, allocateHandle, free)</h2>
 * <ol>
 *   <li>c = the caller's {@link ThreadContext} from the {@link ThreadContextTable}, which is this object's
 *   superclass (its fields are the allocator's own, one load from {@code this}): its hot field when the caller
 *   is one of the {@link #HOT_THREADS} hot threads (the first to register, then the busiest; one load and an
 *   identity check per field), else its slot (thread id &amp; 1023, one plain load, an identity check). Not there (STRIPED, a virtual thread, a thread not registered yet or whose slot
 *   another thread holds, a closed allocator): the slow path, which checks that the allocator is open and finds
 *   the context through the {@code ThreadLocal}.</li>
 *   <li>free only, a positive address: the thread's {@link ThreadBlockCache} (on by default,
 *   {@code threadCacheBytes}) takes a small fixed block of any per-thread arena, the caller's own or another
 *   thread's, if it knows the block's chunk (a two-way descriptor cache of 16 sets): a free mark check, a mark, a
 *   push; for another thread's block a full class first sends its older half home ({@link ThreadBlockCache} step
 *   1b), the caller's own block goes to its arena (next step). A second free of a cached block throws
 *   at once. A chunk the descriptor cache does not know: the slow path, which teaches it the chunk, own chunks
 *   included (so own and foreign blocks take the same path).</li>
 *   <li>free otherwise (a handle, a medium block): is the value the caller's own? A handle: its arena id equals the
 *   owned arena's. An address: inside one of the two chunks of the owned arena that the context remembers
 *   ({@link ThreadContext#ownsPlain}). Otherwise the slow path: {@link AddressMap} lookup; a per-thread arena's
 *   chunk is remembered in the thread cache (and the block offered to it again), an own chunk in the context,
 *   anything else is a remote or stripe free.</li>
 *   <li>allocate only, 1 .. 4096 bytes: a cached block of the size's class, if any (its mark cleared); every
 *   {@code drainInterval}-th such reuse drains the inbox if it has work.</li>
 *   <li>allocations from the arena: compare the own arena's allocation count with the context's mark
 *   ({@link ThreadContext#nextDrainAt}); every {@code drainInterval}-th allocation drains the inbox if it has work
 *   and moves the mark. Both drains park the remote frees of small blocks in the thread cache where their class has
 *   room ({@link ThreadBlockCache} step 5), for the allocations that follow; the rest go to the arena. A free never
 *   drains: it could not use what a drain gives back.</li>
 *   <li>The arena call.</li>
 * </ol>
 * Why the thread cache (measured, docs/larson.md): where blocks change threads, splitting frees into "own: the
 * arena" and "another's: send it home" cost a branch the CPU cannot predict plus a second path as long as the
 * first; one path for both took {@code larson} from 59.7 to 71.4 Mops/s, and, on one thread, churn-small through
 * the facade from 1.26-1.31x to 1.10-1.16x the bare arena's time.
 *
 * <h2>Contracts, in numbers</h2>
 * <ul>
 *   <li>PER_THREAD owner's allocate and free: one or two table loads and identity checks, (allocate) one compare
 *   of two loads, (free) one range or id compare, the arena call; no store outside the arena, no
 *   {@code ThreadLocal}, no lock, no volatile store, no atomic read-modify-write (movable frees keep the handle
 *   table's one CAS).</li>
 *   <li>Through the thread's {@link LocalAllocator} ({@link #local()}): the same, with an identity check of the
 *   calling thread against the view's context in place of the table load (step 1).</li>
 *   <li>Remote free: an O(1) owner lookup and one release store; one CAS per {@code remoteFreeBatchSize}
 *   frees (see {@link RemoteFreeInbox} for the protocol and the bound on how long freed bytes stay unusable).</li>
 *   <li>STRIPED allocate and free: one CAS and one release store on the stripe's lock word.</li>
 *   <li>Zero garbage in steady state on every path above, remote frees included: batches are pooled and
 *   the rings hold longs.</li>
 * </ul>
 *
 * <h2>Limits</h2>
 * Each arena keeps its own {@code ArenaConfig.maxTotalBytes}; all arenas together stay below
 * {@code maxTotalBytes} ({@link GlobalBudget}). An allocation that meets either limit first gives the blocks parked in
 * the calling thread's {@link ThreadBlockCache} back to their arenas (its own arena's at once), then drains the arena's
 * inbox, compacts it (if {@code compactOnAllocationFailure}), retries, and with {@code limitWaitNanos > 0}
 * keeps waiting (parking 1 us, doubling to 1 ms) for remote frees and released chunks before it throws
 * {@link AllocatorLimitExceededException}: back-pressure instead of an out-of-memory error. An allocation that
 * waits is counted once in {@link AllocatorCounters#LIMIT_WAITS} and once in {@link ArenaCounters#LIMIT_WAITS} of
 * the arena it was for (its thread's arena, or the stripe it started in), whichever limit it met; one that gives up
 * is counted in {@link AllocatorCounters#LIMIT_FAILURES}.
 *
 * <h2>Bad input</h2>
 * A foreign address or handle: {@link InvalidBlockException} at once, on the caller. A double free on the
 * owner or under a stripe lock: {@link InvalidBlockException} at once. A free of a small fixed block that is not
 * live (in a thread cache, free in its arena, never allocated, or queued by another thread), by any thread, when its
 * arena keeps free marks (every stripe; per-thread arenas while thread caches are on): {@link InvalidBlockException}
 * at once ({@link io.arenaalloc.core.FreeMark}; two frees of one block racing on two threads may both pass, see
 * {@link ThreadBlockCache}). An address inside a small block: {@link InvalidBlockException} at once, by any
 * thread. {@code usableSize} and {@code reallocate} of a small block that is free (it carries its
 * mark): {@link InvalidBlockException}, nothing changed. Any other double free queued remotely (medium blocks,
 * handles, arenas without marks): detected by the owner when it applies it, counted
 * ({@link AllocatorCounters#REMOTE_FREE_ERRORS}) and reported to the {@code errorHandler} as an
 * {@link InvalidRemoteFreeException} (after the owner gave back any lock it held for the drain, so the handler may
 * call the allocator); in debug mode a freer that queues the same value twice is told at once. Any call after
 * {@link #close()}: {@link IllegalStateException}.
 *
 * <h2>Lifecycle</h2>
 * {@link #close()} stops the background thread, gives every thread cache's blocks back to their arenas and closes
 * every arena, returning all memory; it must
 * happen-after every other call on the allocator (as for any off-heap resource). No finalizers.
 */
public final class ArenaAllocator extends ThreadContextTable implements AutoCloseable
{
    /**
     * {@link Policy#PER_THREAD}: how many threads the owner's fast path finds one load away (the hot set: the first
     * to register, then the busiest at each liveness scan); any other thread is found through a slot indexed by its
     * thread id, a few dependent loads more, or holds its {@link #local()}.
     */
    public static final int HOT_THREADS = ThreadContextTable.HOT;

    private static final AtomicInteger NEXT_ARENA_ID = new AtomicInteger();
    private static final AtomicInteger INSTANCES = new AtomicInteger();

    private static final int OP_ALLOCATE = 0;
    private static final int OP_ALLOCATE_ZEROED = 1;
    private static final int OP_ALLOCATE_ALIGNED = 2;
    private static final int OP_ALLOCATE_HANDLE = 3;
    private static final int OP_ALLOCATE_HANDLE_ZEROED = 4;
    private static final int OP_REALLOCATE = 5;

    private static final int MODE_OWNER = 0;
    private static final int MODE_LOCKED = 1;
    private static final int MODE_BORROWED = 2;

    private static final long MIN_LIMIT_BACKOFF_NANOS = 1_000;
    /** Copy speed assumed when sizing an idle compaction step's byte budget from its time (2 GB/s). */
    static final long IDLE_COPY_BYTES_PER_NANO = 2;
    private static final long MAX_LIMIT_BACKOFF_NANOS = 1_000_000;

    private final AllocatorConfig config;
    private final Policy policy;
    private final ArenaConfig arenaTemplate;
    /**
     * {@link #sendHome} and {@link #freeAtClose}, made once: giving cached blocks back allocates nothing. Passed to
     * each call, never stored in a thread's cache: a context that a living thread's ThreadLocal map holds must not
     * hold the allocator (a closed allocator must stay collectable).
     */
    private final ThreadBlockCache.Home cacheHome = this::sendHome;
    private final ThreadBlockCache.Home closeHome = this::freeAtClose;
    private final boolean debug;
    private final int drainInterval;
    private final int stripeCount;
    private final AddressMap addressMap = new AddressMap();
    private final AtomicReferenceArray<ManagedArena> arenas = new AtomicReferenceArray<>(ArenaConfig.MAX_ARENA_ID + 1);
    private final ThreadLocal<ThreadContext> contexts = new ThreadLocal<>();
    /** The view {@link #local()} gives threads without a context of their own: every call takes the allocator's path. */
    private final LocalAllocator sharedView = new LocalAllocator(this, null);
    private final ThreadRegistry registry;
    private final GlobalBudget budget;
    private final AllocatorCounters counters = new AllocatorCounters();
    private final ErrorHandler errorHandler;
    private final String name;
    private final Object stripesLock = new Object();
    private volatile ManagedArena[] stripes;
    private volatile boolean closed;
    /** When stripes are next due for maintenance, and where it starts: written by maintain(), off this object. */
    private final StripeSchedule stripeSchedule = new StripeSchedule();
    private volatile Throwable lastRemoteFreeError;
    private volatile ArenaMaintenanceListener maintenanceListener;
    private final AgentRunner backgroundRunner;
    /** Written and read by the background maintenance thread only: close() was called on it (see close). */
    private boolean closedOnMaintenanceThread;

    private ArenaAllocator(final AllocatorConfig config)
    {
        this.config = config;
        this.policy = config.policy();
        this.arenaTemplate = config.arenaConfig();
        this.debug = arenaTemplate.debug();
        this.drainInterval = config.drainInterval();
        this.stripeCount = config.stripes();
        this.budget = new GlobalBudget(config.maxTotalBytes());
        this.errorHandler = config.errorHandler();
        this.registry = new ThreadRegistry(this, counters, config.maxThreadArenas(), config.livenessScanNanos());
        this.counters.attach(this);
        this.name = "arena-allocator-" + INSTANCES.incrementAndGet();
        this.stripeSchedule.nextNanos = System.nanoTime();
        if (policy == Policy.STRIPED)
        {
            stripes();
        }
        if (config.backgroundMaintenance())
        {
            backgroundRunner = new AgentRunner(new SleepingIdleStrategy(config.maintenancePeriodNanos()), errorHandler,
                null, new MaintenanceAgent(this, config.maintenanceBudgetNanos(), true));
            AgentRunner.startOnThread(backgroundRunner, (runnable) ->
            {
                final Thread t = new Thread(runnable, name + "-maintenance");
                t.setDaemon(true);
                return t;
            });
        }
        else
        {
            backgroundRunner = null;
        }
    }

    /** @return a builder whose {@code build()} makes the allocator. See {@link AllocatorConfig} for options. */
    public static AllocatorConfig.Builder<ArenaAllocator> builder()
    {
        return new AllocatorConfig.Builder<>(ArenaAllocator::new);
    }

    public static ArenaAllocator create(final AllocatorConfig config)
    {
        if (config == null)
        {
            throw new IllegalArgumentException("config=null, expected an AllocatorConfig");
        }
        return new ArenaAllocator(config);
    }

    // =========================================================================================
    // allocation
    // =========================================================================================

    /** A fixed block of at least {@code size} bytes, aligned to 16. @return its address, never 0. */
    public long allocate(final long size)
    {
        final ThreadContext c = tableContext();
        final OffHeapArena own;
        if (c != null && (own = c.ownArena) != null)
        {
            return ownerAllocate(c, own, size); // the PER_THREAD owner's fast path: no ThreadLocal, no closed check
        }
        checkOpen();
        return allocate(c != null ? c : context(), OP_ALLOCATE, size, 0);
    }

    /** The PER_THREAD owner's allocate (steps 3 and 4 of the fast path), kept small so it inlines. */
    long ownerAllocate(final ThreadContext c, final OffHeapArena own, final long size)
    {
        final ThreadBlockCache tc = c.cache;
        if (tc != null && size > 0 && size <= SizeClasses.SMALL_MAX)
        {
            final long parked = tc.tryReuse(size);
            if (parked != 0)
            {
                if (tc.reused >= c.nextCacheDrainAt)
                {
                    drainForCache(c, tc); // reuses count towards drainInterval like the arena's own allocations
                }
                return parked;
            }
        }
        beforeOwnerAllocate(c, own);
        try
        {
            return own.allocate(size);
        }
        catch (final ArenaLimitExceededException ex)
        {
            return retryAfterLimit(c.arena, c, OP_ALLOCATE, size, 0, ex);
        }
    }

    /**
     * The calling thread's {@link LocalAllocator}: the same allocate, allocateHandle and free without the per-call
     * search for the caller's context. One view per thread context (the same object on every call); on a thread
     * with no arena of its own (STRIPED, virtual threads) a view whose calls all take the allocator's path.
     */
    public LocalAllocator local()
    {
        checkOpen();
        final ThreadContext c = context();
        if (c == null)
        {
            return sharedView;
        }
        LocalAllocator view = c.local;
        if (view == null)
        {
            view = new LocalAllocator(this, c);
            c.local = view;
        }
        return view;
    }

    /** As {@link #allocate}, the first {@code size} bytes zeroed. */
    public long allocateZeroed(final long size)
    {
        checkOpen();
        return allocate(context(), OP_ALLOCATE_ZEROED, size, 0);
    }

    /** A fixed block whose address is a multiple of {@code alignment} (a power of two up to chunkSize). */
    public long allocateAligned(final long size, final long alignment)
    {
        checkOpen();
        return allocate(context(), OP_ALLOCATE_ALIGNED, size, alignment);
    }

    /** A movable block. @return its handle (a negative long), valid until freed while the block may move. */
    public long allocateHandle(final long size)
    {
        final ThreadContext c = tableContext();
        final OffHeapArena own;
        if (c != null && (own = c.ownArena) != null)
        {
            return ownerAllocateHandle(c, own, size);
        }
        checkOpen();
        return allocate(c != null ? c : context(), OP_ALLOCATE_HANDLE, size, 0);
    }

    /** The PER_THREAD owner's allocateHandle. */
    long ownerAllocateHandle(final ThreadContext c, final OffHeapArena own, final long size)
    {
        beforeOwnerAllocate(c, own);
        try
        {
            return own.allocateHandle(size);
        }
        catch (final ArenaLimitExceededException ex)
        {
            return retryAfterLimit(c.arena, c, OP_ALLOCATE_HANDLE, size, 0, ex);
        }
    }

    /** As {@link #allocateHandle}, the first {@code size} bytes zeroed. */
    public long allocateHandleZeroed(final long size)
    {
        checkOpen();
        return allocate(context(), OP_ALLOCATE_HANDLE_ZEROED, size, 0);
    }

    /** Every allocation but the owner's fast paths above: first arena of a thread, stripes, zeroed, aligned. */
    private long allocate(final ThreadContext c, final int op, final long size, final long arg)
    {
        if (c != null)
        {
            ManagedArena m = c.arena;
            if (m == null && !c.useStripes)
            {
                m = attachArena(c);
            }
            if (m != null)
            {
                beforeOwnerAllocate(c, m.arena);
                try
                {
                    return call(m.arena, op, size, arg);
                }
                catch (final ArenaLimitExceededException ex)
                {
                    return retryAfterLimit(m, c, op, size, arg, ex);
                }
            }
        }
        final ManagedArena m = lockStripe();
        ArenaLimitExceededException limit;
        try
        {
            m.beforeCall(drainInterval);
            return call(m.arena, op, size, arg);
        }
        catch (final ArenaLimitExceededException ex)
        {
            limit = ex;
        }
        finally
        {
            m.unlockRelease();
        }
        return retryAfterLimit(m, null, op, size, arg, limit);
    }

    private static long call(final OffHeapArena arena, final int op, final long size, final long arg)
    {
        switch (op)
        {
            case OP_ALLOCATE:
                return arena.allocate(size);
            case OP_ALLOCATE_ZEROED:
                return arena.allocateZeroed(size);
            case OP_ALLOCATE_ALIGNED:
                return arena.allocateAligned(size, arg);
            case OP_ALLOCATE_HANDLE:
                return arena.allocateHandle(size);
            case OP_ALLOCATE_HANDLE_ZEROED:
                return arena.allocateHandleZeroed(size);
            case OP_REALLOCATE:
                return arena.reallocate(arg, size);
            default:
                throw new IllegalStateException("op=" + op);
        }
    }

    // =========================================================================================
    // free
    // =========================================================================================

    /**
     * Frees a fixed block by address or a movable block by handle, from any thread.
     * @throws InvalidBlockException at once for a foreign address or handle, for a double free into the
     * caller's own arena or into a stripe whose lock it takes, and for a double free of a small fixed block by a
     * thread with a cache or without a context (its free mark); any other double free queued for another arena is
     * found when that arena's holder applies it and reported to the error handler ({@link RemoteFreeInbox}).
     * @throws IllegalStateException for a handle pinned at that moment, or after {@link #close()}.
     */
    public void free(final long addressOrHandle)
    {
        final ThreadContext c = tableContext();
        final OffHeapArena own;
        if (c != null && (own = c.ownArena) != null && ownerFree(c, own, addressOrHandle))
        {
            return;
        }
        freeSlow(c, addressOrHandle);
    }

    /**
     * The PER_THREAD owner's fast path of a free: a small fixed block of any per-thread arena whose chunk the
     * thread's {@link ThreadBlockCache} knows goes into that cache; else a block of the thread's own arena, known from
     * the handle or the chunk cache, is freed there.
     * @return false when neither applies (the caller takes {@code freeSlow}).
     */
    boolean ownerFree(final ThreadContext c, final OffHeapArena own, final long addressOrHandle)
    {
        final ThreadBlockCache tc = c.cache;
        if (tc != null && addressOrHandle > 0)
        {
            final int parked = tc.tryFree(addressOrHandle, c, cacheHome);
            if (parked == ThreadBlockCache.PARKED)
            {
                return true;
            }
            if (parked == ThreadBlockCache.UNKNOWN_CHUNK)
            {
                return false; // freeSlow finds the chunk and teaches it to the cache, own chunks too
            }
        }
        if (c.ownsPlain(addressOrHandle))
        {
            own.free(addressOrHandle);
            return true;
        }
        return false;
    }

    /** Every free but the owner's fast path: an owner's chunk-cache miss, remote frees, stripes. */
    private void freeSlow(final ThreadContext found, final long addressOrHandle)
    {
        checkOpen();
        if (addressOrHandle > 0 && (addressOrHandle & (SizeClasses.QUANTUM - 1)) != 0)
        {
            // every block starts on 16 bytes; the low bits of a remote free's slot value carry RemoteFreeInbox flags
            throw new InvalidBlockException("free: address=0x" + Long.toHexString(addressOrHandle) +
                " is not 16-byte aligned, expected the start of a block (every block starts on 16 bytes)");
        }
        final ThreadContext c = found != null ? found : context();
        final AddressMap.Descriptor d = addressOrHandle > 0 ? addressMap.find(addressOrHandle) : null;
        final ManagedArena m = d != null ? d.arena : arenaFor(addressOrHandle, "free");
        final ThreadBlockCache tc;
        if (c != null && d != null && d.slabMap != null && (tc = c.cache) != null && c.ownArena != null && !m.isStripe())
        {
            tc.remember(d); // a per-thread arena's chunk: the next frees here take the fast path
            if (tc.tryFree(d, addressOrHandle, c, cacheHome))
            {
                return;
            }
        }
        if (c != null && c.arena == m)
        {
            if (d != null)
            {
                c.rememberChunkPlain(d.base, d.end - d.base);
            }
            m.arena.free(addressOrHandle);
            return;
        }
        if (d != null && d.slabMap != null)
        {
            if (d.slabMap.blockClassAt(d.base, addressOrHandle) >= 0)
            {
                if (m.arena.keepsFreeMarks())
                {
                    // a small fixed block leaves the caller's hands before its arena applies the free: it is marked
                    // first, so that a later free of it anywhere is rejected at once (RemoteFreeInbox step 2)
                    ThreadBlockCache.rejectMarked(m, addressOrHandle);
                    FreeMark.mark(addressOrHandle);
                    if (c == null)
                    {
                        freeMarkedThroughOwnStripe(m, addressOrHandle);
                    }
                    else if (m.isStripe())
                    {
                        freeInStripe(m, addressOrHandle | RemoteFreeInbox.MARKED);
                    }
                    else
                    {
                        c.outbox.free(m, addressOrHandle | RemoteFreeInbox.MARKED);
                    }
                    return;
                }
            }
            else if (d.slabMap.inSlab(d.base, addressOrHandle))
            {
                throw new InvalidBlockException("free: address=0x" + Long.toHexString(addressOrHandle) + " in " +
                    m.describeOwner() + " lies in a slab of small blocks but is not the start of a live one (an address " +
                    "inside a block, or a block freed since), expected the start of a live block");
            }
        }
        if (addressOrHandle < 0)
        {
            // refused at once whichever path follows (a busy stripe's ring included); a pin that lands after this
            // check defers the queued free until the unpin (RemoteFreeInbox step 6)
            final int pins = m.arena.pinned(addressOrHandle);
            if (pins > 0)
            {
                throw new IllegalStateException("free: handle=0x" + Long.toHexString(addressOrHandle) + " is pinned (pins=" +
                    pins + "), expected pins=0");
            }
        }
        if (m.isStripe())
        {
            freeInStripe(m, addressOrHandle);
            return;
        }
        if (c != null)
        {
            c.outbox.free(m, addressOrHandle);
        }
        else if (!m.inbox.offerSingle(addressOrHandle))
        {
            m.inbox.pushOverflowSingle(addressOrHandle);
            counters.increment(AllocatorCounters.SINGLE_FREES_OVERFLOWED);
        }
    }

    /**
     * The free of a small fixed block of arena {@code m} (which keeps free marks) by a thread with no context of its
     * own (STRIPED, virtual threads), already checked and marked by {@link #freeSlow}: under the lock of the caller's
     * own stripe, freed at once when {@code m} is that stripe, else written into that stripe's outbox for {@code m},
     * flagged {@link RemoteFreeInbox#MARKED}: a batch published to m's inbox, one atomic operation per batch and none
     * on m's lock or arena ({@link RemoteFreeInbox} steps 2 and 3; why and what it measured: that class's Javadoc).
     */
    private void freeMarkedThroughOwnStripe(final ManagedArena m, final long address)
    {
        final long marked = address | RemoteFreeInbox.MARKED;
        final ManagedArena s = lockStripe();
        try
        {
            s.beforeCall(drainInterval); // a call on the stripe: its own inbox drains within drainInterval of them
            if (s == m)
            {
                s.arena.freeMarked(address);
                return;
            }
            if (s.outbox.free(m, marked))
            {
                return;
            }
        }
        finally
        {
            s.unlockRelease();
        }
        // every batch of the stripe's fixed pool is in flight: m's ring, else (after our lock is given back, so that
        // no thread waits for a lock while holding one) m's lock for a stripe or a batch of one for a thread's arena
        counters.increment(AllocatorCounters.STRIPE_OUTBOX_FULL);
        if (m.inbox.offerSingle(marked))
        {
            return;
        }
        if (m.isStripe())
        {
            freeLockedAfterFullRing(m, marked);
        }
        else
        {
            m.inbox.pushOverflowSingle(marked);
            counters.increment(AllocatorCounters.SINGLE_FREES_OVERFLOWED);
        }
    }

    private void freeInStripe(final ManagedArena m, final long value)
    {
        if (m.tryLock())
        {
            try
            {
                m.beforeCall(drainInterval);
                applyHeld(m, value);
            }
            finally
            {
                m.unlockRelease();
            }
            return;
        }
        if (m.inbox.offerSingle(value))
        {
            return;
        }
        freeLockedAfterFullRing(m, value);
    }

    /**
     * Stripe {@code m}'s ring was full: take its lock (waiting; the caller holds no other lock) and apply the value as
     * a drain would ({@code freeMarked} for a {@link RemoteFreeInbox#MARKED} address).
     */
    private void freeLockedAfterFullRing(final ManagedArena m, final long value)
    {
        counters.increment(AllocatorCounters.RING_FULL_LOCKED_FREES);
        m.lock();
        try
        {
            m.beforeCall(drainInterval);
            applyHeld(m, value);
        }
        finally
        {
            m.unlockRelease();
        }
    }

    /** The holder of {@code m}: applies a free as a drain would ({@code freeMarked} for a MARKED address). */
    private static void applyHeld(final ManagedArena m, final long value)
    {
        if (value > 0 && (value & RemoteFreeInbox.MARKED) != 0)
        {
            m.arena.freeMarked(value & ~RemoteFreeInbox.MARKED);
        }
        else
        {
            m.arena.free(value);
        }
    }

    // =========================================================================================
    // handles
    // =========================================================================================

    /**
     * Pins a movable block from any thread: it will not move until the matching {@link #unpin}.
     * @return its address, valid until then.
     */
    public long pin(final long handle)
    {
        checkOpen();
        return arenaFor(handle, "pin").arena.pin(handle);
    }

    /** Undoes one {@link #pin}. Any thread. */
    public void unpin(final long handle)
    {
        checkOpen();
        arenaFor(handle, "unpin").arena.unpin(handle);
    }

    /** @return the pin count of a handle (0 when it is no longer current). Any thread. */
    public int pinned(final long handle)
    {
        checkOpen();
        return arenaFor(handle, "pinned").arena.pinned(handle);
    }

    /**
     * The current address of a movable block, for the thread that owns its arena ({@link Policy#PER_THREAD}).
     * Valid until that thread's next {@link #maintain} (or idle cycle through {@link #idleStrategy}), its
     * next reallocate or free of this handle, or its next allocation that meets a limit (which may compact).
     * Any other thread, and every thread under {@link Policy#STRIPED}, pins instead.
     * @throws IllegalStateException when the caller does not own the handle's arena.
     */
    public long resolve(final long handle)
    {
        checkOpen();
        final ManagedArena m = arenaFor(handle, "resolve");
        final ThreadContext c = context();
        if (c != null && c.arena == m)
        {
            return m.arena.resolve(handle);
        }
        throw new IllegalStateException("resolve: handle=0x" + Long.toHexString(handle) + " belongs to " +
            m.describeOwner() + ", and resolve is only for the thread that owns a PER_THREAD arena (another thread " +
            "could move the block under you); use pin(handle) ... unpin(handle)");
    }

    /** @return the size requested for a movable block. Owner (or stripe lock), see the class table. */
    public long sizeOf(final long handle)
    {
        checkOpen();
        final ManagedArena m = arenaFor(handle, "sizeOf");
        final int mode = enter(m, context(), "sizeOf");
        try
        {
            return m.arena.sizeOf(handle);
        }
        finally
        {
            exit(m, mode);
        }
    }

    // =========================================================================================
    // fixed-block queries and reallocation
    // =========================================================================================

    /** @return the usable bytes of a live fixed block. Owner (or stripe lock), see the class table. */
    public long usableSize(final long address)
    {
        checkOpen();
        final ManagedArena m = arenaFor(address, "usableSize");
        final int mode = enter(m, context(), "usableSize");
        try
        {
            return m.arena.usableSize(address);
        }
        finally
        {
            exit(m, mode);
        }
    }

    /**
     * Resizes a fixed block (new address returned, possibly the same) or a movable block (same handle
     * returned) within its own arena. Owner (or stripe lock), see the class table.
     */
    public long reallocate(final long addressOrHandle, final long newSize)
    {
        checkOpen();
        final ManagedArena m = arenaFor(addressOrHandle, "reallocate");
        final ThreadContext c = context();
        final int mode = enter(m, c, "reallocate");
        ArenaLimitExceededException limit;
        try
        {
            if (mode == MODE_OWNER)
            {
                beforeOwnerAllocate(c, m.arena);
            }
            else if (mode == MODE_LOCKED)
            {
                m.beforeCall(drainInterval);
            }
            return m.arena.reallocate(addressOrHandle, newSize);
        }
        catch (final ArenaLimitExceededException ex)
        {
            limit = ex;
        }
        finally
        {
            exit(m, mode);
        }
        return retryAfterLimit(m, c, OP_REALLOCATE, newSize, addressOrHandle, limit);
    }

    /** Takes the right to call {@code m} for one call. */
    private int enter(final ManagedArena m, final ThreadContext c, final String operation)
    {
        if (c != null && c.arena == m)
        {
            return MODE_OWNER;
        }
        if (m.isStripe())
        {
            m.lock();
            return MODE_LOCKED;
        }
        if (m.claimOrphan() || (registry.orphanIfOwnerEnded(m) && m.claimOrphan()))
        {
            return MODE_BORROWED;
        }
        throw new IllegalStateException(operation + ": the block belongs to " + m.describeOwner() + "; " + operation +
            " of a block in a PER_THREAD arena runs on the thread that owns it (free, pin and unpin work from any thread)");
    }

    private static void exit(final ManagedArena m, final int mode)
    {
        if (mode == MODE_LOCKED)
        {
            m.unlockRelease();
        }
        else if (mode == MODE_BORROWED)
        {
            m.stateRelease(ManagedArena.ORPHANED);
        }
    }

    // =========================================================================================
    // limits and back-pressure
    // =========================================================================================

    /**
     * After an allocation met a limit: the caller's thread cache goes home (its blocks are memory the arenas need more
     * now; before, an allocation could fail at the limit beside a cache full of free blocks, and, since the owner parks
     * the remote frees it drains, beside the very frees it waited for), then drain, compact, retry; with
     * back-pressure keep doing so, parking
     * between rounds, until {@code limitWaitNanos} passed. Stripe allocations try every stripe each round,
     * their own ({@code first}) first.
     * <p>A waiting allocation is counted once: {@link AllocatorCounters#LIMIT_WAITS} when it first parks, and
     * {@link ArenaCounters#LIMIT_WAITS} of {@code first} (the arena it was for) at the start of the next round,
     * while this thread holds {@code first} (owner, stripe lock or borrow): arena counters are written only by
     * the arena's holder. Every park is followed by such a round (unless the allocator closes meanwhile), so
     * the two counts agree.
     */
    private long retryAfterLimit(
        final ManagedArena first,
        final ThreadContext c,
        final int op,
        final long size,
        final long arg,
        final ArenaLimitExceededException firstFailure)
    {
        sendCachedHomeIfAny(c); // c is the caller's context: its own arena frees its blocks now
        final long start = System.nanoTime();
        final long waitNanos = size > budget.limit() ? 0 : config.limitWaitNanos(); // no free can make room for it
        final boolean anyStripe = first.isStripe() && op != OP_REALLOCATE;
        ArenaLimitExceededException last = firstFailure;
        long backoff = MIN_LIMIT_BACKOFF_NANOS;
        boolean counted = false;
        boolean arenaWaitPending = false;
        final ManagedArena[] s = anyStripe ? stripes : null;
        final int own = anyStripe ? indexOf(s, first) : 0;
        while (true)
        {
            if (anyStripe)
            {
                for (int i = 0; i < s.length; i++)
                {
                    final ManagedArena m = s[(own + i) & (s.length - 1)];
                    m.lock();
                    try
                    {
                        if (arenaWaitPending && m == first)
                        {
                            countLimitWait(first);
                            arenaWaitPending = false;
                        }
                        relieve(m);
                        return call(m.arena, op, size, arg);
                    }
                    catch (final ArenaLimitExceededException ex)
                    {
                        last = ex;
                    }
                    finally
                    {
                        m.unlockRelease();
                    }
                }
            }
            else
            {
                final int mode = enter(first, c, op == OP_REALLOCATE ? "reallocate" : "allocate");
                try
                {
                    if (arenaWaitPending)
                    {
                        countLimitWait(first);
                        arenaWaitPending = false;
                    }
                    relieve(first);
                    return call(first.arena, op, size, arg);
                }
                catch (final ArenaLimitExceededException ex)
                {
                    last = ex;
                }
                finally
                {
                    exit(first, mode);
                }
            }
            final long waited = System.nanoTime() - start;
            if (waited >= waitNanos)
            {
                counters.increment(AllocatorCounters.LIMIT_FAILURES);
                throw limitFailure(size, last, first, waitNanos == 0 ? 0 : waited); // no back-pressure: no wait
            }
            if (!counted)
            {
                counters.increment(AllocatorCounters.LIMIT_WAITS);
                counted = true;
                arenaWaitPending = true; // the arena's count: next round, while this thread holds it
            }
            LockSupport.parkNanos(Math.min(backoff, waitNanos - waited));
            backoff = Math.min(backoff << 1, MAX_LIMIT_BACKOFF_NANOS);
            checkOpen();
            final long now = System.nanoTime();
            registry.scanIfDue(now);
            registry.reclaim(now + config.maintenanceBudgetNanos());
        }
    }

    /** @return the index of {@code m} in {@code s}; 0 if it is not there. */
    private static int indexOf(final ManagedArena[] s, final ManagedArena m)
    {
        for (int i = 0; i < s.length; i++)
        {
            if (s[i] == m)
            {
                return i;
            }
        }
        return 0;
    }

    /** Whoever holds {@code m}: one more allocation for it waited at a limit. */
    private static void countLimitWait(final ManagedArena m)
    {
        m.arena.counters().addOpaque(ArenaCounters.LIMIT_WAITS, 1);
    }

    /** Whoever holds {@code m}: take in its remote frees and compact it, so a retry may fit. */
    private void relieve(final ManagedArena m)
    {
        m.drainIfWork();
        final long budget = Math.min(arenaTemplate.compactOnFailureNanos(),
            Math.max(config.maintenanceBudgetNanos(), arenaTemplate.compactStepNanos()));
        if (arenaTemplate.compactOnAllocationFailure() && budget > 0 && m.arena.compactionWorthIt())
        {
            m.arena.compactFully(budget);
        }
    }

    private AllocatorLimitExceededException limitFailure(
        final long size, final ArenaLimitExceededException last, final ManagedArena arena, final long waited)
    {
        final boolean global = last instanceof AllocatorLimitExceededException && ((AllocatorLimitExceededException)last).isGlobal();
        final AllocatorLimitExceededException ex = global ?
            new AllocatorLimitExceededException(size, budget.limit(), budget.committedOpaque(), liveBytes(), true,
                waited, "across " + arenaCount() + " arenas") :
            new AllocatorLimitExceededException(size, last.limitBytes(), last.committedBytes(), last.liveBytes(), false,
                waited, "in " + arena.describeOwner());
        ex.initCause(last);
        return ex;
    }

    // =========================================================================================
    // maintenance
    // =========================================================================================

    /**
     * Gives the blocks the calling thread holds in its {@link ThreadBlockCache} back to their arenas now: its own
     * arena frees them at once, other threads' arenas get them through the remote-free protocol. Idle maintenance
     * does this by itself (a {@link #maintain} call after one that saw no cache activity); call it before a thread
     * goes quiet for long, or to read exact per-arena figures. A no-op for a thread with no cache.
     * @return the number of blocks given back.
     */
    public int flushThreadCache()
    {
        checkOpen();
        return sendCachedHomeIfAny(existingContext());
    }

    /** {@link #sendCachedHome} for a context that may be null, have no cache or an empty one. @return blocks sent. */
    private int sendCachedHomeIfAny(final ThreadContext c)
    {
        return c != null && c.cache != null && !c.cache.isEmpty() ? sendCachedHome(c) : 0;
    }

    /** Maintenance with the configured {@code maintenanceBudgetNanos}. */
    public int maintain()
    {
        return maintain(config.maintenanceBudgetNanos());
    }

    /**
     * Maintenance within about {@code budgetNanos}, for any event loop's idle time. In order:
     * <ol>
     *   <li>the liveness scan, if due ({@code livenessScanNanos}): ended threads' arenas become orphans and
     *   ended freers' open batches are sealed;</li>
     *   <li>the caller's own arena (PER_THREAD): drain its inbox, then compaction steps while worth it and
     *   within budget (this is the only place besides limit handling where the owner's arena is compacted,
     *   and it runs on the owner's thread: never concurrently with its allocations);</li>
     *   <li>orphans: drain, compact, close when empty ({@link ThreadRegistry});</li>
     *   <li>stripes: for each stripe whose lock is free, drain and compact under the lock (a busy stripe is
     *   skipped, never waited for). On every call of this method; from {@link #idleStrategy} and
     *   {@link #maintenanceAgent} (duty cycles, which may call it in a loop) at most once per
     *   {@code maintenancePeriodNanos}.</li>
     * </ol>
     * <b>Do not call this method in a loop while stripes exist</b> ({@link Policy#STRIPED}, or virtual threads under
     * {@link Policy#PER_THREAD}): each call takes the lock of every stripe that is free at that moment, so the
     * threads allocating from the stripes keep finding their stripe's lock taken. Measured (a thread allocating and
     * freeing small blocks under STRIPED while a second thread called {@code maintain()} in a loop, 2026-12-05):
     * 5.7-11x the time per operation. A loop that wants maintenance (a busy-spinning agent, an event loop) uses
     * {@link #maintenanceAgent()} (in a {@code CompositeAgent}) or {@link #idleStrategy}, which do the stripes at
     * most once per period: 0.7-1.4x in the same test.
     * Draining is not cut short by the budget (it is bounded by what is queued); compaction is.
     * @return work done (remote frees applied, compaction steps, arenas orphaned or closed): 0 when idle,
     * as an Agrona duty cycle expects.
     */
    public int maintain(final long budgetNanos)
    {
        return maintain(budgetNanos, false);
    }

    /**
     * As {@link #maintain(long)}; {@code dutyCycle} (from {@link MaintainingIdleStrategy}, which may run on
     * every thread's every idle cycle, and from {@link MaintenanceAgent}, whose runner may call it in a busy loop)
     * limits stripe maintenance to once per {@code maintenancePeriodNanos}, so maintaining threads do not contend
     * for stripe locks with allocating ones.
     */
    int maintain(final long budgetNanos, final boolean dutyCycle)
    {
        checkOpen();
        if (budgetNanos < 0)
        {
            throw new IllegalArgumentException("budgetNanos=" + budgetNanos + ", expected >= 0");
        }
        final long start = System.nanoTime();
        final long deadline = start + budgetNanos;
        int work = registry.scanIfDue(start);
        final ThreadContext c = existingContext();
        if (c != null && c.cache != null && !c.cache.isEmpty() && c.cache.isIdleSinceLastLook())
        {
            work += sendCachedHome(c); // nothing parked or reused since the last maintain: give the blocks back
        }
        if (c != null && c.arena != null)
        {
            final ManagedArena m = c.arena;
            work += m.drainIfWork();
            work += compactWithin(m, deadline);
        }
        if (registry.orphanCount() != 0)
        {
            work += registry.reclaim(deadline);
        }
        final ManagedArena[] s = stripes;
        if (s != null && (!dutyCycle || start - stripeSchedule.nextNanos >= 0))
        {
            stripeSchedule.nextNanos = start + config.maintenancePeriodNanos();
            work += maintainStripes(s, deadline);
        }
        return work;
    }

    private int maintainStripes(final ManagedArena[] s, final long deadline)
    {
        int work = 0;
        final int first = (int)stripeSchedule.cursor++;
        for (int i = 0; i < s.length; i++)
        {
            final ManagedArena m = s[(first + i) & (s.length - 1)];
            if (m.tryLock())
            {
                try
                {
                    work += m.drainIfWork();
                    work += compactWithin(m, deadline);
                }
                finally
                {
                    m.unlockRelease();
                }
            }
        }
        return work;
    }

    /**
     * Whoever holds {@code m}: first, if its arena allocated nothing since the last maintenance of it, its free
     * cache goes back to the slabs ({@link OffHeapArena#flushFreeCache}), so that an idle arena's empty slabs
     * and chunks can be released; a busy arena keeps its cache. Then compaction steps until {@code deadline} or
     * nothing is left to gain. Each step has the arena's time budget ({@code compactStepNanos}) and a byte
     * budget of at least {@code compactStepBytes}, raised to what the remaining time can copy at a
     * conservative {@value #IDLE_COPY_BYTES_PER_NANO} bytes/ns, so blocks larger than the default step budget
     * still move when the idle time allows it (core skips a block larger than the step's byte budget). Steps
     * that move nothing while a victim is detached or restored (core does those a part at a time) are
     * allowed, up to {@value #MAX_FRUITLESS_STEPS} in a row. Last, the {@link ArenaMaintenanceListener}, if one is
     * set, gets the arena.
     * @return steps that moved something, plus one for a flushed cache.
     */
    int compactWithin(final ManagedArena m, final long deadline)
    {
        final OffHeapArena arena = m.arena;
        int steps = 0;
        final long allocations = arena.allocationCount(); // the holder's plain total: works with the counters off
        if (allocations == m.allocationsAtLastMaintenance && arena.freeCacheBlocks() != 0)
        {
            arena.flushFreeCache();
            steps++;
        }
        m.allocationsAtLastMaintenance = allocations;
        int fruitless = 0;
        while (true)
        {
            final long remaining = deadline - System.nanoTime();
            if (remaining <= 0)
            {
                break;
            }
            final long bytes = Math.max(arenaTemplate.compactStepBytes(), remaining * IDLE_COPY_BYTES_PER_NANO);
            final long moved = arena.compact(Math.min(remaining, arenaTemplate.compactStepNanos()), bytes);
            if (moved > 0)
            {
                steps++;
                fruitless = 0;
            }
            else if (!arena.compactionWorthIt() || ++fruitless >= MAX_FRUITLESS_STEPS)
            {
                break;
            }
        }
        final ArenaMaintenanceListener listener = maintenanceListener;
        if (listener != null)
        {
            try
            {
                listener.onMaintenance(arena, System.nanoTime());
            }
            catch (final RuntimeException ex)
            {
                reportError(ex); // the caller's maintenance, reclaim or limit wait goes on
            }
        }
        return steps;
    }

    /** Compaction steps in a row that may move nothing (detaching or restoring a victim) before maintenance stops. */
    static final int MAX_FRUITLESS_STEPS = 64;

    /**
     * An {@link IdleStrategy} that gives the duty cycle's idle time to {@link #maintain} (on the calling
     * thread, so a PER_THREAD owner maintains its own arena) before backing off through {@code delegate}.
     */
    public IdleStrategy idleStrategy(final IdleStrategy delegate)
    {
        return new MaintainingIdleStrategy(this, delegate, config.maintenanceBudgetNanos());
    }

    /** An Agrona {@link Agent} whose duty cycle is {@link #maintain}, for an {@link AgentRunner} or composite. */
    public MaintenanceAgent maintenanceAgent()
    {
        return new MaintenanceAgent(this, config.maintenanceBudgetNanos());
    }

    // =========================================================================================
    // introspection
    // =========================================================================================

    /** @return the arena holding this address or handle (O(1), any thread), or null when none of ours does. */
    public OffHeapArena arenaOf(final long addressOrHandle)
    {
        final ManagedArena m = lookup(addressOrHandle);
        return m == null ? null : m.arena;
    }

    public AllocatorConfig config()
    {
        return config;
    }

    public Policy policy()
    {
        return policy;
    }

    public AllocatorCounters counters()
    {
        return counters;
    }

    /** Bytes all arenas hold from their memory sources now (the figure the global limit bounds). */
    public long committedBytes()
    {
        return budget.committedOpaque();
    }

    /** The most bytes all arenas together have held from their memory sources at any moment. */
    public long committedHighWater()
    {
        return budget.highWaterOpaque();
    }

    /**
     * Usable bytes of live blocks over all arenas (racy sum of their counters; 0 when the counters are off,
     * {@code -Darena.counters=off}, see {@link ArenaCounters#ENABLED}), less the blocks threads hold in their
     * {@link ThreadBlockCache}s: those are free to the application, though each arena's own counters (and
     * {@link #arenaOf}{@code (a).liveBytes()}) still count them until they are reused or go home.
     */
    public long liveBytes()
    {
        long live = -registry.cachedBytesRelaxed();
        for (int id = 0; id < arenas.length(); id++)
        {
            final ManagedArena m = arenas.get(id);
            if (m != null)
            {
                live += m.arena.counters().getOpaque(ArenaCounters.LIVE_BYTES);
            }
        }
        return live;
    }

    /** @return the open arenas (thread, orphan and stripe arenas). */
    public int arenaCount()
    {
        int n = 0;
        for (int id = 0; id < arenas.length(); id++)
        {
            n += arenas.get(id) != null ? 1 : 0;
        }
        return n;
    }

    /**
     * A snapshot list of the open arenas, for statistics: their {@code counters()} may be read from any
     * thread; nothing else of theirs may be called.
     */
    public List<OffHeapArena> arenas()
    {
        final List<OffHeapArena> list = new ArrayList<>();
        for (int id = 0; id < arenas.length(); id++)
        {
            final ManagedArena m = arenas.get(id);
            if (m != null)
            {
                list.add(m.arena);
            }
        }
        return list;
    }

    /**
     * Any thread, allocates nothing: the open arena of this allocator with id {@code arenaId}, or null (no such
     * arena, or it belongs to no arena of this allocator). For statistics: only its {@code counters()} may be
     * read from another thread.
     *
     * @param arenaId 0 .. {@link ArenaConfig#MAX_ARENA_ID}.
     */
    public OffHeapArena arenaById(final int arenaId)
    {
        if (arenaId < 0 || arenaId > ArenaConfig.MAX_ARENA_ID)
        {
            throw new IllegalArgumentException("arenaId=" + arenaId + ", expected 0.." + ArenaConfig.MAX_ARENA_ID);
        }
        final ManagedArena m = arenas.get(arenaId);
        return m == null ? null : m.arena;
    }

    /** @return this allocator's name, "arena-allocator-&lt;n&gt;" (n counts the allocators made in this JVM). */
    public String name()
    {
        return name;
    }

    /**
     * Sets the listener that each arena's holder calls at the end of that arena's maintenance (see
     * {@link ArenaMaintenanceListener}); null removes it. One listener per allocator: a later call replaces it.
     */
    public void setMaintenanceListener(final ArenaMaintenanceListener listener)
    {
        maintenanceListener = listener;
    }

    /** @return the latest remote free the owner rejected, or null. */
    public Throwable lastRemoteFreeError()
    {
        return lastRemoteFreeError;
    }

    public boolean isClosed()
    {
        return closed;
    }

    /**
     * {@link #maintain(long, boolean)} for the duty cycles ({@link MaintenanceAgent}, {@link MaintainingIdleStrategy}),
     * which must not throw because of a close, also one that lands during the call.
     * @return the work done, or -1 when the allocator is closed (before or during the call).
     */
    int maintainUnlessClosed(final long budgetNanos)
    {
        if (closed)
        {
            return -1;
        }
        try
        {
            return maintain(budgetNanos, true); // stripes at most once per period
        }
        catch (final IllegalStateException ex)
        {
            if (closed)
            {
                return -1; // closed while we ran
            }
            throw ex;
        }
    }

    /** The background agent, on its own thread: whether close() was called on that thread (it must end the runner). */
    boolean closedOnMaintenanceThread()
    {
        return closedOnMaintenanceThread;
    }

    /**
     * Stops the background thread and closes every arena (their memory goes back to its sources; arenas
     * with live blocks log a warning). Idempotent. Must happen-after every other call on this allocator.
     * Called on the background maintenance thread itself (from a listener), it does not wait for that thread's end;
     * the thread ends at its next duty cycle. Threads that used the allocator keep a {@code ThreadLocal} entry until
     * they end, but it is detached from the allocator, so the closed allocator itself can be garbage collected.
     */
    public void close()
    {
        synchronized (stripesLock)
        {
            if (closed)
            {
                return;
            }
            closed = true;
        }
        if (backgroundRunner != null && backgroundRunner.thread() != Thread.currentThread())
        {
            backgroundRunner.close();
        }
        else if (backgroundRunner != null)
        {
            // called by the maintenance thread itself (from a listener): it cannot wait for its own end; its agent
            // sees this at its next duty cycle and ends the runner (MaintenanceAgent)
            closedOnMaintenanceThread = true;
        }
        registry.returnCachedBlocksAtClose(closeHome); // so that each arena's live count is its users' blocks only
        for (int id = 0; id < arenas.length(); id++)
        {
            final ManagedArena m = arenas.get(id);
            if (m != null)
            {
                closeArena(m);
            }
        }
        registry.closeAll();
        contexts.remove();
    }

    public String toString()
    {
        return "ArenaAllocator{name=" + name + ", policy=" + policy + ", arenas=" + arenaCount() + ", committed=" +
            committedBytes() + ", closed=" + closed + '}';
    }

    // =========================================================================================
    // internals shared with the other classes of this package
    // =========================================================================================

    AddressMap addressMap()
    {
        return addressMap;
    }

    ThreadRegistry registry()
    {
        return registry;
    }

    /** Racy sum of the hot-path counters kept by threads and arenas (see {@link AllocatorCounters}). */
    long liveCounterSum(final int id)
    {
        if (id == AllocatorCounters.SINGLE_FREES || id == AllocatorCounters.STRIPE_REHASHES)
        {
            long sum = 0;
            for (int i = 0; i < arenas.length(); i++)
            {
                final ManagedArena m = arenas.get(i);
                if (m != null)
                {
                    sum += id == AllocatorCounters.SINGLE_FREES ? m.singleFreesReceived : m.rehashesHere;
                }
            }
            return sum;
        }
        long sum = registry.liveOutboxSum(id);
        final ManagedArena[] s = stripes;
        if (s != null)
        {
            for (final ManagedArena m : s)
            {
                sum += m.outbox.counterRacy(id); // 0 for ids that are not the outboxes'
            }
        }
        return sum;
    }

    /** The managed arena of an address or handle, or null (tests, diagnostics). */
    ManagedArena managedArenaOf(final long addressOrHandle)
    {
        return lookup(addressOrHandle);
    }

    /** The stripes, made if needed. */
    ManagedArena[] stripesForTest()
    {
        return stripes();
    }

    /** The context table's primary context (its first hot field), or null. */
    ThreadContext primaryForTest()
    {
        return primaryPlain();
    }

    /** @return true when {@code c} is in the context table's hot set. */
    boolean isHotForTest(final ThreadContext c)
    {
        return isHot(c);
    }

    /** The calling thread's context as the owner's fast path finds it (the table), or null. */
    ThreadContext tableContextForTest()
    {
        return tableContext();
    }

    /** The calling thread's own arena under PER_THREAD, or null. */
    ManagedArena ownArenaForTest()
    {
        final ThreadContext c = existingContext();
        return c == null ? null : c.arena;
    }

    /**
     * The parked blocks of {@code c}'s {@link ThreadBlockCache} go home: by the thread itself (idle maintenance) or by
     * the liveness scan after it ended. @return blocks sent.
     */
    int sendCachedHome(final ThreadContext c)
    {
        return c.cache.sendHome(c, cacheHome);
    }

    /**
     * {@link ThreadBlockCache.Home} for a living thread and for the liveness scan: a block of the calling thread's own
     * arena is freed there ({@code freeMarked}: it still carries its mark), any other goes to its owner's inbox
     * through {@code c}'s outbox, flagged {@link RemoteFreeInbox#MARKED} (the scan, which runs after the thread
     * ended, sends all of them that way: its arena will be an orphan's, drained by whoever takes it).
     */
    private void sendHome(final ThreadContext c, final ManagedArena known, final long address)
    {
        final ManagedArena m = known != null ? known : parkedBlockArena(address);
        if (m == c.arena && c.thread == Thread.currentThread())
        {
            c.ownArena.freeMarked(address);
            return;
        }
        c.outbox.free(m, address | RemoteFreeInbox.MARKED);
    }

    /** {@link ThreadBlockCache.Home} at allocator close, which happens-after every other call: free in place. */
    private void freeAtClose(final ThreadContext c, final ManagedArena known, final long address)
    {
        (known != null ? known : parkedBlockArena(address)).arena.freeMarked(address);
    }

    private ManagedArena parkedBlockArena(final long address)
    {
        final AddressMap.Descriptor d = addressMap.find(address);
        if (d == null)
        {
            throw new IllegalStateException("a cached block at address=0x" + Long.toHexString(address) +
                " has no chunk, expected its arena's chunk (a cached block outlived its arena)");
        }
        return d.arena;
    }

    /** Closes an arena held exclusively (reclaimer) or at allocator close. */
    void closeArena(final ManagedArena m)
    {
        counters.add(AllocatorCounters.SINGLE_FREES, m.singleFreesReceived);
        counters.add(AllocatorCounters.STRIPE_REHASHES, m.rehashesHere);
        m.stateRelease(ManagedArena.CLOSED);
        m.arena.close();
        arenas.compareAndSet(m.id, m, null);
        counters.increment(AllocatorCounters.ARENAS_CLOSED);
    }

    /**
     * The owner rejected a remote free: count, remember, report. The holder's thread; never throws. A holder of a
     * lock (a stripe, an orphan being reclaimed) reports once it has given the lock back
     * ({@link ManagedArena#reportsErrorsAfterRelease}): a handler that calls the allocator (an allocation, say) may
     * need that very lock, which is not reentrant.
     */
    void remoteFreeFailed(final ManagedArena m, final long value, final RuntimeException cause)
    {
        counters.increment(AllocatorCounters.REMOTE_FREE_ERRORS);
        final InvalidRemoteFreeException ex = new InvalidRemoteFreeException(value, m.id, cause);
        lastRemoteFreeError = ex;
        if (m.reportsErrorsAfterRelease())
        {
            m.deferErrorWhileHeld(ex);
        }
        else
        {
            reportError(ex);
        }
    }

    /** Errors a lock holder kept: reported after it gave the lock back. Never throws a RuntimeException. */
    void reportRemoteFreeErrors(final List<InvalidRemoteFreeException> errors)
    {
        for (int i = 0; i < errors.size(); i++)
        {
            reportError(errors.get(i));
        }
    }

    /**
     * To the configured error handler: what a user callback threw (maintenance or chunk listener), a rejected remote
     * free. Never throws a RuntimeException: a handler that throws one is ignored.
     */
    void reportError(final Throwable ex)
    {
        try
        {
            errorHandler.onError(ex);
        }
        catch (final RuntimeException ignore)
        {
            // an error handler must not break the drain of the other frees
        }
    }

    private void checkOpen()
    {
        if (closed)
        {
            throw new IllegalStateException(name + " is closed, expected an open ArenaAllocator");
        }
    }

    /**
     * The owner's fast path, step 1: the caller's context when it is in the {@link ThreadContextTable} (a
     * registered platform thread under PER_THREAD, allocator open), else null: then {@link #context()} decides.
     * No policy check: under STRIPED no thread registers ({@link #context()}), so the table stays empty.
     */
    private ThreadContext tableContext()
    {
        return findPlain(Thread.currentThread());
    }

    /**
     * The owner, before an allocation from its own arena {@code own}: every {@code drainInterval} allocations, drain
     * if work waits. Two loads and a compare (the arena's running allocation count, kept by the arena anyway, against
     * the context's mark): no store on the fast path, and nothing at all on a free, which cannot use drained memory.
     */
    private void beforeOwnerAllocate(final ThreadContext c, final OffHeapArena own)
    {
        if (own.allocationCount() >= c.nextDrainAt)
        {
            drainOwn(c, own);
        }
    }

    /** drainInterval reuses from the thread cache since the last look: drain if work waits (out of line). */
    private void drainForCache(final ThreadContext c, final ThreadBlockCache tc)
    {
        c.nextCacheDrainAt = tc.reused + drainInterval;
        c.arena.drainIfWorkParking(tc);
    }

    /**
     * The owner's mark was reached: set the next one, drain if work waits (out of line: once per drainInterval). As
     * in {@link #drainForCache}, the remote frees of small blocks go into the thread's cache where it has room, for
     * the allocations that follow ({@link ThreadBlockCache} step 5).
     */
    private void drainOwn(final ThreadContext c, final OffHeapArena own)
    {
        c.nextDrainAt = own.allocationCount() + drainInterval;
        c.arena.drainIfWorkParking(c.cache);
    }

    /** The caller's context, registering the thread on first use; null for STRIPED and virtual threads. */
    private ThreadContext context()
    {
        if (policy == Policy.STRIPED)
        {
            return null; // first: no thread registers under STRIPED, so the table lookup would find nothing
        }
        final ThreadContext registered = tableContext(); // a registered PER_THREAD thread: no ThreadLocal lookup
        if (registered != null)
        {
            return registered;
        }
        final Thread t = Thread.currentThread();
        if (Threads.isVirtual(t))
        {
            return null;
        }
        final ThreadContext c = contexts.get();
        return c != null ? c : register(t);
    }

    private ThreadContext existingContext()
    {
        if (policy == Policy.STRIPED)
        {
            return null;
        }
        final ThreadContext registered = tableContext();
        if (registered != null)
        {
            return registered;
        }
        if (Threads.isVirtual(Thread.currentThread()))
        {
            return null;
        }
        return contexts.get();
    }

    private ThreadContext register(final Thread t)
    {
        final ThreadContext c = registry.register(t, config.remoteFreeBatchSize(), debug, config.threadCacheBytes());
        contexts.set(c);
        claim(c);
        return c;
    }

    /** A thread's first allocation: adopt an orphan, or make an arena, or (at the limit) use the stripes. */
    private ManagedArena attachArena(final ThreadContext c)
    {
        registry.scanIfDue(System.nanoTime());
        ManagedArena m = registry.adoptOrphan(c);
        if (m == null)
        {
            if (!registry.reserveOwnedArena())
            {
                c.useStripes = true;
                return null;
            }
            try
            {
                m = newArena(ManagedArena.KIND_THREAD);
            }
            catch (final RuntimeException | Error ex)
            {
                registry.unreserveOwnedArena();
                throw ex;
            }
            m.owner = c;
        }
        c.attach(m);
        return m;
    }

    private ManagedArena newArena(final int kind)
    {
        final MemorySource configured = arenaTemplate.memorySource();
        for (int tries = 0; tries <= ArenaConfig.MAX_ARENA_ID; tries++)
        {
            final int id = NEXT_ARENA_ID.getAndIncrement() & ArenaConfig.MAX_ARENA_ID;
            if (OffHeapArena.byId(id) != null)
            {
                continue;
            }
            final MemorySource source = new BudgetedMemorySource(
                configured != null ? configured : new NativeMemorySource(), budget, id);
            final ArenaConfig arenaConfig = arenaTemplate.toBuilder().arenaId(id).memorySource(source).build();
            final ManagedArena m;
            try
            {
                m = new ManagedArena(this, kind, arenaConfig, config.inboxCapacity(), config.ringCapacity());
            }
            catch (final IllegalStateException ex)
            {
                if (OffHeapArena.byId(id) != null)
                {
                    continue; // another allocator took the id between our check and the registration
                }
                throw ex;
            }
            arenas.set(m.id, m);
            counters.increment(AllocatorCounters.ARENAS_CREATED);
            return m;
        }
        throw new IllegalStateException("no free arena id: " + (ArenaConfig.MAX_ARENA_ID + 1) + " arenas are open");
    }

    private ManagedArena[] stripes()
    {
        ManagedArena[] s = stripes;
        if (s == null)
        {
            synchronized (stripesLock)
            {
                s = stripes;
                if (s == null)
                {
                    checkOpen();
                    s = new ManagedArena[stripeCount];
                    for (int i = 0; i < s.length; i++)
                    {
                        s[i] = newArena(ManagedArena.KIND_STRIPE);
                    }
                    stripes = s;
                }
            }
        }
        return s;
    }

    /**
     * The caller's stripe, locked: its probe's stripe; on contention a re-hash (LongAdder's move to a random cell),
     * then every other stripe once from there, so that a caller never waits for a busy stripe while another is free;
     * the stripe it gets is remembered in its probe. Only when every stripe is busy does it wait, for a random one.
     */
    private ManagedArena lockStripe()
    {
        final ManagedArena[] s = stripes();
        final int mask = s.length - 1;
        final int probe = Threads.probe();
        final ManagedArena first = s[probe & mask];
        if (first.tryLock())
        {
            return first; // the common case: no re-hash to count
        }
        final int moved = Threads.advanceProbe(probe);
        for (int i = 0; i < s.length; i++)
        {
            final int index = (moved + i) & mask;
            final ManagedArena m = s[index];
            if (m != first && m.tryLock())
            {
                m.rehashesHere += i + 1;
                if (i != 0)
                {
                    final int next = (moved & ~mask) | index; // start there next time (a probe is never 0)
                    Threads.storeProbe(next != 0 ? next : mask + 1);
                }
                return m;
            }
        }
        final ManagedArena m = s[Threads.advanceProbe(moved) & mask];
        m.lock();
        m.rehashesHere += s.length;
        return m;
    }

    private ManagedArena lookup(final long addressOrHandle)
    {
        if (addressOrHandle < 0)
        {
            return arenas.get(HandleTable.arenaIdOf(addressOrHandle));
        }
        final AddressMap.Descriptor d = addressMap.find(addressOrHandle);
        return d == null ? null : d.arena;
    }

    private ManagedArena arenaFor(final long addressOrHandle, final String operation)
    {
        final ManagedArena m = lookup(addressOrHandle);
        if (m != null)
        {
            return m;
        }
        if (addressOrHandle < 0)
        {
            throw new StaleHandleException(operation + ": handle=0x" + Long.toHexString(addressOrHandle) + " names arena " +
                HandleTable.arenaIdOf(addressOrHandle) + ", which is not an open arena of " + name +
                " (a foreign handle, or one whose arena was closed after all its blocks were freed)");
        }
        if (addressOrHandle == 0)
        {
            throw new InvalidBlockException(operation + ": address=0 (null), expected a block address or a handle");
        }
        throw new InvalidBlockException(operation + ": address=0x" + Long.toHexString(addressOrHandle) +
            " was not allocated by " + name + " (no chunk of its arenas contains it)");
    }
}

/** Padding before {@link StripeScheduleFields}. */
abstract class StripeSchedulePad0
{
    long p01, p02, p03, p04, p05, p06, p07, p08, p09, p0a, p0b, p0c, p0d, p0e, p0f, p10;
}

/**
 * What {@link ArenaAllocator#maintain} writes when stripes exist, kept off the allocator object: the allocator's
 * first cache line holds the context table's hot fields ({@link ThreadContextTable}), which every PER_THREAD call
 * reads, and these two fields sat on that line (offsets 24 and 40, next to {@code hot0} at 16, on a JDK 17 build of
 * 2adc23e), so a thread that called {@code maintain()} in a loop while stripes existed (STRIPED, or virtual threads)
 * took that line away from every allocating thread on every call. {@code PaddedLayoutTest} checks the padding.
 */
abstract class StripeScheduleFields extends StripeSchedulePad0
{
    /** {@code System.nanoTime()} from which an idle call maintains the stripes again. */
    volatile long nextNanos;
    /**
     * Racy round-robin start of stripe maintenance: benign (any start is correct). A long: the JVM puts an int of
     * a subclass into the 4-byte hole after the object header, on the object's first line (PaddedLayoutTest).
     */
    long cursor;
}

/** Padding after {@link StripeScheduleFields}: a garbage collection may place another hot object right behind. */
final class StripeSchedule extends StripeScheduleFields
{
    long p11, p12, p13, p14, p15, p16, p17, p18, p19, p1a, p1b, p1c, p1d, p1e, p1f, p20;
}
