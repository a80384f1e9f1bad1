package io.arenaalloc.bench.subject;

import java.util.List;

import io.arenaalloc.threads.Policy;
import org.agrona.UnsafeApi;

/**
 * Names, construction and availability of every benchmark subject (GUIDE section 2).
 *
 * <p>A subject that cannot run here is never dropped: {@link #skipReason(String, boolean)} names the
 * reason, and the suite writes a {@code "skipped"} row in place of the figures. Reasons are either
 * static (the JDK is too old) or found by
 * {@link #probe(String)}, which builds the subject in the launching JVM, allocates, writes, reads
 * and frees one block, and closes it (natives that fail to load, an arena that throws, ...).
 */
public final class Subjects
{
    public static final String ARENA = "arena";
    public static final String ARENA_STRIPED = "arena-striped";
    public static final String NETTY_POOLED = "netty-pooled";
    public static final String NETTY_ADAPTIVE = "netty-adaptive";
    public static final String MALLOC = "malloc";
    public static final String ALLOCATE_DIRECT = "allocate-direct";
    public static final String JEMALLOC = "jemalloc";
    public static final String RPMALLOC = "rpmalloc";
    public static final String FFM = "ffm";

    /** Every subject of the allocation workloads, this library first, in report order. */
    public static final List<String> ALL = List.of(
        ARENA, ARENA_STRIPED, NETTY_POOLED, NETTY_ADAPTIVE, MALLOC, ALLOCATE_DIRECT, JEMALLOC, RPMALLOC, FFM);

    /** {@code access}: a read through a fixed address (the baseline). */
    public static final String RAW = "raw";
    /** {@code access}: {@code arena.resolve(handle)}, then the read. */
    public static final String ARENA_RESOLVE = "arena-resolve";
    /** {@code access}: {@code arena.pin(handle)}, the read, {@code arena.unpin(handle)}. */
    public static final String ARENA_PIN = "arena-pin";
    /** {@code compact}: the bytes the compactor moved, copied plainly. */
    public static final String MEMCPY = "memcpy";

    /** Subjects of the {@code access} workload, baseline first. */
    public static final List<String> ACCESS = List.of(RAW, ARENA_RESOLVE, ARENA_PIN);

    /** Every name {@code --subjects} accepts: the allocators, then the access and compact subjects. */
    public static final List<String> KNOWN = List.of(
        ARENA, ARENA_STRIPED, NETTY_POOLED, NETTY_ADAPTIVE, MALLOC, ALLOCATE_DIRECT, JEMALLOC, RPMALLOC, FFM,
        RAW, ARENA_RESOLVE, ARENA_PIN, MEMCPY);

    /** Skip reason of {@code allocate-direct} in {@code frag}. */
    public static final String FRAG_ALLOCATE_DIRECT = "frag measures native footprint: allocate-direct's blocks " +
        "come from the same malloc as the malloc row, and its resident set would also count its Java-heap buffer objects";

    /** Skip reason of {@code arena-striped} in {@code frag}. */
    public static final String FRAG_ARENA_STRIPED = "frag measures arena with movable blocks (allocateHandle + " +
        "compaction); a run through the striped facade is not wired up yet";

    private static final int FFM_MIN_FEATURE = 22;

    /**
     * The {@code ffm} subject's class. It exists only in {@code META-INF/versions/22} of the
     * multi-release bench jar (and, for tests, in the versioned output directory that the JDK 22+
     * build profile puts on the test class path), compiled from {@code src/main/java22} when the
     * build runs on JDK 22+; this class is compiled for Java 17 and must not name it.
     */
    static final String FFM_CLASS = "io.arenaalloc.bench.subject.FfmSubject";

    private Subjects()
    {
    }

    /**
     * Build a subject.
     *
     * @param name  a name from {@link #ALL}.
     * @param slots size of its slot table.
     * @return a new subject; the caller closes it.
     * @throws UnsupportedOperationException for a subject that has no implementation here.
     * @throws IllegalArgumentException      for an unknown name.
     */
    public static Subject create(final String name, final int slots)
    {
        return create(name, slots, false);
    }

    /**
     * Build a subject for a workload.
     *
     * @param name          a name from {@link #ALL}.
     * @param slots         size of its slot table.
     * @param multiThreaded whether the workload allocates and frees from more than one thread: then
     *                      {@code arena} is the thread-safe {@code ArenaAllocator} with
     *                      {@code Policy.PER_THREAD}, otherwise the bare single-owner {@code OffHeapArena}.
     * @return a new subject; the caller closes it.
     */
    public static Subject create(final String name, final int slots, final boolean multiThreaded)
    {
        switch (name)
        {
            case ARENA:
                return multiThreaded ? new ArenaAllocatorSubject(ARENA, Policy.PER_THREAD, slots) : new ArenaSubject(slots);
            case ARENA_STRIPED:
                return new ArenaAllocatorSubject(ARENA_STRIPED, Policy.STRIPED, slots);
            case NETTY_POOLED:
                return NettySubject.pooled(slots);
            case NETTY_ADAPTIVE:
                return NettySubject.adaptive(slots);
            case MALLOC:
                return new MallocSubject(slots);
            case ALLOCATE_DIRECT:
                return new AllocateDirectSubject(slots);
            case JEMALLOC:
                return new JemallocSubject(slots);
            case RPMALLOC:
                return new RpmallocSubject(slots);
            case FFM:
                return createFfm(slots);
            default:
                throw new IllegalArgumentException("unknown subject '" + name + "', known: " + ALL);
        }
    }

    /**
     * Build a subject for the {@code frag} workload: {@code arena} with movable blocks
     * ({@link ArenaHandleSubject}), any other subject as {@link #create}.
     */
    public static Subject createForFrag(final String name, final int slots)
    {
        return ARENA.equals(name) ? new ArenaHandleSubject(slots) : create(name, slots);
    }

    /**
     * Why a subject cannot run a workload here, or null when it can.
     *
     * @param name          subject name.
     * @param multiThreaded whether the workload allocates and frees from more than one thread.
     * @return a reason for a {@code "skipped"} row, or null.
     */
    public static String skipReason(final String name, final boolean multiThreaded)
    {
        if (FFM.equals(name))
        {
            final String reason = ffmReason();
            if (reason != null)
            {
                return reason;
            }
        }
        return probe(name, multiThreaded);
    }

    /**
     * Build the subject in this JVM, allocate, write, read back and free one 64-byte block, close.
     *
     * @param name subject name.
     * @return null when that worked, otherwise a one-line reason.
     */
    public static String probe(final String name)
    {
        return probe(name, false);
    }

    /**
     * As {@link #probe(String)}, for the subject a single- or multi-thread workload builds.
     *
     * @param name          subject name.
     * @param multiThreaded as in {@link #create(String, int, boolean)}.
     * @return null when that worked, otherwise a one-line reason.
     */
    public static String probe(final String name, final boolean multiThreaded)
    {
        try (Subject subject = create(name, 1, multiThreaded))
        {
            subject.attachThread();
            final long address = subject.allocate(0, 64);
            if (address == 0)
            {
                return "probe failed: allocate(64) returned address 0";
            }
            UnsafeApi.putLong(address, 0x0123456789ABCDEFL);
            final long readBack = UnsafeApi.getLong(address);
            subject.free(0);
            return readBack == 0x0123456789ABCDEFL ? null : "probe failed: a written value did not read back";
        }
        catch (final Throwable ex)
        {
            return "probe failed: " + describe(ex);
        }
    }

    /** One line naming an exception and its root cause. */
    public static String describe(final Throwable ex)
    {
        Throwable root = ex;
        while (root.getCause() != null && root.getCause() != root)
        {
            root = root.getCause();
        }
        String text = ex.getClass().getSimpleName() + ": " + ex.getMessage();
        if (root != ex)
        {
            text += " (cause " + root.getClass().getSimpleName() + ": " + root.getMessage() + ")";
        }
        text = text.replace('\n', ' ').replace('\r', ' ');
        return text.length() > 300 ? text.substring(0, 300) + "..." : text;
    }

    /**
     * Why {@code ffm} cannot be built in this JVM before trying, or null when it may be.
     *
     * @return {@code "java.lang.foreign needs JDK 22+, this JVM is <version>"} below JDK 22; on
     *         JDK 22+ a reason when this build carries no {@code ffm} class (it was built on an
     *         older JDK), else null.
     */
    static String ffmReason()
    {
        final int feature = Runtime.version().feature();
        if (feature < FFM_MIN_FEATURE)
        {
            return "java.lang.foreign needs JDK " + FFM_MIN_FEATURE + "+, this JVM is " +
                System.getProperty("java.version");
        }
        try
        {
            Class.forName(FFM_CLASS, false, Subjects.class.getClassLoader());
            return null;
        }
        catch (final ClassNotFoundException ex)
        {
            return "this bench build has no ffm subject: it was compiled on a JDK older than " + FFM_MIN_FEATURE +
                "; rebuild bench on JDK " + FFM_MIN_FEATURE + "+ (adds META-INF/versions/" + FFM_MIN_FEATURE + ")";
        }
    }

    /** Load {@link #FFM_CLASS} reflectively (JDK 22+ only) and build it. */
    private static Subject createFfm(final int slots)
    {
        final String reason = ffmReason();
        if (reason != null)
        {
            throw new UnsupportedOperationException(reason);
        }
        try
        {
            return (Subject)Class.forName(FFM_CLASS, true, Subjects.class.getClassLoader())
                .getDeclaredConstructor(int.class)
                .newInstance(slots);
        }
        catch (final ReflectiveOperationException ex)
        {
            final Throwable cause = ex instanceof java.lang.reflect.InvocationTargetException ? ex.getCause() : ex;
            throw new IllegalStateException("cannot build the ffm subject: " + describe(cause), cause);
        }
    }
}
