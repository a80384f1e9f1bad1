package io.arenaalloc.threads;

import io.arenaalloc.core.OffHeapArena;

/**
 * One thread's view of an {@link ArenaAllocator}: {@link #allocate}, {@link #allocateHandle} and {@link #free} as on
 * the allocator, without the per-call search for the caller's context. Get it once per thread with
 * {@link ArenaAllocator#local()} and keep it in the thread's own state (an event loop's field, a worker's local).
 *
 * <h2>Why</h2>
 * <pre>
 *   ArenaAllocator.free(a), hot threads:     this.hotN, currentThread == hotN.thread ?        -&gt; own arena
 *   ArenaAllocator.free(a), other threads:   the hot fields, then currentThread -&gt; thread id -&gt; slot -&gt;
 *                                            identity check                                   -&gt; own arena
 *   LocalAllocator.free(a):                  context, currentThread == context.thread ?       -&gt; own arena
 * </pre>
 * Every allocator call first finds the caller's {@link ThreadContext}. For every thread outside the table's hot set
 * ({@link ThreadContextTable}: {@link ArenaAllocator#HOT_THREADS} threads) that is a chain of dependent loads which
 * measured a few nanoseconds per call, a sixth to a quarter of a small allocate+free pair ({@code arena-bench
 * costs}, {@code FacadeCostBenchmark}). A
 * view holds the context, so its calls check only that the caller is the context's thread and go straight to the
 * owner's fast path of {@link ArenaAllocator} (the same steps 2 to 4: ownership test for a free, the drain mark
 * for an allocation, the thread cache, the arena call, limit handling): on every thread the short path the hot
 * threads get.
 *
 * <h2>Threading</h2>
 * Meant for the thread that called {@link ArenaAllocator#local()}, but never unsafe on another: a call from any
 * other thread (or from a thread with no arena of its own: {@link Policy#STRIPED}, virtual threads, a thread that
 * fell back to the stripes) fails the identity check and is served by the allocator's thread-safe path, exactly
 * as {@link ArenaAllocator#allocate}/{@link ArenaAllocator#free} would serve it. A view of a closed allocator
 * throws {@link IllegalStateException} as the allocator does. It allocates nothing: the allocator keeps one view
 * per thread context.
 */
public final class LocalAllocator
{
    private final ArenaAllocator allocator;
    /** The context of the thread the view was made for, or null (every call then takes the allocator's path). */
    private final ThreadContext context;

    LocalAllocator(final ArenaAllocator allocator, final ThreadContext context)
    {
        this.allocator = allocator;
        this.context = context;
    }

    /** As {@link ArenaAllocator#allocate}. */
    public long allocate(final long size)
    {
        final ThreadContext c = context;
        final OffHeapArena own;
        if (c != null && c.thread == Thread.currentThread() && (own = c.ownArena) != null)
        {
            return allocator.ownerAllocate(c, own, size);
        }
        return allocator.allocate(size);
    }

    /** As {@link ArenaAllocator#allocateHandle}. */
    public long allocateHandle(final long size)
    {
        final ThreadContext c = context;
        final OffHeapArena own;
        if (c != null && c.thread == Thread.currentThread() && (own = c.ownArena) != null)
        {
            return allocator.ownerAllocateHandle(c, own, size);
        }
        return allocator.allocateHandle(size);
    }

    /** As {@link ArenaAllocator#free}: a block of this thread's arena is freed at once, any other goes its usual way. */
    public void free(final long addressOrHandle)
    {
        final ThreadContext c = context;
        final OffHeapArena own;
        if (c != null && c.thread == Thread.currentThread() && (own = c.ownArena) != null &&
            allocator.ownerFree(c, own, addressOrHandle))
        {
            return;
        }
        allocator.free(addressOrHandle);
    }

    /** @return the allocator this view belongs to (for every other call). */
    public ArenaAllocator allocator()
    {
        return allocator;
    }

    /** @return true when this view takes the owner's fast path on the calling thread. */
    public boolean isOwnedByCurrentThread()
    {
        final ThreadContext c = context;
        return c != null && c.thread == Thread.currentThread();
    }
}
