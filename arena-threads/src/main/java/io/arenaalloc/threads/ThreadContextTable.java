package io.arenaalloc.threads;

import java.lang.invoke.MethodHandles;
import java.lang.invoke.VarHandle;

/**
 * Finds the calling platform thread's {@link ThreadContext} without a {@code ThreadLocal}: the first step of
 * every {@link Policy#PER_THREAD} call, so it is on the owner's fast path and must cost less than a
 * {@code ThreadLocal.get()} (which walks {@code Thread.threadLocals}, hashes into its table and checks a weak
 * reference: about 5 ns measured on the owner's allocate).
 *
 * <h2>Vocabulary</h2>
 * <ul>
 *   <li><b>hot set</b>: up to {@link #HOT} (2) contexts held in the fields {@code hot0} and {@code hot1}, each one
 *   load away from the table. The first {@code HOT} threads to register get them; from then on the liveness scan
 *   keeps the busiest living threads there ({@link ThreadRegistry} step 2b). The <b>primary</b> is {@code hot0}'s
 *   context.</li>
 *   <li><b>slot</b>: the direct-mapped entry {@code slots[tid & 1023]} that every registered thread also tries to
 *   claim; the path of the threads outside the hot set.</li>
 * </ul>
 *
 * <h2>Layout</h2>
 * <pre>
 *   hot0 | hot1 : ThreadContext   the hot set (null where free), plain fields of this object, which is the
 *                                 ArenaAllocator itself (see "Why a superclass")
 *   slots: ThreadContext[1024], direct-mapped by thread id:  slots[(int) tid &amp; 1023]
 *     |  0  |  1: ctx(thread 1025) | ... | 37: ctx(thread 37) | ... | 1023 |
 * </pre>
 * A slot holds at most one context; a thread whose slot is taken by another living thread is simply not in
 * the slots and, unless it is in the hot set, is found through the allocator's {@code ThreadLocal} (the slow path),
 * so the table is a cache: it is never needed for correctness. A hot context is in its slot too when it won it.
 *
 * <h2>Why a hot set</h2>
 * The slot's index needs the thread id, so the slot path is a chain of dependent loads before the context is
 * known: {@code Thread.currentThread()} (two loads), its {@code tid}, the slot, then the context's own arena;
 * every allocator call waits for that chain. A hot context is one load away ({@code allocator.hotN}), and the thread is
 * only compared with it, which the processor predicts instead of waiting for. Measured on the owner's churn-small
 * pair with one hot field (same-JVM A/B of the two builds, both role orders): 10-19% faster, about 2-3.5 ns a pair.
 * With one field only the first (or busiest) thread got it, so in a pipeline of two busy threads (larson, handoff,
 * a market-data thread feeding a strategy thread, a game's main and render threads) one of them took the slot path
 * on every call. Why two and not more: each field is one more load and compare that every thread outside the set
 * pays before its slot lookup. Measured on churn-small in one JVM ({@code tools/facade-interleave}, the time of a
 * thread outside the set over the primary's): 1.11-1.14x with one field, 1.05-1.10x with two, 1.13-1.21x with four
 * (a larger {@code findPlain}). The second thread's own time went from the slot path's 1.11-1.14x the primary's
 * to 0.95-1.08x. Threads that want the short path whatever happens hold their {@link LocalAllocator}.
 *
 * <h2>Why a superclass</h2>
 * {@link ArenaAllocator} extends this class (the field-holder superclass of JCTools' queues), so the hot fields and
 * {@code slots} are fields of the allocator: the fast path loads {@code this.hot0} where a separate table object
 * cost a load of {@code allocator.table} first, on every call, in the chain the identity check waits for. The
 * fast path also tests no policy: under {@link Policy#STRIPED} no thread registers, so every field and slot stays
 * null and {@code find} returns null, as the policy test did. Measured (FacadeCostBenchmark, 3 forks x 5 x 1 s,
 * the builds alternating, each ratio against the same run's bare arena, 2026-12-05): the primary 1.23-1.27x with a
 * separate table, 1.11-1.13x as a superclass; the hot set's second thread 1.32-1.37x, 1.12-1.19x; a thread outside
 * the hot set 1.29-1.36x either way (its slot chain is the cost). Four hot fields instead of two, tried in the same
 * runs: primary 1.15-1.16x, second 1.21-1.22x, outside 1.32-1.38x, so two stay.
 *
 * <h2>Algorithms</h2>
 * <ol>
 *   <li><b>find</b> (any thread, {@link #findPlain}): for h in hot0, hot1, a plain load each: return h when
 *   {@code h.thread == current}. Else c = slots[tid &amp; 1023], a plain load; return c when
 *   {@code c.thread == current}, else null.</li>
 *   <li><b>claim</b> (the thread itself, when it registers): CAS the first free hot field from null to its context
 *   (none free, or every CAS lost: it stays out of the hot set until a scan promotes it); CAS the empty slot to its
 *   context (lost: the thread stays out of the slots for good).</li>
 *   <li><b>promote</b> (the liveness scan): CAS one hot field from its current context (or null) to a busier
 *   one.</li>
 *   <li><b>release</b> (the liveness scan after the thread ended; allocator close): CAS the context out of every hot
 *   field and out of its slot. The next thread to register, or the busiest at the next scan, takes the field.</li>
 * </ol>
 * <b>Why plain loads are enough</b> (a benign race): the only context {@code find} returns is the caller's own,
 * whose fields the fast path uses were written by the caller itself (program order), whoever stored the reference
 * (the caller when it claimed, the liveness scan when it promoted). Any other value it may read (null, a context of
 * another thread, possibly a stale one) fails the identity check, and {@code ThreadContext.thread} is a final
 * field, so even a context read through a race shows its thread correctly. Another thread only ever replaces a
 * hot context with a living thread's context (promote), removes contexts of ended threads, or clears everything at
 * {@link ArenaAllocator#close()}, which must happen-after every other call: a call that (wrongly) comes after close
 * sees the cleared fields and slot and takes the slow path, which throws. A context may sit in both hot fields (a
 * scan promoted it between its registration and its own claim, which then took the other, free field) until a
 * scan replaces one or the context is released: find returns the same context from either, and release clears
 * both.
 */
class ThreadContextTable
{
    /** Size of the hot set: contexts one load away from the allocator ({@code hot0}, {@code hot1}). */
    static final int HOT = 2;
    static final int SIZE = 1024;
    private static final int MASK = SIZE - 1;
    private static final VarHandle SLOTS = MethodHandles.arrayElementVarHandle(ThreadContext[].class);
    private static final VarHandle HOT0;
    private static final VarHandle HOT1;

    static
    {
        try
        {
            final MethodHandles.Lookup lookup = MethodHandles.lookup();
            HOT0 = lookup.findVarHandle(ThreadContextTable.class, "hot0", ThreadContext.class);
            HOT1 = lookup.findVarHandle(ThreadContextTable.class, "hot1", ThreadContext.class);
        }
        catch (final ReflectiveOperationException ex)
        {
            throw new ExceptionInInitializerError(ex);
        }
    }

    /** The slots (read directly by tests only). */
    final ThreadContext[] slots = new ThreadContext[SIZE];
    /** The hot set (see the class comment): read plain by {@link #findPlain}; changed by CAS. */
    private ThreadContext hot0;
    private ThreadContext hot1;

    /**
     * Any thread: find in the hot set, then in {@link #slots}.
     * @return the calling thread's context when it is in the table, else null.
     */
    @SuppressWarnings("deprecation") // Thread.getId(): threadId() is JDK 19+; both read the same final field
    ThreadContext findPlain(final Thread current)
    {
        ThreadContext h = hot0;
        if (h != null && h.thread == current)
        {
            return h;
        }
        h = hot1;
        if (h != null && h.thread == current)
        {
            return h;
        }
        final ThreadContext c = slots[(int)current.getId() & MASK];
        return c != null && c.thread == current ? c : null;
    }

    /** @return the context in hot field {@code i} (0 .. {@link #HOT} - 1), or null; a plain read. */
    ThreadContext hotPlain(final int i)
    {
        switch (i)
        {
            case 0: return hot0;
            case 1: return hot1;
            default: throw new IllegalArgumentException("i=" + i + ", expected 0 .. " + (HOT - 1));
        }
    }

    /** CAS of hot field {@code i}, each through its own constant VarHandle. */
    private boolean casHot(final int i, final ThreadContext from, final ThreadContext to)
    {
        switch (i)
        {
            case 0: return HOT0.compareAndSet(this, from, to);
            case 1: return HOT1.compareAndSet(this, from, to);
            default: throw new IllegalArgumentException("i=" + i + ", expected 0 .. " + (HOT - 1));
        }
    }

    /** @return true when {@code c} is in one of the hot fields (plain reads). */
    boolean isHot(final ThreadContext c)
    {
        return hot0 == c || hot1 == c;
    }

    /**
     * The liveness scan: hands hot field {@code i} from {@code from} (its current context, or null) to {@code to}, a
     * living registered thread's context. @return false when the field changed meanwhile (nothing done).
     */
    boolean promote(final int i, final ThreadContext from, final ThreadContext to)
    {
        return casHot(i, from, to);
    }

    /** For tests and diagnostics: the primary context ({@code hot0}), or null. */
    ThreadContext primaryPlain()
    {
        return hot0;
    }

    /** The context's own thread, at registration. @return true when {@code c} is now in the slots. */
    @SuppressWarnings("deprecation")
    boolean claim(final ThreadContext c)
    {
        for (int i = 0; i < HOT; i++)
        {
            if (hotPlain(i) == null && casHot(i, null, c))
            {
                break;
            }
        }
        return SLOTS.compareAndSet(slots, (int)c.thread.getId() & MASK, (ThreadContext)null, c);
    }

    /** Liveness scan (after the thread ended) or allocator close: takes {@code c} out wherever it is. */
    @SuppressWarnings("deprecation")
    void release(final ThreadContext c)
    {
        for (int i = 0; i < HOT; i++)
        {
            casHot(i, c, null);
        }
        SLOTS.compareAndSet(slots, (int)c.thread.getId() & MASK, c, (ThreadContext)null);
    }
}
