package io.arenaalloc.bench.subject;

import org.lwjgl.system.rpmalloc.RPmalloc;

/**
 * {@code rpmalloc}: LWJGL's bundled rpmalloc through {@code nrpmalloc/nrpfree}. rpmalloc needs
 * {@code rpmalloc_initialize()} once per process (done on first construction) and
 * {@code rpmalloc_thread_initialize()} on every thread that allocates or frees
 * ({@link #attachThread()}, which the harness calls on each of its threads).
 */
final class RpmallocSubject extends AddressSlots
{
    private static boolean initialized;

    RpmallocSubject(final int slots)
    {
        super(Subjects.RPMALLOC, slots);
        initializeProcess();
        attachThread();
    }

    private static synchronized void initializeProcess()
    {
        if (!initialized)
        {
            // rpmalloc_initialize() returns 0 on success (LWJGL's boolean wrapper maps that to false)
            final int status = RPmalloc.nrpmalloc_initialize();
            if (status != 0)
            {
                throw new IllegalStateException("rpmalloc_initialize() failed: status=" + status);
            }
            initialized = true;
        }
    }

    @Override
    public void attachThread()
    {
        if (!RPmalloc.rpmalloc_is_thread_initialized())
        {
            RPmalloc.rpmalloc_thread_initialize();
        }
    }

    /** Idle: {@code rpmalloc_thread_collect()}, which applies the deferred frees pending for this thread's heap. */
    @Override
    public void idle(final long budgetNanos)
    {
        RPmalloc.rpmalloc_thread_collect();
    }

    @Override
    protected long malloc(final long size)
    {
        return RPmalloc.nrpmalloc(size);
    }

    @Override
    protected void release(final long address)
    {
        RPmalloc.nrpfree(address);
    }
}
