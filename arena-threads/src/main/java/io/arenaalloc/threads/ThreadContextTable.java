package io.arenaalloc.threads;

import java.lang.invoke.MethodHandles;
import java.lang.invoke.VarHandle;

/**
 * Finds the calling platform thread's {@link ThreadContext} without a {@code ThreadLocal}: the first step of
 * every {@link Policy#PER_THREAD} call, so it is on the owner's fast path and must cost less than a
 * {@code ThreadLocal.get()} (which walks {@code Thread.threadLocals}, hashes into its table and checks a weak
 * reference: about 5 ns measured on the owner's allocate).
 *
 * <h2>Layout</h2>
 * <pre>
 *   slots: ThreadContext[1024], direct-mapped by thread id:  slots[(int) tid &amp; 1023]
 *     |  0  |  1: ctx(thread 1025) | ... | 37: ctx(thread 37) | ... | 1023 |
 * </pre>
 * A slot holds at most one context; a thread whose slot is taken by another living thread is simply not in
 * the table and is found through the allocator's {@code ThreadLocal} (the slow path), so the table is a
 * cache: it is never needed for correctness.
 *
 * <h2>Algorithms</h2>
 * <ol>
 *   <li><b>find</b> (any thread, {@link #findPlain}): c = slots[tid &amp; 1023], a plain load; return c when
 *   {@code c.thread == current}, else null. Two dependent loads after {@code Thread.currentThread()}.</li>
 *   <li><b>claim</b> (the thread itself, when it registers): CAS the empty slot to its context; lost: the
 *   thread stays out of the table for good.</li>
 *   <li><b>release</b> (the liveness scan after the thread ended; allocator close): CAS the context out.</li>
 * </ol>
 * <b>Why a plain load is enough</b> (a benign race): the only context {@code find} returns is the caller's
 * own, which the caller itself stored (program order). Any other value it may read (null, a context of
 * another thread, possibly a stale one) fails the identity check, and {@code ThreadContext.thread} is a
 * final field, so even a context read through a race shows its thread correctly. A release by another
 * thread only ever removes contexts of ended threads, or happens at {@link ArenaAllocator#close()}, which
 * must happen-after every other call: a call that (wrongly) comes after close sees the cleared slot and
 * takes the slow path, which throws.
 */
final class ThreadContextTable
{
    static final int SIZE = 1024;
    private static final int MASK = SIZE - 1;
    private static final VarHandle SLOTS = MethodHandles.arrayElementVarHandle(ThreadContext[].class);

    /** The slots; the allocator keeps this array in a final field of its own, one load fewer on its fast path. */
    final ThreadContext[] slots = new ThreadContext[SIZE];

    /**
     * Any thread: find in {@code slots}, the {@link #slots} of a table.
     * @return the calling thread's context when it is in the table, else null.
     */
    @SuppressWarnings("deprecation") // Thread.getId(): threadId() is JDK 19+; both read the same final field
    static ThreadContext findPlain(final ThreadContext[] slots, final Thread current)
    {
        final ThreadContext c = slots[(int)current.getId() & MASK];
        return c != null && c.thread == current ? c : null;
    }

    /** The context's own thread, at registration. @return true when {@code c} is now in the table. */
    @SuppressWarnings("deprecation")
    boolean claim(final ThreadContext c)
    {
        return SLOTS.compareAndSet(slots, (int)c.thread.getId() & MASK, (ThreadContext)null, c);
    }

    /** Liveness scan (after the thread ended) or allocator close: takes {@code c} out if it is in. */
    @SuppressWarnings("deprecation")
    void release(final ThreadContext c)
    {
        SLOTS.compareAndSet(slots, (int)c.thread.getId() & MASK, c, (ThreadContext)null);
    }
}
