package io.arenaalloc.threads;

import org.agrona.concurrent.Agent;
import org.agrona.concurrent.AgentTerminationException;

/**
 * An Agrona {@link Agent} whose duty cycle is {@link ArenaAllocator#maintain(long)}: run it on an
 * {@code AgentRunner} (the allocator's optional background thread does exactly that) or in a
 * {@code CompositeAgent} beside an application agent.
 *
 * <p>On a thread that owns no arena it does the allocator-wide work: the liveness scan, reclaiming the
 * arenas of ended threads, and stripe maintenance under each stripe's lock. It never touches an arena
 * owned by a living thread (only that thread may). Returns 0 once the allocator is closed (the allocator's own
 * background agent ends its runner instead when {@code close()} was called on that very thread, from a listener:
 * such a close cannot wait for the thread's end).
 * <p>Safe in a busy-spinning duty cycle: it maintains the stripes at most once per {@code maintenancePeriodNanos}
 * (as {@link MaintainingIdleStrategy} does), because each stripe maintenance takes every free stripe lock, which
 * in a loop kept the threads allocating from the stripes off their locks (see {@link ArenaAllocator#maintain(long)}).
 */
public final class MaintenanceAgent implements Agent
{
    private final ArenaAllocator allocator;
    private final long budgetNanos;
    private final boolean endRunnerWhenClosed;

    public MaintenanceAgent(final ArenaAllocator allocator, final long budgetNanos)
    {
        this(allocator, budgetNanos, false);
    }

    /**
     * @param endRunnerWhenClosed the allocator's background agent: after a close on its own thread, end the runner
     * (AgentTerminationException).
     */
    MaintenanceAgent(final ArenaAllocator allocator, final long budgetNanos, final boolean endRunnerWhenClosed)
    {
        if (allocator == null)
        {
            throw new IllegalArgumentException("allocator=null, expected an ArenaAllocator");
        }
        if (budgetNanos < 0)
        {
            throw new IllegalArgumentException("budgetNanos=" + budgetNanos + ", expected >= 0");
        }
        this.allocator = allocator;
        this.budgetNanos = budgetNanos;
        this.endRunnerWhenClosed = endRunnerWhenClosed;
    }

    public int doWork()
    {
        final int work = allocator.maintainUnlessClosed(budgetNanos);
        if (work < 0)
        {
            if (endRunnerWhenClosed && allocator.closedOnMaintenanceThread())
            {
                // close() ran on this thread and could not wait for the runner: end it (Agrona reports this
                // exception to the error handler once); any other close() ends the runner itself
                throw new AgentTerminationException("the allocator was closed on its maintenance thread");
            }
            return 0;
        }
        allocator.counters().increment(AllocatorCounters.MAINTENANCE_RUNS);
        return work;
    }

    public String roleName()
    {
        return "arena-maintenance";
    }
}
