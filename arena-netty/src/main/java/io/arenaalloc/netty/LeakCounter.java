package io.arenaalloc.netty;

import io.netty.buffer.ByteBuf;
import io.netty.buffer.ByteBufAllocator;
import io.netty.util.ResourceLeakDetector;

import java.lang.reflect.Field;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.atomic.AtomicLong;

/**
 * Counts the leaks Netty's {@code ByteBuf} leak detector reports, so tests and servers can assert "no leak"
 * instead of reading logs.
 *
 * <h2>Vocabulary</h2>
 * <ul>
 *   <li><b>ByteBuf detector</b>: the one {@link ResourceLeakDetector} that every allocator's
 *   {@code toLeakAwareBuffer} registers buffers with (a static field of Netty's {@code AbstractByteBuf}).</li>
 *   <li><b>leak</b>: a tracked buffer that became unreachable before its reference count reached 0. The
 *   detector notices it only on a later {@code track} (a later allocation), after the GC enqueued it, and
 *   reports each distinct record text once.</li>
 * </ul>
 *
 * <h2>Steps</h2>
 * <ol>
 *   <li>{@link #install()}: find the ByteBuf detector by reflection (Netty on the class path) and set this
 *   counter as its {@link ResourceLeakDetector.LeakListener} (replacing any other listener). Idempotent.</li>
 *   <li>Run the workload at the level to check ({@code ResourceLeakDetector.setLevel(PARANOID)} tracks every
 *   buffer).</li>
 *   <li>{@link #sweep(ByteBufAllocator, int)}: GC, then allocate and release a buffer to make the detector
 *   poll its queue; repeat. Then {@link #leaks()} is exact for what was unreachable.</li>
 * </ol>
 * The detector reports only when its logger has ERROR enabled (Netty's rule); reports are also logged.
 * Thread safe.
 */
public final class LeakCounter implements ResourceLeakDetector.LeakListener
{
    /** Reports kept for {@link #reports()}; later ones are counted only. */
    public static final int MAX_KEPT_REPORTS = 16;

    private static final LeakCounter INSTANCE = new LeakCounter();
    private static boolean installed;

    private final AtomicLong leaks = new AtomicLong();
    private final List<String> reports = new ArrayList<>();

    private LeakCounter()
    {
    }

    /**
     * Attaches the counter to Netty's ByteBuf leak detector.
     * @throws IllegalStateException when the detector cannot be reached (Netty on the module path).
     */
    public static synchronized LeakCounter install()
    {
        if (!installed)
        {
            byteBufLeakDetector().setLeakListener(INSTANCE);
            installed = true;
        }
        return INSTANCE;
    }

    private static ResourceLeakDetector<?> byteBufLeakDetector()
    {
        try
        {
            final Field f = Class.forName("io.netty.buffer.AbstractByteBuf").getDeclaredField("leakDetector");
            f.setAccessible(true);
            return (ResourceLeakDetector<?>)f.get(null);
        }
        catch (final ReflectiveOperationException | RuntimeException ex)
        {
            throw new IllegalStateException("cannot reach io.netty.buffer.AbstractByteBuf.leakDetector (" + ex +
                "); LeakCounter needs netty-buffer on the class path", ex);
        }
    }

    @Override
    public void onLeak(final String resourceType, final String records)
    {
        leaks.incrementAndGet();
        synchronized (reports)
        {
            if (reports.size() < MAX_KEPT_REPORTS)
            {
                reports.add(resourceType + ": " + records);
            }
        }
    }

    /** @return leaks reported since install or {@link #reset()}. */
    public long leaks()
    {
        return leaks.get();
    }

    /** @return the first {@link #MAX_KEPT_REPORTS} reports (resource type and the detector's records). */
    public List<String> reports()
    {
        synchronized (reports)
        {
            return new ArrayList<>(reports);
        }
    }

    public void reset()
    {
        leaks.set(0);
        synchronized (reports)
        {
            reports.clear();
        }
    }

    /**
     * Makes the detector look at what the GC found: {@code rounds} times, a GC and a short pause, then one
     * tracked allocation and release through {@code alloc}. Exact at PARANOID level (every allocation
     * polls); at lower levels only sampled allocations poll.
     * @return {@link #leaks()} afterwards.
     */
    public long sweep(final ByteBufAllocator alloc, final int rounds)
    {
        if (alloc == null)
        {
            throw new IllegalArgumentException("alloc=null, expected the allocator whose buffers to check");
        }
        if (rounds < 1)
        {
            throw new IllegalArgumentException("rounds=" + rounds + ", expected >= 1");
        }
        for (int i = 0; i < rounds; i++)
        {
            System.gc();
            try
            {
                Thread.sleep(20);
            }
            catch (final InterruptedException ex)
            {
                Thread.currentThread().interrupt();
                break;
            }
            final ByteBuf probe = alloc.directBuffer(1);
            probe.release();
        }
        return leaks();
    }

    @Override
    public String toString()
    {
        return "LeakCounter{leaks=" + leaks() + '}';
    }
}
