package io.arenaalloc.bench.extra;

import io.arenaalloc.bench.workload.WorkloadData;
import io.arenaalloc.core.OffHeapArena;
import io.arenaalloc.stats.ArenaStatsExporter;
import io.arenaalloc.stats.ArenaStatsPublisher;
import org.agrona.UnsafeApi;
import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.BenchmarkMode;
import org.openjdk.jmh.annotations.Fork;
import org.openjdk.jmh.annotations.Level;
import org.openjdk.jmh.annotations.Measurement;
import org.openjdk.jmh.annotations.Mode;
import org.openjdk.jmh.annotations.OutputTimeUnit;
import org.openjdk.jmh.annotations.Param;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.Setup;
import org.openjdk.jmh.annotations.State;
import org.openjdk.jmh.annotations.TearDown;
import org.openjdk.jmh.annotations.Warmup;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.concurrent.TimeUnit;

/**
 * What keeping the arena-stats figures costs on {@code churn-small} (issue: at most 5%). Not part of the
 * contract suite; run it alone:
 * <pre>
 *   java -cp bench/target/arena-bench.jar org.openjdk.jmh.Main StatsCost \
 *        -jvmArgsAppend "--add-exports java.base/jdk.internal.misc=ALL-UNNAMED"
 * </pre>
 * Both modes run the same churn-small stream (the contract's seeds and sizes) on a bare {@link OffHeapArena}.
 * The arena's own counters ({@code ArenaCounters}: a few opaque stores per call) are always on, in both
 * modes; {@code exported} adds what arena-stats does on top: an {@link ArenaStatsPublisher} that the owner
 * calls every 1024 operations ({@code publishIfDue}: a clock read and a compare; a full publish, one walk of
 * the arena, once a second) and an {@link ArenaStatsExporter} thread copying the figures into its
 * memory-mapped counters file every second. The ratio exported / bare is the cost of keeping the stats live.
 */
@State(Scope.Thread)
@BenchmarkMode(Mode.AverageTime)
@OutputTimeUnit(TimeUnit.NANOSECONDS)
@Warmup(iterations = 3, time = 1)
@Measurement(iterations = 5, time = 1)
@Fork(value = 2, jvmArgsAppend = {"--add-exports", "java.base/jdk.internal.misc=ALL-UNNAMED", "-Xms1g", "-Xmx1g"})
public class StatsCostBenchmark
{
    @Param({"bare", "exported"})
    public String mode;

    private OffHeapArena arena;
    private ArenaStatsPublisher publisher;
    private ArenaStatsExporter exporter;
    private Path file;
    private long[] blocks;
    private int[] slots;
    private int[] sizes;
    private int cursor;

    @Setup(Level.Trial)
    public void setUp() throws Exception
    {
        arena = OffHeapArena.create();
        slots = WorkloadData.indexes(WorkloadData.SEED, WorkloadData.SEQUENCE_LENGTH, WorkloadData.WORKING_SET);
        final int maxSize = WorkloadData.churnMaxSize("churn-small");
        sizes = WorkloadData.sizes(WorkloadData.SEED, WorkloadData.SEQUENCE_LENGTH, WorkloadData.MIN_SIZE, maxSize);
        // the same prefill as the churn-small workload, so the figures compare with it
        final int[] prefill = WorkloadData.prefillSizes(WorkloadData.SEED, WorkloadData.WORKING_SET, WorkloadData.MIN_SIZE,
            maxSize);
        blocks = new long[WorkloadData.WORKING_SET];
        for (int i = 0; i < blocks.length; i++)
        {
            blocks[i] = arena.allocate(prefill[i]);
        }
        if ("exported".equals(mode))
        {
            file = Files.createTempFile("arena-stats-cost", ".dat");
            exporter = ArenaStatsExporter.builder().file(file).intervalMillis(1000).deleteOnClose(true).build();
            publisher = ArenaStatsPublisher.of(arena);
            exporter.register(publisher);
        }
    }

    @Benchmark
    public long churnSmall()
    {
        final int k = cursor++ & WorkloadData.SEQUENCE_MASK;
        final int i = slots[k];
        arena.free(blocks[i]);
        final long address = arena.allocate(sizes[k]);
        UnsafeApi.putLong(address, k);
        blocks[i] = address;
        if (publisher != null && (k & 1023) == 0)
        {
            publisher.publishIfDue(System.nanoTime());
        }
        return address;
    }

    @TearDown(Level.Trial)
    public void tearDown() throws Exception
    {
        if (exporter != null)
        {
            exporter.close();
        }
        arena.close();
        if (file != null)
        {
            Files.deleteIfExists(file);
        }
    }
}
