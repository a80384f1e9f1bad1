package io.arenaalloc.threads;

import org.agrona.concurrent.IdleStrategy;

/**
 * An Agrona {@link IdleStrategy} decorator that spends a duty cycle's idle time on allocator maintenance
 * before backing off: drain remote frees, compact in bounded steps, release chunks, reclaim the arenas
 * of ended threads ({@link ArenaAllocator#maintain(long)}).
 *
 * <h2>Algorithm of {@link #idle(int)}</h2>
 * <ol>
 *   <li>workCount &gt; 0: the loop is busy; pass it to the delegate (which resets its back-off), no
 *   maintenance.</li>
 *   <li>workCount == 0: run {@code maintain(budgetNanos)} on this thread (stripes at most once per
 *   {@code maintenancePeriodNanos} over all idling threads).</li>
 *   <li>Maintenance did something: report it to the delegate as work (no sleep: there may be more).</li>
 *   <li>Nothing to maintain: {@code delegate.idle(0)} (spin, yield, park as the delegate decides).</li>
 * </ol>
 * Maintenance runs on the thread that idles, so under {@link Policy#PER_THREAD} an event loop compacts its
 * own arena between its own allocations: the arena is never compacted while its owner allocates. One
 * call costs about {@code budgetNanos} at most when there is compaction to do, and when there is nothing a
 * few loads, two or three clock reads and one compaction check (plus the maintenance listener, if one is set). Not thread safe (like every Agrona idle strategy): one instance per thread.
 */
public final class MaintainingIdleStrategy implements IdleStrategy
{
    private final ArenaAllocator allocator;
    private final IdleStrategy delegate;
    private final long budgetNanos;

    public MaintainingIdleStrategy(final ArenaAllocator allocator, final IdleStrategy delegate, final long budgetNanos)
    {
        if (allocator == null || delegate == null)
        {
            throw new IllegalArgumentException("allocator=" + allocator + ", delegate=" + delegate + ", expected both");
        }
        if (budgetNanos < 0)
        {
            throw new IllegalArgumentException("budgetNanos=" + budgetNanos + ", expected >= 0");
        }
        this.allocator = allocator;
        this.delegate = delegate;
        this.budgetNanos = budgetNanos;
    }

    public void idle(final int workCount)
    {
        if (workCount > 0)
        {
            delegate.idle(workCount);
            return;
        }
        final int done = allocator.maintainUnlessClosed(budgetNanos); // -1 once closed: an idle never throws for it
        delegate.idle(done > 0 ? done : 0);
    }

    /** Idles without maintenance (Agrona's "idle regardless of work"). */
    public void idle()
    {
        delegate.idle();
    }

    public void reset()
    {
        delegate.reset();
    }

    public String alias()
    {
        return "maintaining-" + delegate.alias();
    }

    public String toString()
    {
        return "MaintainingIdleStrategy{delegate=" + delegate + ", budgetNanos=" + budgetNanos + '}';
    }
}
