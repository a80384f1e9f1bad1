package io.arenaalloc.bench.subject;

import static java.lang.foreign.ValueLayout.ADDRESS;
import static java.lang.foreign.ValueLayout.JAVA_LONG;

import java.lang.foreign.FunctionDescriptor;
import java.lang.foreign.Linker;
import java.lang.foreign.MemorySegment;
import java.lang.invoke.MethodHandle;

/**
 * {@code ffm}: what a user writes with {@code java.lang.foreign} (final in JDK 22) when they want
 * {@code malloc}/{@code free} semantics, i.e. blocks with individual lifetimes, any of which may be
 * freed at any time by any thread: downcall handles to the C library's {@code malloc} and
 * {@code free} from {@link Linker#nativeLinker()}, each block held as a {@link MemorySegment}
 * {@linkplain MemorySegment#reinterpret(long) resized} to its requested size (the user then reads and
 * writes it with bounds checks, which the harness does not).
 *
 * <p>This is the pattern the {@link Linker} Javadoc itself shows for pointers returned by native
 * functions ({@code malloc}/{@code free} downcalls behind a custom arena), and the only FFM
 * approach that serves every allocation workload of the contract unchanged. The alternatives were
 * rejected because they are not a malloc/free pair a user would run these workloads with:
 * <ul>
 * <li>{@code Arena.ofConfined()} per block (allocate, {@code close()} to free): a free from another
 *     thread throws {@code WrongThreadException}, so {@code handoff} and {@code larson} could not run;
 *     and every block costs an arena, a session and a segment object plus zeroing of the memory.</li>
 * <li>{@code Arena.ofShared()} per block: a cross-thread free works, but {@code close()} of a shared
 *     arena performs a thread-local handshake with every Java thread; nobody frees small blocks that
 *     way, and it would measure the handshake rather than allocation.</li>
 * <li>{@code Arena.ofAuto()} (free left to the GC) and {@code Arena.global()} (never freed) cannot
 *     free a chosen block at all, so churn and frag would not mean the same thing as for the other
 *     subjects.</li>
 * </ul>
 *
 * <p>Compared with {@code malloc} ({@code Unsafe.allocateMemory}, the same glibc allocator), this
 * row therefore shows the cost of the FFM call path (a downcall stub with a thread-state transition;
 * the handles are not {@link Linker.Option#critical critical}, since {@code malloc} may block in
 * {@code mmap} or on a lock, which critical functions must not) and of holding blocks as segments:
 * one {@code MemorySegment} per block is retained in the slot table, so the {@code alloc} metric
 * (GC profiler bytes per operation) is not zero. Zero garbage is not required of baselines; the
 * figure is reported as measured.
 *
 * <p>Footprint ({@code frag}): like {@code malloc}, the growth of the process's resident set (glibc
 * offers no per-allocator figure here), and no idle-time maintenance (neither does {@code malloc}).
 *
 * <p>This class is compiled only when the build runs on JDK 22+ and lands in
 * {@code META-INF/versions/22} of the multi-release bench jar; {@link Subjects} loads it reflectively
 * on JDK 22+ and reports {@code ffm} as skipped with the reason elsewhere.
 */
@SuppressWarnings("restricted") // downcallHandle and reinterpret are restricted: the jar and the forks enable native access
final class FfmSubject implements Subject
{
    private static final MethodHandle MALLOC;
    private static final MethodHandle FREE;

    static
    {
        final Linker linker = Linker.nativeLinker();
        MALLOC = linker.downcallHandle(
            linker.defaultLookup().find("malloc").orElseThrow(() -> new IllegalStateException("no malloc in the C library")),
            FunctionDescriptor.of(ADDRESS, JAVA_LONG));
        FREE = linker.downcallHandle(
            linker.defaultLookup().find("free").orElseThrow(() -> new IllegalStateException("no free in the C library")),
            FunctionDescriptor.ofVoid(ADDRESS));
    }

    private final MemorySegment[] segments;
    private boolean closed;

    FfmSubject(final int slots)
    {
        this.segments = new MemorySegment[slots];
    }

    @Override
    public String name()
    {
        return Subjects.FFM;
    }

    @Override
    public int slots()
    {
        return segments.length;
    }

    @Override
    public long allocate(final int slot, final int size)
    {
        final MemorySegment raw;
        try
        {
            raw = (MemorySegment)MALLOC.invokeExact((long)size);
        }
        catch (final Throwable ex)
        {
            throw new IllegalStateException("malloc(" + size + ") downcall failed", ex);
        }
        if (raw.address() == 0)
        {
            // what Unsafe.allocateMemory (the malloc subject) does on a NULL return as well
            throw new OutOfMemoryError("malloc(" + size + ") returned NULL");
        }
        final MemorySegment block = raw.reinterpret(size);
        segments[slot] = block;
        return block.address();
    }

    @Override
    public void free(final int slot)
    {
        final MemorySegment block = segments[slot];
        segments[slot] = null;
        try
        {
            FREE.invokeExact(block);
        }
        catch (final Throwable ex)
        {
            throw new IllegalStateException("free downcall failed", ex);
        }
    }

    @Override
    public boolean isLive(final int slot)
    {
        return segments[slot] != null;
    }

    @Override
    public void close()
    {
        if (closed)
        {
            return;
        }
        closed = true;
        for (int i = 0; i < segments.length; i++)
        {
            if (segments[i] != null)
            {
                free(i);
            }
        }
    }
}
