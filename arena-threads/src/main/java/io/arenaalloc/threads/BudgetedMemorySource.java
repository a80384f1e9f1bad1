package io.arenaalloc.threads;

import io.arenaalloc.core.MemorySource;

/**
 * The memory source of one arena of an {@link ArenaAllocator}: the configured source (or a
 * {@code NativeMemorySource} of its own), with every reservation counted against the allocator's
 * {@link GlobalBudget} first. Called on the arena's owner's slow path only; {@link #reservedBytes()}
 * counts this arena's bytes even when the underlying source is shared.
 */
final class BudgetedMemorySource implements MemorySource
{
    private final MemorySource delegate;
    private final GlobalBudget budget;
    private final int arenaId;
    private volatile long reserved;

    BudgetedMemorySource(final MemorySource delegate, final GlobalBudget budget, final int arenaId)
    {
        this.delegate = delegate;
        this.budget = budget;
        this.arenaId = arenaId;
    }

    public long reserve(final long bytes)
    {
        budget.reserve(bytes, arenaId);
        final long base;
        try
        {
            base = delegate.reserve(bytes);
        }
        catch (final RuntimeException | Error ex)
        {
            budget.release(bytes);
            throw ex;
        }
        reserved += bytes; // single writer: the arena's current owner
        return base;
    }

    public void release(final long address, final long bytes)
    {
        delegate.release(address, bytes);
        reserved -= bytes;
        budget.release(bytes);
    }

    public long reservedBytes()
    {
        return reserved;
    }

    public String name()
    {
        return delegate.name();
    }

    public String toString()
    {
        return "BudgetedMemorySource{delegate=" + delegate + ", reserved=" + reserved + '}';
    }
}
