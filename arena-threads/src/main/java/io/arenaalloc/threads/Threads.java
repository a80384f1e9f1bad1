package io.arenaalloc.threads;

import org.agrona.UnsafeApi;

import java.lang.invoke.MethodHandle;
import java.lang.invoke.MethodHandles;
import java.lang.invoke.MethodType;
import java.util.concurrent.ThreadLocalRandom;

/**
 * What the allocator needs to know about the calling thread, without allocating.
 *
 * <ul>
 *   <li>{@link #isVirtual}: {@code Thread.isVirtual()} on JDK 21+ (through a constant method handle the JIT
 *   inlines), false on JDK 17..20 where no virtual threads exist.</li>
 *   <li>{@link #probe} / {@link #advanceProbe}: the thread's probe hash, the same per-thread field that
 *   {@code LongAdder} and {@code ConcurrentHashMap} use to pick and re-pick a cell
 *   ({@code Thread.threadLocalRandomProbe}, read with {@code jdk.internal.misc.Unsafe}, which this library
 *   already needs). It lives in the {@code Thread} object, so it costs no {@code ThreadLocal} and no
 *   garbage, even for millions of virtual threads. If the field cannot be found, a hash of the thread id
 *   stands in and re-hashing is not remembered between calls.</li>
 * </ul>
 * <pre>
 *   stripe index = probe &amp; (stripes - 1)        probe: 32-bit xorshift state, never 0 once initialized
 *   advance: p ^= p &lt;&lt; 13; p ^= p &gt;&gt;&gt; 17; p ^= p &lt;&lt; 5   (Marsaglia, as ThreadLocalRandom.advanceProbe)
 * </pre>
 */
final class Threads
{
    private static final MethodHandle IS_VIRTUAL;
    private static final long PROBE_OFFSET;

    static
    {
        MethodHandle isVirtual = null;
        try
        {
            isVirtual = MethodHandles.publicLookup().findVirtual(Thread.class, "isVirtual", MethodType.methodType(boolean.class));
        }
        catch (final NoSuchMethodException | IllegalAccessException ex)
        {
            // JDK 17..20: no virtual threads
        }
        IS_VIRTUAL = isVirtual;
        long offset = -1;
        try
        {
            offset = UnsafeApi.objectFieldOffset(Thread.class, "threadLocalRandomProbe");
        }
        catch (final RuntimeException | LinkageError ex)
        {
            // fall back to a hash of the thread id
        }
        PROBE_OFFSET = offset;
    }

    private Threads()
    {
    }

    /** @return true when the JDK has virtual threads (21+). */
    static boolean virtualThreadsSupported()
    {
        return IS_VIRTUAL != null;
    }

    static boolean isVirtual(final Thread thread)
    {
        if (IS_VIRTUAL == null)
        {
            return false;
        }
        try
        {
            return (boolean)IS_VIRTUAL.invokeExact(thread);
        }
        catch (final Throwable ex)
        {
            throw new IllegalStateException("Thread.isVirtual() failed", ex);
        }
    }

    /** @return the calling thread's probe, non-zero. */
    static int probe()
    {
        if (PROBE_OFFSET < 0)
        {
            final long id = Thread.currentThread().getId();
            final int h = (int)(id * 0x9E3779B97F4A7C15L >>> 32);
            return h == 0 ? 1 : h;
        }
        final Thread t = Thread.currentThread();
        int p = UnsafeApi.getInt(t, PROBE_OFFSET);
        if (p == 0)
        {
            ThreadLocalRandom.current(); // initializes the probe (localInit)
            p = UnsafeApi.getInt(t, PROBE_OFFSET);
            if (p == 0)
            {
                p = 1;
            }
        }
        return p;
    }

    /** Sets the calling thread's probe to {@code probe}, which is not 0. */
    static void storeProbe(final int probe)
    {
        if (PROBE_OFFSET >= 0)
        {
            UnsafeApi.putInt(Thread.currentThread(), PROBE_OFFSET, probe);
        }
    }

    /** Moves the calling thread to another probe value after contention. @return the new probe. */
    static int advanceProbe(final int probe)
    {
        int p = probe;
        p ^= p << 13;
        p ^= p >>> 17;
        p ^= p << 5;
        if (p == 0)
        {
            p = 1;
        }
        if (PROBE_OFFSET >= 0)
        {
            UnsafeApi.putInt(Thread.currentThread(), PROBE_OFFSET, p);
        }
        return p;
    }
}
