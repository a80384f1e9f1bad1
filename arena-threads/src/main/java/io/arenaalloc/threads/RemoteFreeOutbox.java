package io.arenaalloc.threads;

import io.arenaalloc.core.InvalidBlockException;

import java.util.Arrays;

/**
 * A platform thread's side of the remote-free protocol ({@link RemoteFreeInbox}, step 3): one open
 * {@link RemoteFreeBatch} per destination arena, and the pool of batches the thread has published.
 *
 * <h2>Layout</h2>
 * <pre>
 *   open[64]  direct-mapped by destination arena id:  open[id &amp; 63] = batch for arena id, or null
 *             |  0  |  1  | ... | 17: batch(arena 17, 9/64 written) | ... | 63 |
 *   pool[]    every batch this thread made:  IDLE ones are reusable, PUBLISHED ones are with an owner
 * </pre>
 * Two destinations whose ids are equal modulo 64 share an entry: opening a batch for one seals the
 * other's (its unused slots are wasted, nothing is lost).
 *
 * <h2>Algorithm of {@link #free}</h2>
 * <ol>
 *   <li>b = open[id &amp; 63]. If b is for this destination, go to 4.</li>
 *   <li>If b is for another destination, seal it (release store of its published word with SEALED set).</li>
 *   <li>Take an IDLE batch from the pool (acquire load of its state; the scan resumes where the last one
 *   stopped), or make one when none is idle (the pool grows to the number of batches in flight, then
 *   stays: no garbage in steady state). Open it for the destination and publish it to the destination's
 *   inbox before writing into it.</li>
 *   <li>Write the value (plain store into slot count, release store of published = count + 1). If that
 *   filled the batch, clear the entry.</li>
 * </ol>
 * Cost per remote free in steady state: one table load, one plain and one release store; plus, every
 * {@code batchSize} frees, a pool scan and one CAS (the queue offer).
 *
 * <h2>Threading</h2>
 * Confined to its thread, except {@link #sealAllAfterDeath}, which the liveness scan calls after the
 * thread ended (the thread's writes happen-before {@code Thread.isAlive()} returning false).
 */
final class RemoteFreeOutbox
{
    static final int OPEN_SLOTS = 64;
    private static final int OPEN_MASK = OPEN_SLOTS - 1;

    private final RemoteFreeBatch[] open = new RemoteFreeBatch[OPEN_SLOTS];
    private final int batchSize;
    private final boolean debug;
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

    RemoteFreeOutbox(final int batchSize, final boolean debug)
    {
        this.batchSize = batchSize;
        this.debug = debug;
    }

    /** Queues a remote free of {@code value} (an address or a handle) for {@code destination}. */
    void free(final ManagedArena destination, final long value)
    {
        final int slot = destination.id & OPEN_MASK;
        RemoteFreeBatch b = open[slot];
        if (b == null || b.destination != destination)
        {
            b = openBatch(slot, destination, b);
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
    }

    private static String describe(final long value)
    {
        return (value < 0 ? "handle=0x" : "address=0x") + Long.toHexString(value);
    }

    private RemoteFreeBatch openBatch(final int slot, final ManagedArena destination, final RemoteFreeBatch old)
    {
        if (old != null)
        {
            old.sealRelease();
        }
        final RemoteFreeBatch b = takeIdle();
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
            if (b.destination.isClosedOpaque() && !isOpen(b))
            {
                // its arena was closed before reading it to the end: it will never come back; forget it
                pool[i] = pool[--poolSize];
                pool[poolSize] = null;
                i--;
            }
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
