package io.arenaalloc.threads;

import io.arenaalloc.core.ArenaCounters;
import io.arenaalloc.core.InvalidBlockException;
import io.arenaalloc.core.OffHeapArena;
import org.jctools.queues.MpscArrayQueue;

import java.lang.invoke.MethodHandles;
import java.lang.invoke.VarHandle;
import java.util.Arrays;

/**
 * The inbox of one arena: where frees by threads that may not touch the arena (remote frees) wait for
 * the arena's owner. This class Javadoc is the <b>remote-free protocol</b>.
 *
 * <h2>Vocabulary</h2>
 * <ul>
 *   <li><b>owner</b> of an arena: the one thread allowed to call it at a given moment. For a per-thread
 *   arena ({@link ManagedArena#KIND_THREAD}) it is the thread that owns it, or, after that thread ended,
 *   the reclaimer or adopter that claimed it; for a stripe ({@link ManagedArena#KIND_STRIPE}) it is whichever
 *   thread holds the stripe's lock.</li>
 *   <li><b>freer</b>: a thread freeing a block whose arena it does not own.</li>
 *   <li><b>batch</b> ({@link RemoteFreeBatch}): {@code batchSize} slots of one freer for one destination
 *   arena, <i>published before it is filled</i>.</li>
 *   <li><b>outbox</b> ({@link RemoteFreeOutbox}): a freer's table of open batches, one per destination. A platform
 *   thread with a context has one; so has every stripe, for the threads that have none (STRIPED, virtual threads),
 *   used by whichever thread holds the stripe's lock.</li>
 *   <li><b>batch queue</b>: a JCTools {@link MpscArrayQueue} of batches, {@code inboxCapacity} long.</li>
 *   <li><b>overflow stack</b>: an intrusive Treiber stack of batches (linked through the batch itself,
 *   so pushing allocates nothing); takes what the full batch queue refuses.</li>
 *   <li><b>ring</b> ({@link MpscLongRing}): single frees from threads without a context whose block is not a small
 *   fixed one (a medium or huge block, a handle) or whose stripe's outbox has every batch in flight, and from
 *   threads with a context freeing into a busy stripe; {@code ringCapacity} longs.</li>
 *   <li><b>open list</b>: batches the owner has taken from the queue or the stack but not finished
 *   reading; owner-private, linked through {@link RemoteFreeBatch#consumerNext}.</li>
 *   <li><b>drain</b>: the owner moving everything visible into its arena with {@link OffHeapArena#free}, or, on
 *   a per-thread owner's allocation path, the small fixed blocks into the owner's {@link ThreadBlockCache}.</li>
 * </ul>
 *
 * <h2>Layout</h2>
 * <pre>
 *   freer A (outbox)           stripe S's outbox (its lock holder: any thread without a context)   medium, handles
 *     open[id &amp; 63] ---.          |                                                                  |
 *                       v          v                                                                  v
 *   inbox of arena id: [batch queue: b1 b2 ...] [overflow stack: b9 -&gt; b7] [ring: a a h a ...]
 *                          \________________ owner drains _________________/
 *                                              v
 *                   open list (owner-private): b1(read 17/64) -&gt; b7(read 3/64) -&gt; ...
 *                   deferred (owner-private):  handles that were pinned when their free arrived
 * </pre>
 *
 * <h2>Slot value (one long per remote free) and the batch's published word</h2>
 * <pre>
 *   address (&gt; 0, 16-aligned) free of a fixed block
 *   address | MARKED (bit 0)      a small fixed block that already carries its free mark: one a
 *                                 {@link ThreadBlockCache} gives back, or one a thread without a context freed
 *                                 through its stripe's outbox; applied with {@code OffHeapArena.freeMarked}
 *   handle  (&lt; 0, bit 63 set) free of a movable block (see io.arenaalloc.core.HandleTable)
 *
 *   published word (int, one per batch, on its own cache line):  | SEALED (bit 31) | count (bits 30..0) |
 *   count = slots written and visible; SEALED = the freer abandoned the batch after count slots
 * </pre>
 *
 * <h2>Algorithm</h2>
 * <ol>
 *   <li><b>Find the owner</b>, O(1): a handle names its arena in bits 62..48, looked up in the allocator's
 *   arena table; an address is looked up in the {@link AddressMap} (three dependent loads, two range
 *   checks). Nothing found: {@link InvalidBlockException} at once, on the freer.</li>
 *   <li><b>Choose the path.</b> First, a platform thread that owns an arena keeps a small fixed block of any
 *   per-thread arena in its {@link ThreadBlockCache} when the class has room: no remote free at all (the block goes
 *   home later, through step 3, if the thread does not reuse it). Otherwise: the caller owns the arena: a plain
 *   {@link OffHeapArena#free}. <b>Any other free of a small fixed block of an arena that keeps free marks</b> (every
 *   stripe; per-thread arenas while thread caches are on): the block's start is checked on the chunk's slab map, its
 *   mark is checked (present: a double free, {@link io.arenaalloc.core.InvalidBlockException} at once, nothing
 *   changed) and written, so that the block, free from now on, never looks live to a thread cache while its free
 *   is on its way (a second free of it into a cache would park it and hand it out twice). Then, for <b>a thread
 *   without a context</b> (every thread under STRIPED, a virtual thread), the caller takes its own stripe's lock
 *   (counted as a call on that stripe, see the bound below): the block is in that stripe: {@code freeMarked} at
 *   once; else step 3 through the stripe's outbox with the value flagged MARKED; the outbox's fixed pool all in
 *   flight: step 4 with the MARKED value, after giving the stripe's lock back. For a thread with a context (no arena
 *   of its own, or a cache that could not take the block): the MARKED value through the paths below. An address in
 *   a slab of small blocks that is not the start of a live one (an address inside a block): {@code
 *   InvalidBlockException} at once, whoever frees it. Any other free into a stripe: try its lock; won, free
 *   directly (errors surface at once); lost, go to step 4. Otherwise (a per-thread arena of another thread, living
 *   or ended): step 3 if the caller has an outbox, else step 4.</li>
 *   <li><b>Batch</b> (a platform thread's outbox): take the open batch for the destination,
 *   {@code open[arenaId & 63]}. If there is none, or it is for another arena (then seal it: release-store
 *   its published word with SEALED set), take an idle batch from the thread's pool and <b>publish it now</b>,
 *   empty: {@code queue.offer} (one CAS), or, when the queue is full, a CAS push on the overflow stack. Then
 *   write the value into slot {@code count} (plain store) and release-store published = count + 1: no atomic
 *   read-modify-write, one per {@code batchSize} frees for the publication. A batch whose last slot is written
 *   leaves the table.</li>
 *   <li><b>Single free</b> (no outbox, a busy stripe, a stripe outbox with every batch in flight):
 *   {@code ring.offer(value)}, one CAS. Ring full: for a stripe, take its lock (waiting, holding no other lock) and
 *   free directly; for a per-thread arena, wrap the value in a new, full batch of one and push it on the overflow
 *   stack (the only path that allocates; counted).</li>
 *   <li><b>Drain</b> (owner): move the queue and the overflow stack into the open list; poll the ring
 *   until empty; for every open batch acquire-load its published word and free the values of the slots from
 *   its read index up to the word's count (plain loads, ordered by the acquire); the rest are read at a later
 *   drain. When the word is SEALED or its count is the capacity, the batch is finished: release-store its
 *   state IDLE (the freer may now reuse it; the owner writes no slot, stale values stay hidden behind the
 *   next use's count), unlink it. Then retry the deferred handles.</li>
 *   <li><b>Apply</b> a value: {@link OffHeapArena#free}, or {@code freeMarked} for a MARKED value. A drain
 *   that a per-thread owner makes before an allocation ({@code ArenaAllocator}'s drain every {@code drainInterval}
 *   allocations or reuses) first offers a positive value to the owner's {@link ThreadBlockCache}
 *   ({@link ThreadBlockCache#parkRemoteFree}): a small fixed block of the arena whose class has room is parked there,
 *   checked and marked as a local free would be, and served to the owner's next allocation of its class without
 *   entering the arena; counted as applied. A handle that is pinned goes to the deferred list
 *   and is retried at every drain until it is unpinned. Any other rejection (double free, stale handle)
 *   is counted and reported to the allocator's {@code ErrorHandler}: it cannot be thrown to the freer,
 *   which has moved on. A drain under a lock (a stripe's; an orphan's RECLAIMING) keeps the errors and reports
 *   them once the lock is given back ({@code ManagedArena.unlockRelease}), so that a handler may call the
 *   allocator again without waiting for a lock its own thread holds. A freer that frees the same value twice
 *   into its open batch is told at once in debug mode ({@code ArenaConfig.debug}); a remote free of a handle
 *   pinned at that moment is refused at once.</li>
 *   <li><b>When the owner drains</b>: before every {@code drainInterval}-th call it makes on its own arena
 *   (allocate, free, reallocate, ...; only when {@link #hasWorkRelaxed()}), in every
 *   {@link ArenaAllocator#maintain}, when an allocation meets the limit, and, for stripes, in the stripe
 *   maintenance of the background thread or any {@code maintain} call.</li>
 *   <li><b>Full inbox never loses a free</b>: the batch queue overflows into the unbounded overflow stack,
 *   the ring into a direct locked free (stripes) or a one-value batch on the overflow stack (per-thread
 *   arenas). No path waits for a living owner.</li>
 *   <li><b>Owner ended</b>: the liveness scan ({@link ThreadRegistry}) sees {@code Thread.isAlive()} false,
 *   marks the arena ORPHANED; frees keep arriving in its inbox unchanged; a reclaimer claims the arena
 *   (CAS ORPHANED to RECLAIMING) and drains it, or a new thread adopts it (CAS ORPHANED to OWNED) and drains
 *   it as its own. A <i>freer</i> that ended has its open batches sealed by the same scan (its writes
 *   happen-before the scan's {@code isAlive()} returning false), so owners can finish them.</li>
 * </ol>
 *
 * <h2>Why threads without a context free through their own stripe's outbox</h2>
 * Before, such a thread freed a small block of another stripe under that stripe's lock, or through its ring when
 * the lock was busy: one CAS on a line the stripe's users write all the time, per free. In {@code larson} (two
 * threads, each on its own stripe, freeing each other's blocks) the lock was busy most of the time and the ring
 * one CAS per free. Measured in one JVM with a throw-away switch between the two paths ({@code tools/larson-interleave}
 * and {@code tools/handoff-interleave}, subject {@code arena-striped}, 2026-12-05; docs/larson.md section 12):
 * larson 2.2-2.6x the old path's throughput (4.0x without the free mark, whose load of a line another core wrote is
 * the price of catching the double free at once); handoff 0.83-1.02x in its slowest placement, where the freer
 * used to do half of the arena work under the producer's lock and now the producer applies every free.
 *
 * <h2>Why every queued small free is checked and marked on the freer</h2>
 * A thread with a context but no thread cache (no arena of its own, like {@code handoff}'s consumer) used to queue a
 * small block unmarked: it never read the block. Until the owner applied that free, the block looked live to every
 * thread cache, so a second free of it on a thread with a cache parked it and handed it out while the first free was
 * on its way; the owner then freed a live block (an audit found it: {@code PerThreadAuditTest}). Now such a freer
 * checks and writes the mark as a cache does, and a double free throws at once on any thread. Its price is the
 * freer's load of a line the producer wrote last, measured on {@code handoff} in one JVM against a throw-away build
 * that queued unmarked ({@code tools/handoff-interleave}, 1 s phases, 14 cycles, JDK 17, 2026-12-05): marked ÷
 * unmarked 0.974 (0.944-1.015), 0.754, 0.912 (0.872-0.952), 0.827 (0.805-0.902), 0.884 and 0.742 in six JVMs (the
 * slowest and middle placements), the arena still 1.21-2.56x jemalloc in them. Skipping the owner's own mark load
 * for such values did not win it back (0.86x).
 *
 * <h2>Bound on how long a freed byte stays unusable</h2>
 * There is no delay on the freer's side: a batch is published when it is opened, so every value is
 * visible to the owner as soon as its release store is (no "flush when full"). A remote free is applied
 * (its bytes reusable by that arena) at the owner's next drain, i.e. within the first of:
 * <ul>
 *   <li>{@code drainInterval} (default 64) allocations by the owning thread from its own arena, or as many served
 *   from its {@link ThreadBlockCache} (its frees do not drain: they cannot use the memory a drain gives back);</li>
 *   <li>the owner's next {@link ArenaAllocator#maintain} or idle cycle through {@link MaintainingIdleStrategy};</li>
 *   <li>stripes: the next {@code drainInterval}-th lock acquisition of the stripe (any call under its lock,
 *   its holder's frees of other arenas' blocks through its outbox included), or one
 *   {@code maintenancePeriodNanos} (default 10 ms) of the background maintenance thread;</li>
 *   <li>ended owner: {@code livenessScanNanos + maintenancePeriodNanos} (default 20 ms) with the
 *   background thread on, else the next {@code maintain} call of any thread.</li>
 * </ul>
 * A living per-thread owner that never calls into the allocator again and runs no maintenance leaves its
 * inbox undrained: single-owner arenas cannot be entered by another thread without a store-load fence
 * on the owner's every operation, which the per-thread policy forbids. Such threads should idle through
 * {@link MaintainingIdleStrategy} or call {@code maintain}. An applied free returns memory to the memory
 * source when its chunk empties beyond {@code spareChunks}, or for movable blocks when compaction empties
 * the chunk.
 *
 * <h2>Threading</h2>
 * {@link #publish}, {@link #offerSingle}, {@link #pushOverflowSingle}, {@link #hasWorkRelaxed}: any thread.
 * {@link #drain}, {@link #isQuiescent}: the arena's owner only.
 */
final class RemoteFreeInbox
{
    /**
     * Flag of a slot value (bit 0, never set in a block address): a small fixed block that carries its free mark (a
     * thread cache gives it back, or a thread without a context freed it through its stripe's outbox).
     */
    static final long MARKED = 1L;

    private static final VarHandle OVERFLOW_HEAD;

    static
    {
        try
        {
            OVERFLOW_HEAD = MethodHandles.lookup().findVarHandle(OverflowHead.class, "head", RemoteFreeBatch.class);
        }
        catch (final ReflectiveOperationException ex)
        {
            throw new ExceptionInInitializerError(ex);
        }
    }

    /** The overflow stack's head, padded on both sides: every push is a CAS on it. */
    static final class OverflowHead extends OverflowHeadPad
    {
        @SuppressWarnings("unused") // through OVERFLOW_HEAD
        volatile RemoteFreeBatch head;
        long p11, p12, p13, p14, p15, p16, p17, p18, p19, p20, p21, p22, p23, p24, p25, p26;
    }

    abstract static class OverflowHeadPad
    {
        long p01, p02, p03, p04, p05, p06, p07, p08, p09, p10, p0a, p0b, p0c, p0d, p0e, p0f;
    }

    private final ManagedArena owner;
    private final MpscArrayQueue<RemoteFreeBatch> queue;
    private final MpscLongRing ring;
    private final OverflowHead overflow = new OverflowHead();

    // ---- owner-private -----------------------------------------------------------------------
    private RemoteFreeBatch openHead;
    private RemoteFreeBatch openTail;
    private long[] deferred = new long[8];
    private int deferredCount;
    /** Set while a drain runs: an error handler that calls back into the allocator must not nest a drain. */
    private boolean draining;

    RemoteFreeInbox(final ManagedArena owner, final int queueCapacity, final int ringCapacity)
    {
        this.owner = owner;
        this.queue = new MpscArrayQueue<>(queueCapacity);
        this.ring = new MpscLongRing(ringCapacity);
    }

    // =========================================================================================
    // freer side (any thread)
    // =========================================================================================

    /**
     * Step 3: publishes a freshly opened (possibly still empty) batch. Never fails and never waits.
     * @return true when the batch queue took it, false when it went on the overflow stack.
     */
    boolean publish(final RemoteFreeBatch batch)
    {
        if (queue.offer(batch))
        {
            return true;
        }
        pushOverflow(batch);
        return false;
    }

    /** Step 4: one value into the ring. @return false when the ring is full. */
    boolean offerSingle(final long value)
    {
        return ring.offer(value);
    }

    /** Step 4, full ring of a per-thread arena: a sealed batch of one on the overflow stack (allocates). */
    void pushOverflowSingle(final long value)
    {
        final RemoteFreeBatch batch = new RemoteFreeBatch(1);
        batch.openPlain(owner);
        batch.writeRelease(value);
        pushOverflow(batch);
    }

    private void pushOverflow(final RemoteFreeBatch batch)
    {
        RemoteFreeBatch head;
        do
        {
            head = (RemoteFreeBatch)OVERFLOW_HEAD.getVolatile(overflow);
            batch.overflowNext = head;
        }
        while (!OVERFLOW_HEAD.compareAndSet(overflow, head, batch));
    }

    /**
     * Any thread, racy by nature: may answer true when the owner has nothing to do yet (an open batch
     * whose next slot is unwritten) and false for a value published a moment ago. Owner: exact for its
     * private state.
     */
    boolean hasWorkRelaxed()
    {
        return openHead != null || deferredCount != 0 || !queue.isEmpty() || !ring.isEmptyRelaxed() ||
            OVERFLOW_HEAD.getOpaque(overflow) != null;
    }

    // =========================================================================================
    // owner side
    // =========================================================================================

    /**
     * Step 5: applies everything visible now, in the arena. Owner only.
     * @return the number of values taken (applied, deferred or rejected).
     */
    int drain()
    {
        return drain(null);
    }

    /**
     * Step 5, the owner's small fixed blocks parked in {@code park} (the owner's own cache, on its allocation path)
     * where it has room, everything else applied in the arena (step 6). Owner only.
     * @param park the calling owner's cache, or null: all in the arena.
     * @return the number of values taken (applied, parked, deferred or rejected).
     */
    int drain(final ThreadBlockCache park)
    {
        if (draining)
        {
            return 0;
        }
        draining = true;
        try
        {
            return drainOnce(park);
        }
        finally
        {
            draining = false;
        }
    }

    private int drainOnce(final ThreadBlockCache park)
    {
        final OffHeapArena arena = owner.arena;
        int taken = 0;

        RemoteFreeBatch b;
        while ((b = queue.relaxedPoll()) != null)
        {
            appendOpen(b);
        }
        if (OVERFLOW_HEAD.getOpaque(overflow) != null)
        {
            b = (RemoteFreeBatch)OVERFLOW_HEAD.getAndSet(overflow, (RemoteFreeBatch)null);
            while (b != null)
            {
                final RemoteFreeBatch next = b.overflowNext;
                b.overflowNext = null;
                appendOpen(b);
                b = next;
            }
        }

        long value;
        int single = 0;
        int applied = 0;
        while ((value = ring.poll()) != 0)
        {
            applied += apply(arena, value, park);
            single++;
        }
        if (single != 0)
        {
            owner.singleFreesReceived += single;
            taken += single;
        }

        RemoteFreeBatch prev = null;
        b = openHead;
        while (b != null)
        {
            final RemoteFreeBatch next = b.consumerNext;
            final int word = b.publishedAcquire();
            final int count = RemoteFreeBatch.countOf(word);
            int i = b.readIndex;
            while (i < count)
            {
                final long v = b.slotPlain(i);
                b.readIndex = ++i; // before the apply: whatever it throws (an Error from the error handler), a value
                taken++;           // is applied once, never again at the next drain
                applied += apply(arena, v, park);
            }
            if (RemoteFreeBatch.isFinished(word, b.capacity()))
            {
                if (prev == null)
                {
                    openHead = next;
                }
                else
                {
                    prev.consumerNext = next;
                }
                if (openTail == b)
                {
                    openTail = prev;
                }
                b.recycleRelease();
            }
            else
            {
                prev = b;
            }
            b = next;
        }

        if (deferredCount != 0)
        {
            retryDeferred(arena);
        }
        if (taken != 0)
        {
            final ArenaCounters counters = arena.counters();
            counters.addOpaque(ArenaCounters.REMOTE_FREES_QUEUED, taken);
            counters.addOpaque(ArenaCounters.REMOTE_FREES_APPLIED, applied);
        }
        return taken;
    }

    private void appendOpen(final RemoteFreeBatch b)
    {
        b.consumerNext = null;
        if (openTail == null)
        {
            openHead = b;
        }
        else
        {
            openTail.consumerNext = b;
        }
        openTail = b;
    }

    /** Step 6. @return 1 when the value was freed (or parked in {@code park}) now (counted once per drain), else 0. */
    private int apply(final OffHeapArena arena, final long value, final ThreadBlockCache park)
    {
        try
        {
            if (park != null && value > 0 && park.parkRemoteFree(
                value & ~MARKED, (value & MARKED) != 0, owner, owner.allocator.addressMap()))
            {
                return 1;
            }
            if (value > 0 && (value & MARKED) != 0)
            {
                arena.freeMarked(value & ~MARKED);
            }
            else
            {
                arena.free(value);
            }
            return 1;
        }
        catch (final RuntimeException ex)
        {
            if (value < 0 && pinnedQuietly(arena, value))
            {
                defer(value);
            }
            else
            {
                owner.allocator.remoteFreeFailed(owner, value, ex);
            }
            return 0;
        }
    }

    private static boolean pinnedQuietly(final OffHeapArena arena, final long handle)
    {
        try
        {
            return arena.pinned(handle) > 0;
        }
        catch (final RuntimeException ex)
        {
            return false;
        }
    }

    private void defer(final long handle)
    {
        if (deferredCount == deferred.length)
        {
            deferred = Arrays.copyOf(deferred, deferred.length * 2);
        }
        deferred[deferredCount++] = handle;
        owner.allocator.counters().increment(AllocatorCounters.REMOTE_FREES_DEFERRED);
    }

    private void retryDeferred(final OffHeapArena arena)
    {
        final int n = deferredCount;
        final long[] d = deferred;
        int kept = 0;
        for (int i = 0; i < n; i++)
        {
            final long handle = d[i];
            if (pinnedQuietly(arena, handle))
            {
                d[kept++] = handle;
                continue;
            }
            try
            {
                arena.free(handle);
                arena.counters().addOpaque(ArenaCounters.REMOTE_FREES_APPLIED, 1);
            }
            catch (final RuntimeException ex)
            {
                if (pinnedQuietly(arena, handle))
                {
                    d[kept++] = handle; // pinned again between the check and the free
                }
                else
                {
                    owner.allocator.remoteFreeFailed(owner, handle, ex);
                }
            }
        }
        deferredCount = kept;
    }

    /** Owner only: nothing is waiting or half-read (racy for values published concurrently). */
    boolean isQuiescent()
    {
        return openHead == null && deferredCount == 0 && queue.isEmpty() && ring.isEmptyRelaxed() &&
            OVERFLOW_HEAD.getVolatile(overflow) == null;
    }

    int openBatches()
    {
        int n = 0;
        for (RemoteFreeBatch b = openHead; b != null; b = b.consumerNext)
        {
            n++;
        }
        return n;
    }
}
