package io.arenaalloc.threads;

import java.lang.invoke.MethodHandles;
import java.lang.invoke.VarHandle;

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
 *   |-- freer group:     freerSlots, freerCapacity, destination   (read by the freer on every free; written
 *   |                    only when it opens the batch)
 *   |-- pad
 *   |-- hand-over group: published (int, the word below; freer release-stores it on every free, owner
 *   |                    acquire-loads it on every drain), state (int): IDLE | PUBLISHED, overflowNext
 *   |-- pad
 *   |-- owner group:     slots, capacity, readIndex, consumerNext
 *   |                    (owner-private while PUBLISHED; readIndex written on every drain)
 *   |-- pad
 *   `-- slots: long[batchSize]  (freerSlots and slots are the same array, one reference per group so that
 *        neither side loads a line the other writes)
 *        | v0 | v1 | v2 | ... | v(n-1) | stale | stale | ... |   n = count of the published word; slots at
 *                                                               and after n hold a previous use's values
 * </pre>
 *
 * <h2>The published word (int)</h2>
 * <pre>
 *   bit  31        30 ............................... 0
 *      | SEALED  | count: slots written and visible      |
 *   finished = SEALED set, or count == capacity: the freer will write nothing more
 * </pre>
 * {@code COUNT_BITS} = 31; {@code SEALED_BIT} = 1 &lt;&lt; COUNT_BITS; {@code COUNT_MASK} = SEALED_BIT - 1.
 * The count bounds what the owner reads, so no slot value is reserved (any long, 0 included, can be
 * carried) and the owner never zeroes slots: a recycled batch keeps its old values, which the count hides.
 *
 * <h2>Life cycle (numbered as in the protocol)</h2>
 * <ol>
 *   <li>IDLE in the freer's pool: readIndex 0; published and the slots still hold the last use's word and
 *   values, which nobody reads until the freer opens the batch again.</li>
 *   <li>The freer opens it ({@link #openPlain}): destination set, published = 0, state PUBLISHED (plain: the
 *   queue offer that follows publishes all three to the owner).</li>
 *   <li>The freer writes values with {@link #writeRelease}: a plain store of the value into slot {@code count},
 *   then a release store of published = count + 1 (no read-modify-write: the freer is its only writer; the
 *   call answers whether that filled the batch), until the last slot, or seals it ({@link #sealRelease}:
 *   release store of published | SEALED) when it needs the table entry for another destination or it ended.</li>
 *   <li>The owner acquire-loads published ({@link #publishedAcquire}) and reads slots from its read index up
 *   to the count with plain loads ({@link #slotPlain}): the acquire orders them after the freer's slot stores.
 *   When the word says finished and every counted slot was read, it calls {@link #recycleRelease}: resets its
 *   own fields and release-stores IDLE. No slot is written by the owner.</li>
 *   <li>The freer's acquire load of IDLE ({@link #isIdleAcquire}) happens-after the owner's last read of the
 *   batch: it may reuse it, overwriting slots the owner will never read again.</li>
 * </ol>
 * The freer never writes a slot at or after the count of a finished word, the owner reads only below the
 * count, and only the freer writes slots: the two never touch a slot concurrently. {@code RemoteFreeBatches}
 * (arena-jcstress) checks steps 3 and 4 against each other, stale values of an earlier use included.
 *
 * <p>Why this shape (measured with larson@2 and handoff profiles): the earlier protocol marked unwritten slots
 * with 0 and had the owner zero every slot it read, so each line of slots moved between cores up to four times
 * per use (the freer's write, the owner's read, the owner's zeroing, the freer's next write pulling it back), and a
 * drain read the half-written line the freer was filling. Now a line is written by the freer and read by the
 * owner only, and the owner touches one freer-written line per drain (the published word) to learn how far to
 * read. The groups are padded apart because the freer writes published on every free while the owner writes
 * readIndex on every drain; in one cache line these would pull the line across cores on every drain and every
 * following free (false sharing, seen in the larson profile as time in {@code capacity()} and
 * {@code RemoteFreeOutbox.free}).
 */
final class RemoteFreeBatch extends RemoteFreeBatchOwnerPad
{
    static final int IDLE = 0;
    static final int PUBLISHED = 1;

    /** Width of the count field of the published word. */
    static final int COUNT_BITS = 31;
    /** The published word's flag: sealed by the freer before its last slot. */
    static final int SEALED_BIT = 1 << COUNT_BITS;
    static final int COUNT_MASK = SEALED_BIT - 1;

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

    /** The count field of a published word: slots written and visible. */
    static int countOf(final int publishedWord)
    {
        return publishedWord & COUNT_MASK;
    }

    /** Whether a published word says the freer is done with the batch (sealed, or every slot written). */
    static boolean isFinished(final int publishedWord, final int capacity)
    {
        return (publishedWord & SEALED_BIT) != 0 || publishedWord == capacity;
    }

    /** Freer: step 2. */
    void openPlain(final ManagedArena destination)
    {
        this.destination = destination;
        PUBLISHED_WORD.set(this, 0);
        STATE.set(this, PUBLISHED);
    }

    /**
     * Freer: step 3 (only on an open batch: not full, not sealed).
     * @return true when this value filled the last slot (the batch leaves the freer's table).
     */
    boolean writeRelease(final long value)
    {
        final int count = (int)PUBLISHED_WORD.get(this); // the freer is the only writer: its own last store
        freerSlots[count] = value;
        PUBLISHED_WORD.setRelease(this, count + 1);
        return count + 1 == freerCapacity;
    }

    /** Freer (or the scanner for an ended freer): no more values; lets the owner finish the batch. */
    void sealRelease()
    {
        final int word = (int)PUBLISHED_WORD.get(this);
        if (!isFinished(word, freerCapacity))
        {
            PUBLISHED_WORD.setRelease(this, word | SEALED_BIT);
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
        final int count = countOf((int)PUBLISHED_WORD.get(this));
        for (int i = Math.max(0, readIndex); i < count; i++)
        {
            if (freerSlots[i] == value)
            {
                return true;
            }
        }
        return false;
    }

    /** Owner: step 4, first the word (acquire: the slots below its count are visible after it). */
    int publishedAcquire()
    {
        return (int)PUBLISHED_WORD.getAcquire(this);
    }

    /** Owner: step 4, a slot below the count of a word read by {@link #publishedAcquire}. */
    long slotPlain(final int index)
    {
        return slots[index];
    }

    /** Owner: step 4, after reading every counted slot of a finished word. */
    void recycleRelease()
    {
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
        final int word = (int)PUBLISHED_WORD.getOpaque(this);
        return "RemoteFreeBatch{capacity=" + slots.length + ", state=" + ((int)STATE.getOpaque(this) == IDLE ? "IDLE" :
            "PUBLISHED") + ", count=" + countOf(word) + ((word & SEALED_BIT) != 0 ? " (sealed)" : "") +
            ", destination=" + (destination == null ? "-" : Integer.toString(destination.id)) + '}';
    }
}

/**
 * Padding before the freer's group. The int fills the 4-byte hole after a 12-byte object header, which the JVM
 * would otherwise give to a subclass's int, breaking the group apart. The freer's and the hand-over group are
 * 12 bytes each with compressed references, so the pad after each starts with an int that fills the hole the
 * group leaves before the pad's longs (the JVM fills a class's holes with its own fields first).
 */
abstract class RemoteFreeBatchPad0
{
    int p00;
    long p01, p02, p03, p04, p05, p06, p07, p08, p09, p0a, p0b, p0c, p0d, p0e, p0f, p10;
}

/** The freer's group of {@link RemoteFreeBatch}: read on every remote free, written when the freer opens the batch. */
abstract class RemoteFreeBatchFreerFields extends RemoteFreeBatchPad0
{
    /** The slots, for the freer (the same array as {@link RemoteFreeBatchOwnerFields#slots}). */
    final long[] freerSlots;
    /** freerSlots.length, kept here: the array's length word shares a line with slots the owner reads. */
    final int freerCapacity;
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
    int p1i;
    long p11, p12, p13, p14, p15, p16, p17, p18, p19, p1a, p1b, p1c, p1d, p1e, p1f, p20;

    RemoteFreeBatchPad1(final long[] slots)
    {
        super(slots);
    }
}

/**
 * The hand-over group of {@link RemoteFreeBatch}: the published word (freer writes it on every free, owner reads
 * it on every drain), the state (written once per use by each side) and the overflow link.
 */
abstract class RemoteFreeBatchHandOverFields extends RemoteFreeBatchPad1
{
    static final VarHandle STATE;
    static final VarHandle PUBLISHED_WORD;

    static
    {
        try
        {
            final MethodHandles.Lookup lookup = MethodHandles.lookup();
            STATE = lookup.findVarHandle(RemoteFreeBatchHandOverFields.class, "state", int.class);
            PUBLISHED_WORD = lookup.findVarHandle(RemoteFreeBatchHandOverFields.class, "published", int.class);
        }
        catch (final ReflectiveOperationException ex)
        {
            throw new ExceptionInInitializerError(ex);
        }
    }

    /** The published word: SEALED bit and count (see {@link RemoteFreeBatch}); through PUBLISHED_WORD only. */
    @SuppressWarnings("unused")
    private int published;

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
    int p2i;
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
