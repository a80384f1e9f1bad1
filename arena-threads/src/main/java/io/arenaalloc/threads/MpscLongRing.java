package io.arenaalloc.threads;

import java.lang.invoke.MethodHandles;
import java.lang.invoke.VarHandle;

/**
 * A bounded multi-producer single-consumer ring of non-zero longs: JCTools' {@code MpscArrayQueue}
 * algorithm, on a {@code long[]} instead of an {@code Object[]}, so queueing a value allocates nothing
 * and boxes nothing. 0 marks an empty slot, so 0 cannot be queued.
 *
 * <h2>Layout</h2>
 * <pre>
 *   | header | mask | pad 128 B | producerIndex, producerLimit | pad 128 B | consumerIndex | pad 128 B |
 *   | slots, capacity |                                                          (field groups, by offset)
 *   slots: long[capacity], capacity a power of two; value of sequence s lives in slots[s &amp; mask]
 *   The JVM puts the read-only int mask into the 4-byte hole after the 12-byte object header, ahead of the
 *   first pad; that costs nothing (nobody writes it, so the line is never invalidated) and sits 128 bytes
 *   from the written indices.
 *
 *        consumerIndex                     producerIndex
 *             v                                  v
 *   ... | 0 | v | v | v | 0(claimed, not yet written) | v | 0 | 0 | ...
 * </pre>
 * Accessor naming as in JCTools: {@code lv} load volatile, {@code la} load acquire, {@code sr} store
 * release, {@code cas} compare-and-set.
 *
 * <h2>Algorithm</h2>
 * <ol>
 *   <li><b>offer</b> (any thread): p = lv(producerIndex). If p &gt;= producerLimit, refresh the limit from
 *   la(consumerIndex) + capacity; still no room: return false (full). cas(producerIndex, p, p + 1); lost:
 *   start again. Won: sr(slots[p &amp; mask], value). One CAS per value.</li>
 *   <li><b>poll</b> (consumer only): c = consumerIndex. v = la(slots[c &amp; mask]). v == 0: return 0
 *   (empty, or a producer claimed slot c and has not written it yet: the value shows at a later poll).
 *   Else write 0 to the slot, sr(consumerIndex, c + 1) (orders the 0 before the index, so a producer that
 *   sees the new index also sees the cleared slot), return v.</li>
 * </ol>
 * Benign race: two producers may store producerLimit out of order, so a stale, smaller limit may win;
 * it only costs a producer an extra read of consumerIndex, because any limit once stored was valid.
 */
final class MpscLongRing extends MpscLongRingConsumerFields
{
    private static final VarHandle SLOTS = MethodHandles.arrayElementVarHandle(long[].class);

    long p31, p32, p33, p34, p35, p36, p37, p38, p39, p3a, p3b, p3c, p3d, p3e, p3f, p40;

    private final long[] slots;
    private final int mask;
    private final int capacity;

    /** @param capacity a power of two, at least 2. */
    MpscLongRing(final int capacity)
    {
        if (capacity < 2 || Integer.bitCount(capacity) != 1)
        {
            throw new IllegalArgumentException("capacity=" + capacity + ", expected a power of two >= 2");
        }
        this.slots = new long[capacity];
        this.mask = capacity - 1;
        this.capacity = capacity;
        PRODUCER_LIMIT.setRelease(this, (long)capacity);
    }

    int capacity()
    {
        return capacity;
    }

    /**
     * Any thread.
     * @param value not 0.
     * @return false when the ring is full (nothing changed).
     */
    boolean offer(final long value)
    {
        if (value == 0)
        {
            throw new IllegalArgumentException("value=0, expected a non-zero long (0 marks an empty slot)");
        }
        long limit = (long)PRODUCER_LIMIT.getVolatile(this);
        long p;
        do
        {
            p = (long)PRODUCER_INDEX.getVolatile(this);
            if (p >= limit)
            {
                limit = (long)CONSUMER_INDEX.getAcquire(this) + capacity;
                if (p >= limit)
                {
                    return false;
                }
                PRODUCER_LIMIT.setRelease(this, limit);
            }
        }
        while (!PRODUCER_INDEX.compareAndSet(this, p, p + 1));
        SLOTS.setRelease(slots, (int)p & mask, value);
        return true;
    }

    /** Consumer only. @return the oldest value, or 0 when none is visible. */
    long poll()
    {
        final long c = (long)CONSUMER_INDEX.getOpaque(this);
        final int i = (int)c & mask;
        final long v = (long)SLOTS.getAcquire(slots, i);
        if (v == 0)
        {
            return 0;
        }
        slots[i] = 0;
        CONSUMER_INDEX.setRelease(this, c + 1);
        return v;
    }

    /** Any thread, racy: true when nothing was claimed at the moment of the two reads. */
    boolean isEmptyRelaxed()
    {
        return (long)CONSUMER_INDEX.getOpaque(this) == (long)PRODUCER_INDEX.getOpaque(this);
    }

    /** Any thread, racy: values claimed and not yet consumed, 0..capacity. */
    int sizeRelaxed()
    {
        final long size = (long)PRODUCER_INDEX.getOpaque(this) - (long)CONSUMER_INDEX.getOpaque(this);
        return (int)Math.max(0, Math.min(capacity, size));
    }
}

abstract class MpscLongRingPad0
{
    long p01, p02, p03, p04, p05, p06, p07, p08, p09, p0a, p0b, p0c, p0d, p0e, p0f, p10;
}

abstract class MpscLongRingProducerFields extends MpscLongRingPad0
{
    static final VarHandle PRODUCER_INDEX;
    static final VarHandle PRODUCER_LIMIT;

    static
    {
        try
        {
            PRODUCER_INDEX = MethodHandles.lookup().findVarHandle(MpscLongRingProducerFields.class, "producerIndex", long.class);
            PRODUCER_LIMIT = MethodHandles.lookup().findVarHandle(MpscLongRingProducerFields.class, "producerLimit", long.class);
        }
        catch (final ReflectiveOperationException ex)
        {
            throw new ExceptionInInitializerError(ex);
        }
    }

    @SuppressWarnings("unused") // through PRODUCER_INDEX
    private volatile long producerIndex;
    @SuppressWarnings("unused") // through PRODUCER_LIMIT
    private volatile long producerLimit;
}

abstract class MpscLongRingPad1 extends MpscLongRingProducerFields
{
    long p11, p12, p13, p14, p15, p16, p17, p18, p19, p1a, p1b, p1c, p1d, p1e, p1f, p20;
}

abstract class MpscLongRingConsumerFields extends MpscLongRingPad1
{
    static final VarHandle CONSUMER_INDEX;

    static
    {
        try
        {
            CONSUMER_INDEX = MethodHandles.lookup().findVarHandle(MpscLongRingConsumerFields.class, "consumerIndex", long.class);
        }
        catch (final ReflectiveOperationException ex)
        {
            throw new ExceptionInInitializerError(ex);
        }
    }

    @SuppressWarnings("unused") // through CONSUMER_INDEX
    private volatile long consumerIndex;
}
