package io.arenaalloc.bench.workload;

import java.util.Locale;
import java.util.SplittableRandom;
import java.util.concurrent.TimeUnit;

import io.arenaalloc.core.ArenaCounters;
import io.arenaalloc.core.OffHeapArena;
import org.HdrHistogram.Histogram;
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
 * Workload {@code compact}: the latency of one compaction step and the speed at which compaction
 * moves bytes, beside a plain copy of the same bytes.
 *
 * <p>{@code @Setup} fills an arena's movable heap (default configuration, so the default step
 * budget: {@code compactStepNanos} 2 us, {@code compactStepBytes} 16 KiB) with {@link #liveMiB}
 * MiB of handles, log-uniform 64 B - 64 KiB, every byte written. One single-shot invocation (one
 * JMH iteration) runs <em>cycles</em> for {@link #sessionMillis} ms (the last cycle is finished):
 * <ol>
 *   <li><b>fragment</b> (untimed): free a seeded random half of the live blocks;</li>
 *   <li><b>compact</b>: call {@code arena.compact()} (one step at the default budget) while
 *   {@code arena.compactionWorthIt()}; each call alone is timed with {@code System.nanoTime()} and
 *   recorded in an HdrHistogram;</li>
 *   <li><b>memcpy</b>: copy exactly the bytes this cycle's steps moved ({@code bytes-moved} counter
 *   delta) with {@code UnsafeApi.copyMemory}, in pieces whose sizes follow the same size stream as the
 *   heap's blocks, reading a source buffer sequentially and writing to seeded random 16-byte aligned
 *   places of a destination buffer (as compaction reads one victim chunk in order and fills holes
 *   elsewhere); both buffers are {@link #liveMiB} MiB and pre-touched; timed as one span;</li>
 *   <li><b>refill</b> (untimed): allocate fresh blocks (next sizes of the stream, every byte written)
 *   into the freed slots.</li>
 * </ol>
 * Reported per iteration: {@code p50}, {@code p99}, {@code p999}, {@code max} of the step times
 * (ns, subject {@code arena}); {@code throughput} in GB/s (10^9 bytes per second) for {@code arena}
 * = bytes moved / summed step times, and for {@code memcpy} = the same bytes / copy time, each taken
 * per cycle and summarised as the median over the session's cycles (the same estimator for both; on
 * a shared machine a preempted cycle then shifts the figure by one rank instead of skewing a total).
 * The totals (all bytes / all time) are printed to the log beside them.
 */
@State(Scope.Thread)
@BenchmarkMode(Mode.SingleShotTime)
@OutputTimeUnit(TimeUnit.MILLISECONDS)
public class CompactBenchmark
{
    /** Live bytes of the movable heap at the start of each cycle, MiB. */
    @Param({"64"})
    public int liveMiB;

    /** Length of one iteration (cycles until it has passed), ms. */
    @Param({"1000"})
    public int sessionMillis;

    /** The figures of one iteration, reported by JMH as secondary results named after the fields (JMH zeroes them per iteration). */
    @State(Scope.Thread)
    @AuxCounters(AuxCounters.Type.EVENTS)
    public static class Figures
    {
        /** Median step time, ns. */
        public double stepP50;
        /** 99th percentile step time, ns. */
        public double stepP99;
        /** 99.9th percentile step time, ns. */
        public double stepP999;
        /** Longest step, ns. */
        public double stepMax;
        /** Compaction move throughput, GB/s. */
        public double moveGBs;
        /** Plain copy throughput of the same bytes, GB/s. */
        public double memcpyGBs;
        /** Steps timed (for the log). */
        public double steps;
    }

    private static final long HIGHEST_NANOS = TimeUnit.SECONDS.toNanos(10);
    private static final int OFFSETS = 1 << 16;
    /** A cycle whose compaction has not settled after this long stops compacting (never seen; a guard). */
    private static final long GIVE_UP_NANOS = TimeUnit.SECONDS.toNanos(10);

    private OffHeapArena arena;
    private long[] handles;
    private int[] blockSizes;
    private int[] stream;
    private int streamCursor;
    private int[] order;
    private SplittableRandom random;
    private long source;
    private long destination;
    private long bufferBytes;
    private long[] destinationOffsets;
    private Histogram histogram;
    private double[] cycleMove = new double[1024];
    private double[] cycleCopy = new double[1024];

    /** Build and fill the arena, the copy buffers and the streams. */
    @Setup(Level.Trial)
    public void setUp()
    {
        final long target = liveMiB * 1024L * 1024L;
        blockSizes = WorkloadData.fillSizes(WorkloadData.SEED, WorkloadData.FRAG_MIN_SIZE, WorkloadData.FRAG_MAX_SIZE, target);
        stream = WorkloadData.sizes(WorkloadData.SEED, WorkloadData.SEQUENCE_LENGTH, WorkloadData.FRAG_MIN_SIZE,
            WorkloadData.FRAG_MAX_SIZE);
        streamCursor = 0;
        arena = OffHeapArena.create();
        handles = new long[blockSizes.length];
        for (int i = 0; i < handles.length; i++)
        {
            handles[i] = arena.allocateHandle(blockSizes[i]);
            UnsafeApi.setMemory(arena.resolve(handles[i]), blockSizes[i], (byte)i);
        }
        order = new int[handles.length];
        for (int i = 0; i < order.length; i++)
        {
            order[i] = i;
        }
        random = new SplittableRandom(WorkloadData.SEED);
        bufferBytes = target;
        source = UnsafeApi.allocateMemory(bufferBytes);
        destination = UnsafeApi.allocateMemory(bufferBytes);
        UnsafeApi.setMemory(source, bufferBytes, (byte)1);
        UnsafeApi.setMemory(destination, bufferBytes, (byte)2);
        destinationOffsets = new long[OFFSETS];
        final SplittableRandom offsets = new SplittableRandom(WorkloadData.SEED ^ 0xC0FFEEL);
        for (int i = 0; i < OFFSETS; i++)
        {
            destinationOffsets[i] = offsets.nextLong(bufferBytes - WorkloadData.FRAG_MAX_SIZE) & ~15L;
        }
        histogram = new Histogram(HIGHEST_NANOS, 3);
    }

    /**
     * Run fragment/compact/memcpy/refill cycles for {@link #sessionMillis} ms.
     *
     * @param out receives this iteration's figures.
     * @return bytes moved (blackholed).
     */
    @Benchmark
    public long compact(final Figures out)
    {
        final OffHeapArena arena = this.arena;
        final ArenaCounters counters = arena.counters();
        final Histogram histogram = this.histogram;
        histogram.reset();
        final long deadline = System.nanoTime() + TimeUnit.MILLISECONDS.toNanos(sessionMillis);
        long moved = 0;
        long compactNanos = 0;
        long copyNanos = 0;
        long copied = 0;
        int cycles = 0;
        int measuredCycles = 0;
        long sourceOffset = 0;
        int pieceCursor = 0;
        int offsetCursor = 0;
        do
        {
            // fragment: free a random half
            WorkloadData.shuffle(random, order);
            for (int i = 0; i < order.length / 2; i++)
            {
                final int slot = order[i];
                arena.free(handles[slot]);
                handles[slot] = 0;
            }
            // compact, each step timed alone
            final long movedBefore = counters.getOpaque(ArenaCounters.BYTES_MOVED);
            final long giveUp = System.nanoTime() + GIVE_UP_NANOS;
            long cycleCompactNanos = 0;
            while (arena.compactionWorthIt() && System.nanoTime() < giveUp)
            {
                final long start = System.nanoTime();
                arena.compact();
                final long took = System.nanoTime() - start;
                histogram.recordValue(Math.min(took, HIGHEST_NANOS));
                cycleCompactNanos += took;
            }
            compactNanos += cycleCompactNanos;
            final long cycleMoved = counters.getOpaque(ArenaCounters.BYTES_MOVED) - movedBefore;
            moved += cycleMoved;
            // memcpy the same bytes in block-sized pieces
            final long copyStart = System.nanoTime();
            long left = cycleMoved;
            while (left > 0)
            {
                final long piece = Math.min(left, stream[pieceCursor++ & WorkloadData.SEQUENCE_MASK]);
                if (sourceOffset + piece > bufferBytes)
                {
                    sourceOffset = 0;
                }
                UnsafeApi.copyMemory(source + sourceOffset,
                    destination + destinationOffsets[offsetCursor++ & (OFFSETS - 1)], piece);
                sourceOffset = (sourceOffset + piece + 15) & ~15L;
                left -= piece;
            }
            final long cycleCopyNanos = System.nanoTime() - copyStart;
            copyNanos += cycleCopyNanos;
            copied += cycleMoved;
            if (cycleMoved > 0 && cycleCopyNanos > 0 && cycleCompactNanos > 0)
            {
                if (measuredCycles == cycleMove.length)
                {
                    cycleMove = java.util.Arrays.copyOf(cycleMove, measuredCycles * 2);
                    cycleCopy = java.util.Arrays.copyOf(cycleCopy, measuredCycles * 2);
                }
                cycleMove[measuredCycles] = (double)cycleMoved / cycleCompactNanos;
                cycleCopy[measuredCycles] = (double)cycleMoved / cycleCopyNanos;
                measuredCycles++;
            }
            // refill the freed slots
            for (int slot = 0; slot < handles.length; slot++)
            {
                if (handles[slot] == 0)
                {
                    final int size = stream[streamCursor++ & WorkloadData.SEQUENCE_MASK];
                    handles[slot] = arena.allocateHandle(size);
                    UnsafeApi.setMemory(arena.resolve(handles[slot]), size, (byte)slot);
                }
            }
            cycles++;
        }
        while (System.nanoTime() < deadline);
        out.steps = histogram.getTotalCount();
        if (histogram.getTotalCount() > 0)
        {
            out.stepP50 = histogram.getValueAtPercentile(50);
            out.stepP99 = histogram.getValueAtPercentile(99);
            out.stepP999 = histogram.getValueAtPercentile(99.9);
            out.stepMax = histogram.getMaxValue();
        }
        out.moveGBs = median(cycleMove, measuredCycles);
        out.memcpyGBs = median(cycleCopy, measuredCycles);
        System.out.printf(Locale.ROOT, "%ncompact: %d cycles, %d steps, %.1f MiB moved in %.2f ms of steps " +
            "(total %.2f GB/s, cycle median %.2f), memcpy of the same bytes %.2f ms (total %.2f GB/s, cycle median %.2f); " +
            "step p50 %.0f p99 %.0f p999 %.0f max %.0f ns; committed %.1f MiB, live %.1f MiB%n",
            cycles, histogram.getTotalCount(), moved / 1048576.0, compactNanos / 1e6,
            compactNanos > 0 ? (double)moved / compactNanos : 0, out.moveGBs, copyNanos / 1e6,
            copyNanos > 0 ? (double)copied / copyNanos : 0, out.memcpyGBs, out.stepP50, out.stepP99, out.stepP999,
            out.stepMax, arena.committedBytes() / 1048576.0, arena.liveBytes() / 1048576.0);
        return moved;
    }

    /** @return the median of the first {@code n} values (sorted in place), 0 when n is 0. */
    static double median(final double[] values, final int n)
    {
        if (n == 0)
        {
            return 0;
        }
        java.util.Arrays.sort(values, 0, n);
        return (n & 1) == 1 ? values[n / 2] : (values[n / 2 - 1] + values[n / 2]) / 2;
    }

    /** Free everything. */
    @TearDown(Level.Trial)
    public void tearDown()
    {
        if (arena != null)
        {
            for (final long handle : handles)
            {
                if (handle != 0)
                {
                    arena.free(handle);
                }
            }
            arena.close();
            arena = null;
            UnsafeApi.freeMemory(source);
            UnsafeApi.freeMemory(destination);
        }
    }
}
