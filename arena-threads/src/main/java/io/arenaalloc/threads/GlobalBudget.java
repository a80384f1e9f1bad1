package io.arenaalloc.threads;

import java.lang.invoke.MethodHandles;
import java.lang.invoke.VarHandle;

/**
 * The allocator-wide byte limit: every chunk any arena of one {@link ArenaAllocator} takes from its memory
 * source is counted here first ({@link BudgetedMemorySource}).
 *
 * <h2>Word</h2>
 * {@code committed}: bytes reserved by all arenas, padded (each chunk reservation or release CASes it).
 * Invariant: {@code 0 <= committed <= limit}. {@code highWater}: the largest {@code committed} ever reached
 * (beside it, raised with a CAS after a reservation).
 *
 * <h2>Algorithm</h2>
 * <ol>
 *   <li><b>reserve</b>(n): c = committed; if c + n &gt; limit, throw {@link AllocatorLimitExceededException}
 *   (the arena's state is untouched: core reserves before it changes anything); else CAS c to c + n,
 *   retry on failure. Then raise highWater to c + n if it is lower (CAS loop).</li>
 *   <li><b>release</b>(n): atomically subtract n.</li>
 * </ol>
 * Only chunk traffic touches it (slow path): never an allocation served from a chunk already held.
 * Back-pressure (waiting for memory) is done by the allocator around it, not here.
 */
final class GlobalBudget extends GlobalBudgetCommitted
{
    long p11, p12, p13, p14, p15, p16, p17, p18, p19, p1a, p1b, p1c, p1d, p1e, p1f, p20;

    private final long limit;

    GlobalBudget(final long limit)
    {
        this.limit = limit;
    }

    long limit()
    {
        return limit;
    }

    long committedOpaque()
    {
        return (long)COMMITTED.getOpaque(this);
    }

    void reserve(final long bytes, final int arenaId)
    {
        long c;
        do
        {
            c = (long)COMMITTED.getVolatile(this);
            if (bytes > limit - c)
            {
                throw new AllocatorLimitExceededException(bytes, limit, c, -1, true, 0,
                    "arena " + arenaId + " asked its memory source for a chunk of " + bytes + " bytes");
            }
        }
        while (!COMMITTED.compareAndSet(this, c, c + bytes));
        final long now = c + bytes;
        long high;
        while (now > (high = (long)HIGH_WATER.getVolatile(this)) && !HIGH_WATER.compareAndSet(this, high, now))
        {
            Thread.onSpinWait();
        }
    }

    long highWaterOpaque()
    {
        return (long)HIGH_WATER.getOpaque(this);
    }

    void release(final long bytes)
    {
        COMMITTED.getAndAdd(this, -bytes);
    }
}

abstract class GlobalBudgetPad0
{
    long p01, p02, p03, p04, p05, p06, p07, p08, p09, p0a, p0b, p0c, p0d, p0e, p0f, p10;
}

abstract class GlobalBudgetCommitted extends GlobalBudgetPad0
{
    static final VarHandle COMMITTED;
    static final VarHandle HIGH_WATER;

    static
    {
        try
        {
            COMMITTED = MethodHandles.lookup().findVarHandle(GlobalBudgetCommitted.class, "committed", long.class);
            HIGH_WATER = MethodHandles.lookup().findVarHandle(GlobalBudgetCommitted.class, "highWater", long.class);
        }
        catch (final ReflectiveOperationException ex)
        {
            throw new ExceptionInInitializerError(ex);
        }
    }

    @SuppressWarnings("unused") // through COMMITTED
    private volatile long committed;
    @SuppressWarnings("unused") // through HIGH_WATER
    private volatile long highWater;
}
