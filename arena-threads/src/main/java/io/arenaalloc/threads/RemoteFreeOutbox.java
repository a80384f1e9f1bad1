package io.arenaalloc.threads;

import io.arenaalloc.core.InvalidBlockException;

import java.util.Arrays;

/**
 * A freer's side of the remote-free protocol ({@link RemoteFreeInbox}, step 3): one open {@link RemoteFreeBatch} per
 * destination arena, and the pool of batches it has published. The freer is a platform thread (its
 * {@code ThreadContext}'s outbox: the pool grows with the batches in flight, no bound) or a stripe (its
 * {@code ManagedArena}'s outbox, written by whichever thread holds the stripe's lock: the pool is made full at once,
 * {@link #STRIPE_BATCHES} batches, and never grows, see {@link #free}).
 *
 * <h2>Layout</h2>
 * <pre>
 *   open[64]  direct-mapped by destination arena id:  open[id &amp; 63] = batch for arena id, or null
 *             |  0  |  1  | ... | 17: batch(arena 17, 9/64 written) | ... | 63 |
 *   pool[]    every batch this freer made:  IDLE ones are reusable, PUBLISHED ones are with an owner
 *             (a thread's: grows as needed; a stripe's: STRIPE_BATCHES made with it, never more)
 * </pre>
 * Two destinations whose ids are equal modulo 64 share an entry: opening a batch for one seals the
 * other's (its unused slots are wasted, nothing is lost).
 *
 * <h2>Algorithm of {@link #free}</h2>
 * <ol>
 *   <li>b = open[id &amp; 63]. If b is for this destination, go to 4.</li>
 *   <li>If b is for another destination, seal it (release store of its published word with SEALED set).</li>
 *   <li>Take an IDLE batch from the pool (acquire load of its state; the scan resumes where the last one
 *   stopped; a batch whose destination was closed meanwhile is dropped from the pool and from the table), or,
 *   when none is idle, make one (a thread's outbox: the pool grows to the number of batches in
 *   flight, then stays) or give up (a stripe's fixed pool: {@link #free} returns false, nothing changed). Only
 *   then seal the old batch of step 2. Open the new one for the destination and publish it to the destination's
 *   inbox before writing into it.</li>
 *   <li>Write the value (plain store into slot count, release store of published = count + 1). If that
 *   filled the batch, clear the entry.</li>
 * </ol>
 * Cost per remote free in steady state: one table load, one plain and one release store; plus, every
 * {@code batchSize} frees, a pool scan and one CAS (the queue offer).
 *
 * <h2>Threading</h2>
 * A thread's outbox is confined to its thread, except {@link #sealAllAfterDeath}, which the liveness scan calls
 * after the thread ended (the thread's writes happen-before {@code Thread.isAlive()} returning false). A stripe's
 * outbox is used only under the stripe's lock: each holder's acquiring CAS reads the previous holder's release
 * store, so the plain reads of step 4 ({@link RemoteFreeBatch#writeRelease}: "the freer is the only writer") see
 * the last holder's writes (jcstress {@code StripeOutboxHandOver}, negative control
 * {@code BrokenStripeOutboxHandOver}). Stripes never end, so nothing seals their batches but steps 2 and 4.
 */
final class RemoteFreeOutbox
{
    static final int OPEN_SLOTS = 64;
    private static final int OPEN_MASK = OPEN_SLOTS - 1;
    /**
     * The fixed pool of a stripe's outbox. A stripe is shared, so its pool must not grow with a burst (a destination
     * whose holder was descheduled while a freer went on); 16 batches of 64 hold 1024 frees in flight, about 18 KiB of
     * heap per stripe, made with the stripe. When all are in flight the free takes the destination's ring instead.
     */
    static final int STRIPE_BATCHES = 16;

    private final RemoteFreeBatch[] open = new RemoteFreeBatch[OPEN_SLOTS];
    private final int batchSize;
    private final boolean debug;
    /** 0: the pool grows as needed (a thread's outbox); else its fixed size (a stripe's). */
    private final int maxBatches;
    private RemoteFreeBatch[] pool = new RemoteFreeBatch[8];
    private int poolSize;
    private int poolCursor;

    /**
     * Freer-written counters; other threads read them racily for statistics only (plain longs, which
     * 64-bit JVMs never tear; a reader may see a value a little old).
     */
    long batchesPublished;
    long batchesOverflowed;
    long remoteFrees;

    /** A platform thread's outbox: its pool grows with the batches in flight. */
    RemoteFreeOutbox(final int batchSize, final boolean debug)
    {
        this(batchSize, debug, 0);
    }

    /**
     * @param maxBatches 0: the pool grows with the batches in flight (a thread's outbox); else the pool is made with
     * that many batches and never grows (a stripe's outbox): {@link #free} returns false when all are in flight.
     */
    RemoteFreeOutbox(final int batchSize, final boolean debug, final int maxBatches)
    {
        this.batchSize = batchSize;
        this.debug = debug;
        this.maxBatches = maxBatches;
        if (maxBatches > 0)
        {
            pool = new RemoteFreeBatch[maxBatches];
            for (int i = 0; i < maxBatches; i++)
            {
                pool[i] = new RemoteFreeBatch(batchSize); // IDLE
            }
            poolSize = maxBatches;
        }
    }

    /**
     * Queues a remote free of {@code value} (an address or a handle) for {@code destination}.
     * @return true when queued; false only for a fixed pool whose batches are all in flight (nothing changed: the
     * caller frees another way).
     */
    boolean free(final ManagedArena destination, final long value)
    {
        final int slot = destination.id & OPEN_MASK;
        RemoteFreeBatch b = open[slot];
        if (b == null || b.destination != destination)
        {
            b = openBatch(slot, destination, b);
            if (b == null)
            {
                return false;
            }
        }
        else if (debug && b.containsUnappliedPlain(value))
        {
            throw new InvalidBlockException("free: " + describe(value) + " is already queued for a remote free to arena " +
                destination.id + " by this thread (double free)");
        }
        final boolean full = b.writeRelease(value);
        remoteFrees++;
        if (full)
        {
            open[slot] = null;
        }
        return true;
    }

    /** The {@link AllocatorCounters} ids whose figures the outboxes keep ({@link #counterRacy}). */
    static final int[] COUNTER_IDS = {AllocatorCounters.REMOTE_FREES_BATCHED, AllocatorCounters.BATCHES_PUBLISHED,
        AllocatorCounters.BATCHES_OVERFLOWED};

    /** @return this outbox's figure for an {@link AllocatorCounters} id (racy plain reads), 0 for other ids. */
    long counterRacy(final int counterId)
    {
        switch (counterId)
        {
            case AllocatorCounters.REMOTE_FREES_BATCHED:
                return remoteFrees;
            case AllocatorCounters.BATCHES_PUBLISHED:
                return batchesPublished;
            case AllocatorCounters.BATCHES_OVERFLOWED:
                return batchesOverflowed;
            default:
                return 0;
        }
    }

    private static String describe(final long value)
    {
        return (value < 0 ? "handle=0x" : "address=0x") + Long.toHexString(value);
    }

    /** @return the batch opened and published for {@code destination}, or null (a fixed pool, all in flight). */
    private RemoteFreeBatch openBatch(final int slot, final ManagedArena destination, final RemoteFreeBatch old)
    {
        final RemoteFreeBatch b = takeIdle();
        if (b == null)
        {
            return null;
        }
        if (old != null)
        {
            old.sealRelease();
        }
        b.openPlain(destination);
        open[slot] = b;
        batchesPublished++;
        if (!destination.inbox.publish(b))
        {
            batchesOverflowed++;
        }
        return b;
    }

    private RemoteFreeBatch takeIdle()
    {
        final int n = poolSize;
        int i = poolCursor;
        for (int k = 0; k < n; k++, i++)
        {
            if (i >= poolSize)
            {
                i = 0;
            }
            final RemoteFreeBatch b = pool[i];
            if (b.isIdleAcquire())
            {
                poolCursor = i + 1;
                return b;
            }
            if (b.destination.isClosedOpaque())
            {
                // its arena was closed before reading it to the end: it will never come back; forget it, open or not
                // (an arena closes only when no block of it is live, so no correct free will ask for it again; kept
                // open, a batch for an ended thread's closed arena would hold a slot of a stripe's fixed pool for as
                // long as no other destination shares its table entry)
                if (isOpen(b))
                {
                    open[b.destination.id & OPEN_MASK] = null;
                }
                pool[i] = pool[--poolSize];
                pool[poolSize] = null;
                i--;
            }
        }
        if (maxBatches > 0 && poolSize >= maxBatches)
        {
            return null; // a fixed pool: no batch made on a steady path
        }
        final RemoteFreeBatch b = new RemoteFreeBatch(batchSize);
        if (poolSize == pool.length)
        {
            pool = Arrays.copyOf(pool, pool.length * 2);
        }
        pool[poolSize++] = b;
        return b;
    }

    private boolean isOpen(final RemoteFreeBatch b)
    {
        return open[b.destination.id & OPEN_MASK] == b;
    }

    /** After the thread ended (liveness scan): lets every owner finish this thread's open batches. */
    void sealAllAfterDeath()
    {
        for (int i = 0; i < OPEN_SLOTS; i++)
        {
            final RemoteFreeBatch b = open[i];
            if (b != null)
            {
                b.sealRelease();
                open[i] = null;
            }
        }
    }

    /** At allocator close: forgets every batch (and so every arena). */
    void clear()
    {
        java.util.Arrays.fill(open, null);
        java.util.Arrays.fill(pool, null);
        poolSize = 0;
        poolCursor = 0;
    }

    int poolSize()
    {
        return poolSize;
    }
}
