package io.arenaalloc.bench.extra;

import io.arenaalloc.bench.workload.WorkloadData;
import io.arenaalloc.core.ArenaCounters;
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
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.Setup;
import org.openjdk.jmh.annotations.State;
import org.openjdk.jmh.annotations.TearDown;
import org.openjdk.jmh.annotations.Warmup;
import org.openjdk.jmh.infra.BenchmarkParams;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.concurrent.TimeUnit;

/**
 * What keeping the arena's figures costs on {@code churn-small} (issue: at most 5%). Not part of the contract
 * suite; {@code java -jar bench/target/arena-bench.jar costs} runs it with {@link FacadeCostBenchmark} and writes
 * the ratios ({@code BenchMain}), or alone:
 * <pre>
 *   java -cp bench/target/arena-bench.jar org.openjdk.jmh.Main StatsCost
 * </pre>
 *
 * <h2>Modes (one benchmark method each, each in forks of its own)</h2>
 * All three run the same op on the same {@link ChurnSmallStream} (the contract's seeds, sizes and prefill) on a
 * bare {@link OffHeapArena}, single thread: free the block of a random slot, allocate the next size into it,
 * write 8 bytes, return the address.
 * <pre>
 *   mode          fork flags (beside --add-exports, -Xms1g -Xmx1g)   what runs besides the op
 *   countersOff   -Darena.counters=off                               nothing: ArenaCounters stores nothing, the
 *                                                                    JIT drops the stores (ArenaCounters.ENABLED)
 *   bare          (counters on, the default)                         the arena's counters: a few opaque stores per op
 *   exported      (counters on)                                      the counters, plus an ArenaStatsPublisher the
 *                                                                    owner calls every 1024 ops (publishIfDue: a
 *                                                                    clock read and a compare; a full publish, one
 *                                                                    walk of the arena, once a second) and an
 *                                                                    ArenaStatsExporter thread writing the
 *                                                                    memory-mapped counters file every second
 * </pre>
 * Ratios: the stats cost is {@code exported / countersOff} (the target: at most 1.05); the counters' own
 * share of it is {@code bare / countersOff}; the publisher and exporter add {@code exported / bare}.
 *
 * <h2>Keeping the modes apart</h2>
 * {@code countersOff} and {@code bare} share the state {@link Bare} and the very same code; the only difference
 * is the fork's {@code -Darena.counters} flag, read once into a static final. {@code exported} has its own state.
 * JMH forks each method separately, so no fork ever compiles two modes' code. A method-level {@code @Fork}
 * replaces the class-level one, so {@code countersOff}'s repeats every flag; and since a runner's
 * {@code jvmArgsAppend} option would replace it, each state checks at set-up that the fork's counters are what its
 * mode needs ({@link ArenaCounters#ENABLED}) and fails the run otherwise.
 */
@BenchmarkMode(Mode.AverageTime)
@OutputTimeUnit(TimeUnit.NANOSECONDS)
@Warmup(iterations = 3, time = 1)
@Measurement(iterations = 5, time = 1)
@Fork(value = 3, jvmArgsAppend = {"--add-exports", "java.base/jdk.internal.misc=ALL-UNNAMED", "-Xms1g", "-Xmx1g"})
public class StatsCostBenchmark
{
    /** Benchmark method names, for runners. */
    public static final String COUNTERS_OFF = "countersOff";
    public static final String BARE = "bare";
    public static final String EXPORTED = "exported";
    /** The owner offers a publish every this many ops (a power of two). */
    static final int PUBLISH_EVERY = 1024;

    /** The arena, the stream and the live blocks; the op itself. */
    static final class Churn
    {
        final OffHeapArena arena;
        final long[] blocks = new long[WorkloadData.WORKING_SET];
        final int[] slots;
        final int[] sizes;
        int cursor;

        Churn(final String benchmark, final boolean countersWanted)
        {
            if (ArenaCounters.ENABLED != countersWanted)
            {
                throw new IllegalStateException(benchmark + " needs the arena counters " + (countersWanted ? "on" : "off") +
                    " but this fork has " + ArenaCounters.PROP_ENABLED + "=" + (ArenaCounters.ENABLED ? "on" : "off") +
                    " (did a runner option replace the method's @Fork jvmArgsAppend?)");
            }
            arena = OffHeapArena.create();
            final ChurnSmallStream stream = ChurnSmallStream.create();
            slots = stream.slots();
            sizes = stream.sizes();
            final int[] prefill = stream.prefill();
            for (int i = 0; i < blocks.length; i++)
            {
                blocks[i] = arena.allocate(prefill[i]);
            }
        }

        long op()
        {
            final int k = cursor++ & WorkloadData.SEQUENCE_MASK;
            final int i = slots[k];
            arena.free(blocks[i]);
            final long address = arena.allocate(sizes[k]);
            UnsafeApi.putLong(address, k);
            blocks[i] = address;
            return address;
        }

        void close()
        {
            for (final long block : blocks)
            {
                arena.free(block);
            }
            arena.close();
        }
    }

    /** State of {@code countersOff} and {@code bare}: the arena alone. */
    @State(Scope.Thread)
    public static class Bare
    {
        Churn churn;

        @Setup(Level.Trial)
        public void setUp(final BenchmarkParams params)
        {
            final String benchmark = params.getBenchmark();
            churn = new Churn(benchmark, !benchmark.endsWith("." + COUNTERS_OFF));
        }

        @TearDown(Level.Trial)
        public void tearDown()
        {
            churn.close();
        }
    }

    /** State of {@code exported}: the arena, its publisher and an exporter thread with its file. */
    @State(Scope.Thread)
    public static class Exported
    {
        Churn churn;
        ArenaStatsPublisher publisher;
        ArenaStatsExporter exporter;
        Path file;

        @Setup(Level.Trial)
        public void setUp(final BenchmarkParams params) throws Exception
        {
            churn = new Churn(params.getBenchmark(), true);
            file = Files.createTempFile("arena-stats-cost", ".dat");
            exporter = ArenaStatsExporter.builder().file(file).intervalMillis(1000).deleteOnClose(true).build();
            publisher = ArenaStatsPublisher.of(churn.arena);
            exporter.register(publisher);
        }

        @TearDown(Level.Trial)
        public void tearDown() throws Exception
        {
            exporter.close();
            churn.close();
            Files.deleteIfExists(file);
        }
    }

    /** The op with the counters off ({@code -Darena.counters=off} in this method's forks). */
    @Benchmark
    @Fork(value = 3, jvmArgsAppend = {"--add-exports", "java.base/jdk.internal.misc=ALL-UNNAMED", "-Xms1g", "-Xmx1g",
        "-Darena.counters=off"})
    public long countersOff(final Bare state)
    {
        return state.churn.op();
    }

    /** The op with the counters on (the default), nothing else. */
    @Benchmark
    public long bare(final Bare state)
    {
        return state.churn.op();
    }

    /** The op with the counters on, a publish offered every {@value #PUBLISH_EVERY} ops and the exporter thread. */
    @Benchmark
    public long exported(final Exported state)
    {
        final Churn churn = state.churn;
        final int k = churn.cursor;
        final long address = churn.op();
        if ((k & (PUBLISH_EVERY - 1)) == 0)
        {
            state.publisher.publishIfDue(System.nanoTime());
        }
        return address;
    }
}
