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
 *   RemoteFreeBatch (Java heap; each group on cache lines of its own, 128 bytes of padding between groups,
 *   by class hierarchy as in Agrona and JCTools; {@code PaddedLayoutTest} checks the offsets)
 *   |-- pad
 *   |-- freer group:     freerSlots, freerCapacity, writeIndex, destination
 *   |                    (freer-private while PUBLISHED; writeIndex written on every free)
 *   |-- pad
 *   |-- hand-over group: state (int): IDLE | PUBLISHED, overflowNext (link of the inbox's overflow stack)
 *   |-- pad
 *   |-- owner group:     slots, capacity, readIndex, consumerNext
 *   |                    (owner-private while PUBLISHED; readIndex written on every drain)
 *   |-- pad
 *   `-- slots: long[batchSize]  (freerSlots and slots are the same array, one reference per group so that
 *        neither side loads a line the other writes)
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
 *
 * <p>Why the padding: the freer bumps {@code writeIndex} on every remote free while the owner, draining every
 * {@code drainInterval} calls, writes {@code readIndex} and reads {@code slots}; in one cache line these made
 * every drain and every following free pull the line across cores (false sharing, seen in the larson profile as
 * time in {@code capacity()} and {@code RemoteFreeOutbox.free}).
 */
final class RemoteFreeBatch extends RemoteFreeBatchOwnerPad
{
    static final long EMPTY = 0;
    static final long SEAL = 1;
    static final int IDLE = 0;
    static final int PUBLISHED = 1;

    private static final VarHandle SLOTS = MethodHandles.arrayElementVarHandle(long[].class);

    RemoteFreeBatch(final int capacity)
    {
        super(newSlots(capacity));
    }

    private static long[] newSlots(final int capacity)
    {
        if (capacity < 1)
        {
            throw new IllegalArgumentException("capacity=" + capacity + ", expected >= 1");
        }
        return new long[capacity];
    }

    int capacity()
    {
        return capacity;
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
        SLOTS.setRelease(freerSlots, writeIndex++, value);
    }

    boolean isFull()
    {
        return writeIndex == freerCapacity;
    }

    /** Freer (or the scanner for an ended freer): no more values; lets the owner finish the batch. */
    void sealRelease()
    {
        if (writeIndex < freerCapacity)
        {
            SLOTS.setRelease(freerSlots, writeIndex, SEAL);
            writeIndex = freerCapacity;
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
            if (freerSlots[i] == value)
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

/**
 * Padding before the freer's group. The int fills the 4-byte hole after a 12-byte object header, which the JVM
 * would otherwise give to a subclass's int, breaking the group apart (each group below is a multiple of 8 bytes
 * with compressed references, so no other hole opens).
 */
abstract class RemoteFreeBatchPad0
{
    int p00;
    long p01, p02, p03, p04, p05, p06, p07, p08, p09, p0a, p0b, p0c, p0d, p0e, p0f, p10;
}

/** The freer's group of {@link RemoteFreeBatch}: written on every remote free while PUBLISHED. */
abstract class RemoteFreeBatchFreerFields extends RemoteFreeBatchPad0
{
    /** The slots, for the freer (the same array as {@link RemoteFreeBatchOwnerFields#slots}). */
    final long[] freerSlots;
    /** freerSlots.length, kept here: the array's length word shares a line with slots the owner reads and zeroes. */
    final int freerCapacity;
    /** Freer-private while PUBLISHED: the next slot to write. */
    int writeIndex;
    /** Written by the freer when it opens the batch; read by the freer on every free. */
    ManagedArena destination;

    RemoteFreeBatchFreerFields(final long[] slots)
    {
        this.freerSlots = slots;
        this.freerCapacity = slots.length;
    }
}

/** Padding between the freer's group and the hand-over group. */
abstract class RemoteFreeBatchPad1 extends RemoteFreeBatchFreerFields
{
    long p11, p12, p13, p14, p15, p16, p17, p18, p19, p1a, p1b, p1c, p1d, p1e, p1f, p20;

    RemoteFreeBatchPad1(final long[] slots)
    {
        super(slots);
    }
}

/** The hand-over group of {@link RemoteFreeBatch}: written once per batch by each side. */
abstract class RemoteFreeBatchHandOverFields extends RemoteFreeBatchPad1
{
    static final VarHandle STATE;

    static
    {
        try
        {
            STATE = MethodHandles.lookup().findVarHandle(RemoteFreeBatchHandOverFields.class, "state", int.class);
        }
        catch (final ReflectiveOperationException ex)
        {
            throw new ExceptionInInitializerError(ex);
        }
    }

    @SuppressWarnings("unused") // through STATE
    private volatile int state = RemoteFreeBatch.IDLE;

    /** Link of the overflow stack: written before the pushing CAS, read after the owner's swap. */
    RemoteFreeBatch overflowNext;

    RemoteFreeBatchHandOverFields(final long[] slots)
    {
        super(slots);
    }
}

/** Padding between the hand-over group and the owner's group. */
abstract class RemoteFreeBatchPad2 extends RemoteFreeBatchHandOverFields
{
    long p21, p22, p23, p24, p25, p26, p27, p28, p29, p2a, p2b, p2c, p2d, p2e, p2f, p30;

    RemoteFreeBatchPad2(final long[] slots)
    {
        super(slots);
    }
}

/** The owner's group of {@link RemoteFreeBatch}: written on every drain that reads the batch. */
abstract class RemoteFreeBatchOwnerFields extends RemoteFreeBatchPad2
{
    /** The slots, for the owner (the same array as {@link RemoteFreeBatchFreerFields#freerSlots}). */
    final long[] slots;
    /** slots.length, kept here: the array's length word shares a line with the slots the freer writes. */
    final int capacity;
    /** Owner-private while PUBLISHED: the next slot to read. */
    int readIndex;
    /** Owner-private while PUBLISHED: link of the inbox's list of open batches. */
    RemoteFreeBatch consumerNext;

    RemoteFreeBatchOwnerFields(final long[] slots)
    {
        super(slots);
        this.slots = slots;
        this.capacity = slots.length;
    }
}

/** Padding after the owner's group (the next object on the heap may be anyone's). */
abstract class RemoteFreeBatchOwnerPad extends RemoteFreeBatchOwnerFields
{
    long p31, p32, p33, p34, p35, p36, p37, p38, p39, p3a, p3b, p3c, p3d, p3e, p3f, p40;

    RemoteFreeBatchOwnerPad(final long[] slots)
    {
        super(slots);
    }
}
