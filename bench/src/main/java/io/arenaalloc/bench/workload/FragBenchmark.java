package io.arenaalloc.bench.workload;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Locale;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.locks.LockSupport;

import io.arenaalloc.bench.report.HeapMapPicture;
import io.arenaalloc.bench.subject.ArenaHandleSubject;
import io.arenaalloc.bench.subject.Subject;
import io.arenaalloc.bench.subject.Subjects;
import org.agrona.UnsafeApi;
import org.openjdk.jmh.annotations.AuxCounters;
import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.BenchmarkMode;
import org.openjdk.jmh.annotations.Level;
import org.openjdk.jmh.annotations.Mode;
import org.openjdk.jmh.annotations.OutputTimeUnit;
import org.openjdk.jmh.annotations.Param;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.Setup;
import org.openjdk.jmh.annotations.State;
import org.openjdk.jmh.annotations.TearDown;

/**
 * Workload {@code frag}: the footprint an allocator is left with after fragmentation.
 *
 * <p>One single-shot invocation per fork (a fresh JVM per sample, so the resident-set baseline is
 * clean): (1) <b>fill</b> to {@link #liveMiB} MiB of live blocks, log-uniform 64 B - 64 KiB, every
 * byte written (so every subject's pages are resident); (2) <b>free three quarters</b> of them in a
 * seeded random order; (3) <b>idle</b> for {@link #idleMillis} ms: the subject's own idle-time
 * maintenance ({@link Subject#idle}: arena compaction until it is not worth it, Netty pooled's
 * thread-cache trim, jemalloc's decay purge, rpmalloc's deferred-free collection; malloc and
 * Netty adaptive have none), then sleep for the rest of the period; (4) <b>refill</b> with 1 MiB
 * blocks (every byte written) until the live bytes reach the target again. Reported: {@code footprint}
 * = the allocator's footprint / live bytes, where live bytes are the sum of the requested sizes of
 * the live blocks (the same figure for every subject) and the footprint is the allocator's own
 * figure where it has one ({@link Subject#footprintBytes()}: arena's committed bytes, Netty's used
 * direct memory, jemalloc's {@code stats.resident}), otherwise the growth of the process's
 * {@code VmRSS} since just before the fill.
 *
 * <p>{@code arena} runs with movable blocks ({@link ArenaHandleSubject}): the fill's blocks and the
 * 1 MiB refill blocks are all handles, so the refill can use the movable heap's space that
 * compaction consolidated. With {@link #heapMapDir} set, arena writes heap maps of its chunks just
 * before and just after the idle phase ({@code frag-arena-before.png}, {@code frag-arena-after.png}).
 */
@State(Scope.Thread)
@BenchmarkMode(Mode.SingleShotTime)
@OutputTimeUnit(TimeUnit.MILLISECONDS)
public class FragBenchmark
{
    /** File name of the heap map taken after the free phase, before the idle phase. */
    public static final String HEAP_MAP_BEFORE = "frag-arena-before.png";

    /** File name of the heap map taken after the idle phase (compaction). */
    public static final String HEAP_MAP_AFTER = "frag-arena-after.png";

    /** Value of {@link #heapMapDir} meaning "write no heap maps". */
    public static final String NO_HEAP_MAPS = "-";

    /** Subject name from the contract (the suite runs one subject per fork). */
    @Param({"arena", "netty-pooled", "netty-adaptive", "malloc", "jemalloc", "rpmalloc"})
    public String subject;

    /** Live target of the fill and refill phases, MiB. */
    @Param({"256"})
    public int liveMiB;

    /** Length of the idle phase, ms (the same for every subject; arena's compaction is bounded by it). */
    @Param({"1000"})
    public int idleMillis;

    /** Directory for arena's heap maps, or {@link #NO_HEAP_MAPS}. */
    @Param({NO_HEAP_MAPS})
    public String heapMapDir;

    /** The figure of one invocation, reported by JMH as a secondary result named after the field (JMH zeroes it per iteration). */
    @State(Scope.Thread)
    @AuxCounters(AuxCounters.Type.EVENTS)
    public static class Footprint
    {
        /** Footprint / live bytes at the end. */
        public double footprint;
    }

    private Subject allocator;
    private int[] sizes;
    private int[] freeOrder;
    private long target;
    private long residentBaseline;

    /** Build the subject and the streams, then take the resident-set baseline. */
    @Setup(Level.Iteration)
    public void setUp()
    {
        target = liveMiB * 1024L * 1024L;
        sizes = WorkloadData.fillSizes(WorkloadData.SEED, WorkloadData.FRAG_MIN_SIZE, WorkloadData.FRAG_MAX_SIZE, target);
        freeOrder = WorkloadData.permutation(WorkloadData.SEED, sizes.length);
        final int refillSlots = (int)(target / WorkloadData.FRAG_REFILL_SIZE) + 1;
        allocator = Subjects.createForFrag(subject, sizes.length + refillSlots);
        allocator.attachThread();
        residentBaseline = ProcessMemory.residentBytes();
    }

    /**
     * Fill, free three quarters, idle, refill; record the footprint.
     *
     * @param out receives the footprint ratio.
     * @return the live bytes at the end (blackholed).
     */
    @Benchmark
    public long frag(final Footprint out)
    {
        final Subject allocator = this.allocator;
        final int n = sizes.length;
        long live = 0;
        for (int slot = 0; slot < n; slot++)
        {
            final long address = allocator.allocate(slot, sizes[slot]);
            UnsafeApi.setMemory(address, sizes[slot], (byte)slot);
            live += sizes[slot];
        }
        final long filled = live;
        final int frees = n - n / 4;
        for (int i = 0; i < frees; i++)
        {
            final int slot = freeOrder[i];
            allocator.free(slot);
            live -= sizes[slot];
        }
        heapMap(HEAP_MAP_BEFORE, "frag, arena, after freeing 3/4, before compaction");
        final long idleNanos = TimeUnit.MILLISECONDS.toNanos(idleMillis);
        final long idleStart = System.nanoTime();
        allocator.idle(idleNanos);
        final long idleWork = System.nanoTime() - idleStart;
        long remaining;
        while ((remaining = idleStart + idleNanos - System.nanoTime()) > 0)
        {
            LockSupport.parkNanos(remaining);
        }
        heapMap(HEAP_MAP_AFTER, "frag, arena, after the idle phase (compaction)");
        int slot = n;
        while (live < target)
        {
            final long address = allocator.allocate(slot++, WorkloadData.FRAG_REFILL_SIZE);
            UnsafeApi.setMemory(address, WorkloadData.FRAG_REFILL_SIZE, (byte)slot);
            live += WorkloadData.FRAG_REFILL_SIZE;
        }
        final long own = allocator.footprintBytes();
        final long resident = ProcessMemory.residentBytes() - residentBaseline;
        final long footprint = own >= 0 ? own : resident;
        out.footprint = (double)footprint / live;
        System.out.printf(Locale.ROOT, "%nfrag %s: filled %.1f MiB in %d blocks, freed %d, idle work %.1f ms%s, " +
            "refilled to %.1f MiB live; footprint %.1f MiB (%s) = %.3f x live; VmRSS growth %.1f MiB = %.3f x live%n",
            subject, filled / 1048576.0, n, frees, idleWork / 1e6,
            allocator instanceof ArenaHandleSubject ? " (" + ((ArenaHandleSubject)allocator).lastIdle() + ")" : "",
            live / 1048576.0, footprint / 1048576.0, allocator.footprintSource(), out.footprint,
            resident / 1048576.0, (double)resident / live);
        return live;
    }

    private void heapMap(final String fileName, final String title)
    {
        if (!(allocator instanceof ArenaHandleSubject) || NO_HEAP_MAPS.equals(heapMapDir))
        {
            return;
        }
        try
        {
            final Path dir = Path.of(heapMapDir);
            Files.createDirectories(dir);
            HeapMapPicture.write(((ArenaHandleSubject)allocator).arena(), title, dir.resolve(fileName));
        }
        catch (final IOException ex)
        {
            throw new UncheckedIOException(ex);
        }
    }

    /** Free every block and close the subject. */
    @TearDown(Level.Iteration)
    public void tearDown()
    {
        if (allocator != null)
        {
            allocator.close();
            allocator = null;
        }
    }
}
