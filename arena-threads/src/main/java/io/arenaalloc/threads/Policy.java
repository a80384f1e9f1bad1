package io.arenaalloc.threads;

/**
 * How an {@link ArenaAllocator} maps threads to arenas.
 */
public enum Policy
{
    /**
     * Each platform thread that allocates owns an arena: its allocate, free, resolve and reallocate on it
     * take no lock and no atomic read-modify-write. Frees by other threads reach the owner through its
     * inbox ({@link RemoteFreeInbox}). An arena whose thread ended is reclaimed or adopted
     * ({@link ThreadRegistry}). Virtual threads, and platform threads beyond {@code maxThreadArenas},
     * share striped arenas as under {@link #STRIPED}: there is never one arena per virtual thread.
     * Best for a bounded set of long-lived threads (event loops, pools).
     */
    PER_THREAD,

    /**
     * About as many arenas as cores ("per-CPU"), each behind a one-word lock. A thread maps to a stripe by
     * its probe hash and moves to another stripe when it finds its stripe's lock taken, as
     * {@code LongAdder} re-hashes; the choice is stored in the {@code Thread} object, so thousands of
     * platform threads or millions of virtual threads cost no per-thread memory. Frees from any thread
     * take the block's stripe lock, or, when it is busy, queue the free in the stripe's inbox. Handles
     * are pinned, never resolved: a stripe has no owner thread.
     */
    STRIPED
}
