package io.arenaalloc.threads;

/**
 * What an {@link ArenaAllocator} keeps per platform thread under {@link Policy#PER_THREAD}, in a
 * {@code ThreadLocal} of that allocator and in its {@link ThreadRegistry}: the thread's own arena (if it
 * allocated), and its {@link RemoteFreeOutbox}. Virtual threads get none (they use the stripes and the
 * inboxes' rings), so there is never per-virtual-thread state.
 *
 * <p>Confined to its thread while the thread lives; the liveness scan reads it after
 * {@code thread.isAlive()} returned false, which happens-after everything the thread did.
 */
final class ThreadContext
{
    final Thread thread;
    final RemoteFreeOutbox outbox;
    /** The arena this thread owns, or null (not allocated yet, or {@link #useStripes}). */
    ManagedArena arena;
    /** The thread found {@code maxThreadArenas} reached: it allocates from the stripes for good. */
    boolean useStripes;

    ThreadContext(final Thread thread, final int batchSize, final boolean debug)
    {
        this.thread = thread;
        this.outbox = new RemoteFreeOutbox(batchSize, debug);
    }

    /**
     * At allocator close: drops every reference from this context to the allocator's objects, so the
     * {@code ThreadLocal} entry that a still-living thread keeps no longer holds the closed allocator (and
     * through it the {@code ThreadLocal} key itself) strongly: the entry is then expunged as a stale one.
     */
    void detach()
    {
        arena = null;
        useStripes = true;
        outbox.clear();
    }

    public String toString()
    {
        return "ThreadContext{thread=" + thread.getName() + ", arena=" + (arena == null ? "-" : Integer.toString(arena.id)) +
            ", useStripes=" + useStripes + '}';
    }
}
