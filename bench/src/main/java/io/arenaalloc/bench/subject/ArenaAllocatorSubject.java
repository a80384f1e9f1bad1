package io.arenaalloc.bench.subject;

import io.arenaalloc.threads.ArenaAllocator;
import io.arenaalloc.threads.Policy;

/**
 * This library's thread-safe facade, {@link ArenaAllocator}, fixed blocks by raw address:
 * {@code arena} in the multi-thread workloads ({@link Policy#PER_THREAD}: each thread allocates from
 * its own arena without a lock, a free from another thread goes through the owner's lock-free inbox)
 * and {@code arena-striped} everywhere ({@link Policy#STRIPED}: any thread, stripe arenas under a
 * one-word lock).
 *
 * <p>Configuration: the facade's defaults except the policy, so background maintenance is on (a
 * daemon thread that wakes every 10 ms for at most 100 us) and every arena drains its inbox every 64
 * owner allocations ({@code drainInterval}): remotely freed blocks come back through the owner's own
 * allocations, the background thread only adds draining of stripes and ended threads' arenas.
 * One allocator per subject, shared by every thread of the trial; {@link #close()} frees the live
 * blocks, then closes the allocator (which stops the background thread and returns every chunk).
 */
final class ArenaAllocatorSubject extends AddressSlots
{
    private final ArenaAllocator allocator;

    ArenaAllocatorSubject(final String name, final Policy policy, final int slots)
    {
        super(name, slots);
        allocator = ArenaAllocator.builder().policy(policy).build();
    }

    /** @return the facade itself (tests read its counters and committed bytes). */
    ArenaAllocator allocator()
    {
        return allocator;
    }

    @Override
    protected long malloc(final long size)
    {
        return allocator.allocate(size);
    }

    @Override
    protected void release(final long address)
    {
        allocator.free(address);
    }

    @Override
    protected void closeAllocator()
    {
        allocator.close();
    }

    @Override
    public long footprintBytes()
    {
        return allocator.committedBytes();
    }

    @Override
    public String footprintSource()
    {
        return "ArenaAllocator.committedBytes()";
    }
}
