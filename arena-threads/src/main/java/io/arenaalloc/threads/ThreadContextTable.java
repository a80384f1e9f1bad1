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
 *   primary: ThreadContext  the busiest registered thread's context (the first to register until a scan finds
 *                           another allocating at least twice as much; see ThreadRegistry step 2b), or null
 *   slots: ThreadContext[1024], direct-mapped by thread id:  slots[(int) tid &amp; 1023]
 *     |  0  |  1: ctx(thread 1025) | ... | 37: ctx(thread 37) | ... | 1023 |
 * </pre>
 * A slot holds at most one context; a thread whose slot is taken by another living thread is simply not in
 * the table and is found through the allocator's {@code ThreadLocal} (the slow path), so the table is a
 * cache: it is never needed for correctness.
 *
 * <h2>Why a primary context</h2>
 * The slot's index needs the thread id, so the slot path is a chain of dependent loads before the context is
 * known: {@code Thread.currentThread()} (two loads), its {@code tid}, the slot, then the context's own arena;
 * every allocator call waits for that chain. The primary context is one load away ({@code table.primary}), and
 * the thread is only compared with it, which the processor predicts instead of waiting for. Measured on the
 * owner's churn-small pair (same-JVM A/B of the two builds, both role orders): 10-19% faster, about 2-3.5 ns a
 * pair. One thread gets it: the first to register, and from then on the busiest one, as the liveness scan
 * measures them (allocations from the thread's own arena since the last scan, {@link ThreadRegistry} step 2b); in
 * the applications this library aims at that is often the only hot one (a trading engine's business thread, a
 * game's main loop), even when another thread set things up first. Every other thread pays the load and compare
 * before its slot lookup, a fraction of a nanosecond, on a line written once per change of primary. Threads that
 * want the short path too hold their {@link LocalAllocator}.
 *
 * <h2>Algorithms</h2>
 * <ol>
 *   <li><b>find</b> (any thread, {@link #findPlain}): p = primary, a plain load; return p when
 *   {@code p.thread == current}. Else c = slots[tid &amp; 1023], a plain load; return c when
 *   {@code c.thread == current}, else null.</li>
 *   <li><b>claim</b> (the thread itself, when it registers): CAS primary from null to its context (lost: another
 *   thread is primary); CAS the empty slot to its context (lost: the thread stays out of the table for good).</li>
 *   <li><b>promote</b> (the liveness scan): CAS primary from the current context to a busier one.</li>
 *   <li><b>release</b> (the liveness scan after the thread ended; allocator close): CAS the context out of primary
 *   and out of its slot. The next thread to register, or the busiest at the next scan, becomes primary.</li>
 * </ol>
 * <b>Why plain loads are enough</b> (a benign race): the only context {@code find} returns is the caller's own,
 * whose fields the fast path uses were written by the caller itself (program order), whoever stored the reference
 * (the caller when it claimed, the liveness scan when it promoted). Any other value it may read (null, a context of
 * another thread, possibly a stale one) fails the identity check, and {@code ThreadContext.thread} is a final
 * field, so even a context read through a race shows its thread correctly. Another thread only ever replaces the
 * primary with a living thread's context (promote), removes contexts of ended threads, or clears everything at
 * {@link ArenaAllocator#close()}, which must happen-after every other call: a call that (wrongly) comes after close
 * sees the cleared primary and slot and takes the slow path, which throws.
 */
final class ThreadContextTable
{
    static final int SIZE = 1024;
    private static final int MASK = SIZE - 1;
    private static final VarHandle SLOTS = MethodHandles.arrayElementVarHandle(ThreadContext[].class);
    private static final VarHandle PRIMARY;

    static
    {
        try
        {
            PRIMARY = MethodHandles.lookup().findVarHandle(ThreadContextTable.class, "primary", ThreadContext.class);
        }
        catch (final ReflectiveOperationException ex)
        {
            throw new ExceptionInInitializerError(ex);
        }
    }

    /** The slots (read directly by tests only). */
    final ThreadContext[] slots = new ThreadContext[SIZE];
    /** The primary context (see the class comment), or null. Read plain by {@link #findPlain}; changed by CAS. */
    private ThreadContext primary;

    /**
     * Any thread: find in {@code slots}, the {@link #slots} of a table.
     * @return the calling thread's context when it is in the table, else null.
     */
    @SuppressWarnings("deprecation") // Thread.getId(): threadId() is JDK 19+; both read the same final field
    ThreadContext findPlain(final Thread current)
    {
        final ThreadContext p = primary;
        if (p != null && p.thread == current)
        {
            return p;
        }
        final ThreadContext c = slots[(int)current.getId() & MASK];
        return c != null && c.thread == current ? c : null;
    }

    /**
     * The liveness scan: hands the primary from {@code from} (the current one, or null) to {@code to}, a living
     * registered thread's context. @return false when the primary changed meanwhile (nothing done).
     */
    boolean promote(final ThreadContext from, final ThreadContext to)
    {
        return PRIMARY.compareAndSet(this, from, to);
    }

    /** For tests and diagnostics: the primary context, or null. */
    ThreadContext primaryPlain()
    {
        return primary;
    }

    /** The context's own thread, at registration. @return true when {@code c} is now in the table. */
    @SuppressWarnings("deprecation")
    boolean claim(final ThreadContext c)
    {
        PRIMARY.compareAndSet(this, (ThreadContext)null, c);
        return SLOTS.compareAndSet(slots, (int)c.thread.getId() & MASK, (ThreadContext)null, c);
    }

    /** Liveness scan (after the thread ended) or allocator close: takes {@code c} out if it is in. */
    @SuppressWarnings("deprecation")
    void release(final ThreadContext c)
    {
        PRIMARY.compareAndSet(this, c, (ThreadContext)null);
        SLOTS.compareAndSet(slots, (int)c.thread.getId() & MASK, c, (ThreadContext)null);
    }
}
