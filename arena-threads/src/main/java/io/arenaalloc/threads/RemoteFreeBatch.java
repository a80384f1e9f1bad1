package io.arenaalloc.threads;

import java.lang.invoke.MethodHandles;
import java.lang.invoke.VarHandle;
import java.util.Arrays;

/**
 * A run of remote frees from one freer to one arena: the unit of publication of the remote-free
 * protocol ({@link RemoteFreeInbox}). Pooled by its freer ({@link RemoteFreeOutbox}); recycled by the
 * destination's owner.
 *
 * <h2>Layout</h2>
 * <pre>
 *   RemoteFreeBatch (Java heap)
 *   |-- producer fields: writeIndex, destination     (freer-private while PUBLISHED)
 *   |-- state (int): IDLE | PUBLISHED                  (the hand-over word)
 *   |-- overflowNext                                  (link of the inbox's overflow stack)
 *   |-- consumer fields: readIndex, consumerNext      (owner-private while PUBLISHED)
 *   `-- slots: long[batchSize]
 *        | v0 | v1 | v2 | ... | v(w-1) | 0 | 0 | ... |        values written so far, then EMPTY (0)
 *        | v0 | v1 | SEAL | 0 | ... |                          abandoned after two values
 * </pre>
 *
 * <h2>Life cycle (numbered as in the protocol)</h2>
 * <ol>
 *   <li>IDLE in the freer's pool: every slot is 0, both indices 0.</li>
 *   <li>The freer opens it ({@link #openPlain}): destination set, state PUBLISHED (plain: the queue offer
 *   that follows publishes both to the owner).</li>
 *   <li>The freer writes values with {@link #writeRelease} (a release store per slot, no read-modify-write)
 *   until the last slot, or seals it ({@link #sealRelease}) when it needs the table entry for another
 *   destination or it ended.</li>
 *   <li>The owner reads slots with {@link #slotAcquire}; EMPTY means "not yet"; after the last slot or
 *   at SEAL it calls {@link #recycleRelease}: zeroes the used slots and release-stores IDLE.</li>
 *   <li>The freer's acquire load of IDLE ({@link #isIdleAcquire}) happens-after the zeroing: it may
 *   reuse the batch.</li>
 * </ol>
 * The freer never writes a slot after the last one or after SEAL, and the owner recycles only at that
 * point, so the two never write the same slot concurrently.
 */
final class RemoteFreeBatch
{
    static final long EMPTY = 0;
    static final long SEAL = 1;
    static final int IDLE = 0;
    static final int PUBLISHED = 1;

    private static final VarHandle SLOTS = MethodHandles.arrayElementVarHandle(long[].class);
    private static final VarHandle STATE;

    static
    {
        try
        {
            STATE = MethodHandles.lookup().findVarHandle(RemoteFreeBatch.class, "state", int.class);
        }
        catch (final ReflectiveOperationException ex)
        {
            throw new ExceptionInInitializerError(ex);
        }
    }

    private final long[] slots;

    // ---- freer-private while PUBLISHED ---------------------------------------------------------
    int writeIndex;
    ManagedArena destination;

    @SuppressWarnings("unused") // through STATE
    private volatile int state = IDLE;

    /** Link of the overflow stack: written before the pushing CAS, read after the owner's swap. */
    RemoteFreeBatch overflowNext;

    // ---- owner-private while PUBLISHED ---------------------------------------------------------
    int readIndex;
    RemoteFreeBatch consumerNext;

    RemoteFreeBatch(final int capacity)
    {
        if (capacity < 1)
        {
            throw new IllegalArgumentException("capacity=" + capacity + ", expected >= 1");
        }
        this.slots = new long[capacity];
    }

    int capacity()
    {
        return slots.length;
    }

    /** Freer: step 2. */
    void openPlain(final ManagedArena destination)
    {
        this.destination = destination;
        this.writeIndex = 0;
        STATE.set(this, PUBLISHED);
    }

    /** Freer: step 3. */
    void writeRelease(final long value)
    {
        SLOTS.setRelease(slots, writeIndex++, value);
    }

    boolean isFull()
    {
        return writeIndex == slots.length;
    }

    /** Freer (or the scanner for an ended freer): no more values; lets the owner finish the batch. */
    void sealRelease()
    {
        if (writeIndex < slots.length)
        {
            SLOTS.setRelease(slots, writeIndex, SEAL);
            writeIndex = slots.length;
        }
    }

    /**
     * Freer, debug check: is {@code value} in this batch and not yet applied by the owner? O(batchSize).
     * Slots below the owner's read index were applied; the block may since have been allocated again and
     * handed to this freer, which frees it legitimately. The racy read of the read index is sound: if the
     * owner applied the slot and then allocated that address again, its read-index store happened-before the
     * allocation, and so before this freer received the block.
     */
    boolean containsUnappliedPlain(final long value)
    {
        for (int i = Math.max(0, readIndex); i < writeIndex; i++)
        {
            if (slots[i] == value)
            {
                return true;
            }
        }
        return false;
    }

    /** Owner: step 4. */
    long slotAcquire(final int index)
    {
        return (long)SLOTS.getAcquire(slots, index);
    }

    /** Owner: step 4, after the last slot or at SEAL (readIndex points at it). */
    void recycleRelease()
    {
        Arrays.fill(slots, 0, Math.min(readIndex + 1, slots.length), EMPTY);
        readIndex = 0;
        consumerNext = null;
        overflowNext = null;
        STATE.setRelease(this, IDLE);
    }

    /** Freer: step 5. */
    boolean isIdleAcquire()
    {
        return (int)STATE.getAcquire(this) == IDLE;
    }

    public String toString()
    {
        return "RemoteFreeBatch{capacity=" + slots.length + ", state=" + ((int)STATE.getOpaque(this) == IDLE ? "IDLE" :
            "PUBLISHED") + ", destination=" + (destination == null ? "-" : Integer.toString(destination.id)) + '}';
    }
}
