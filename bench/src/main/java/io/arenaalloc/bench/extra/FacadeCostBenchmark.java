package io.arenaalloc.bench.extra;

import io.arenaalloc.bench.workload.WorkloadData;
import io.arenaalloc.core.OffHeapArena;
import io.arenaalloc.threads.ArenaAllocator;
import io.arenaalloc.threads.LocalAllocator;
import io.arenaalloc.threads.Policy;
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

import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;

/**
 * What the thread-safe facade {@link ArenaAllocator} costs over a bare {@link OffHeapArena} on {@code churn-small},
 * single thread (issue: at most 1.2x). The JMH form of the in-process A/B {@code FacadeCostMain} in arena-threads'
 * tests. Not part of the contract suite; {@code java -jar bench/target/arena-bench.jar costs} runs it with
 * {@link StatsCostBenchmark} and writes the ratios ({@code BenchMain}), or alone:
 * <pre>
 *   java -cp bench/target/arena-bench.jar org.openjdk.jmh.Main FacadeCost
 * </pre>
 *
 * <h2>Modes (one benchmark method each, each in forks of its own)</h2>
 * The same op on the same {@link ChurnSmallStream} (the contract's seeds, sizes and prefill) from the benchmark
 * thread: free the block of a random slot, allocate the next size into it, write 8 bytes, return the address.
 * <pre>
 *   mode        calls                                                     what the facade adds per op
 *   bare        OffHeapArena.free / allocate                              nothing (the reference)
 *   perThread   ArenaAllocator (Policy.PER_THREAD): free / allocate       the owner's fast path: context table
 *                                                                         load (the benchmark thread registers
 *                                                                         first: the table's primary), then the
 *                                                                         thread cache (ThreadBlockCache: a free
 *                                                                         parks the block, the next allocation of
 *                                                                         its class pops it) or, when that misses,
 *                                                                         ownership check, drain mark, the arena
 *   perThreadSecondary  as perThread, but another living thread registered first and holds the table's primary
 *               context (no liveness scan, which would promote the        one more hot field checked (the benchmark
 *               busier benchmark thread)                                  thread is the hot set's second)
 *   perThreadOutsideHot  as perThread, but ArenaAllocator.HOT_THREADS     every hot field checked, then the slot
 *               living threads registered first and hold the hot set      lookup every thread outside the set takes
 *   perThreadLocal  LocalAllocator of a PER_THREAD allocator (allocator.local(), taken once in set-up): free /
 *               allocate                                                  identity check, ownership check, drain mark
 *   striped     ArenaAllocator (Policy.STRIPED): free / allocate          a stripe lock taken and released per call
 * </pre>
 * The allocators are built as {@code ArenaAllocator.builder().policy(p).build()}: the facade's defaults, so the
 * background maintenance thread runs (every 10 ms, at most 100 us), as it does for the suite's {@code arena-striped}
 * subject. The working set is allocated in the trial's set-up on the benchmark thread, so under PER_THREAD every
 * block is in that thread's own arena and every free takes the owner's path. Ratios: {@code perThread / bare},
 * {@code perThreadSecondary / bare}, {@code perThreadOutsideHot / bare}, {@code perThreadLocal / bare} and
 * {@code striped / bare}. Teardown frees the working set, then closes the arena or allocator.
 */
@BenchmarkMode(Mode.AverageTime)
@OutputTimeUnit(TimeUnit.NANOSECONDS)
@Warmup(iterations = 3, time = 1)
@Measurement(iterations = 5, time = 1)
@Fork(value = 3, jvmArgsAppend = {"--add-exports", "java.base/jdk.internal.misc=ALL-UNNAMED", "-Xms1g", "-Xmx1g"})
public class FacadeCostBenchmark
{
    /** Benchmark method names, for runners. */
    public static final String BARE = "bare";
    public static final String PER_THREAD = "perThread";
    public static final String STRIPED = "striped";
    public static final String PER_THREAD_LOCAL = "perThreadLocal";
    public static final String PER_THREAD_SECONDARY = "perThreadSecondary";
    public static final String PER_THREAD_OUTSIDE_HOT = "perThreadOutsideHot";

    /** State of {@code bare}: one arena. */
    @State(Scope.Thread)
    public static class Bare
    {
        OffHeapArena arena;
        long[] blocks;
        int[] slots;
        int[] sizes;
        int cursor;

        @Setup(Level.Trial)
        public void setUp()
        {
            arena = OffHeapArena.create();
            final ChurnSmallStream stream = ChurnSmallStream.create();
            slots = stream.slots();
            sizes = stream.sizes();
            final int[] prefill = stream.prefill();
            blocks = new long[WorkloadData.WORKING_SET];
            for (int i = 0; i < blocks.length; i++)
            {
                blocks[i] = arena.allocate(prefill[i]);
            }
        }

        @TearDown(Level.Trial)
        public void tearDown()
        {
            for (final long block : blocks)
            {
                arena.free(block);
            }
            arena.close();
        }
    }

    /** A facade of one policy, its stream and its live blocks. */
    static final class Facade
    {
        final ArenaAllocator allocator;
        final long[] blocks = new long[WorkloadData.WORKING_SET];
        final int[] slots;
        final int[] sizes;
        int cursor;

        Facade(final Policy policy)
        {
            this(ArenaAllocator.builder().policy(policy).build());
        }

        Facade(final ArenaAllocator allocator)
        {
            this.allocator = allocator;
            final ChurnSmallStream stream = ChurnSmallStream.create();
            slots = stream.slots();
            sizes = stream.sizes();
            final int[] prefill = stream.prefill();
            for (int i = 0; i < blocks.length; i++)
            {
                blocks[i] = allocator.allocate(prefill[i]);
            }
        }

        long op()
        {
            final int k = cursor++ & WorkloadData.SEQUENCE_MASK;
            final int i = slots[k];
            allocator.free(blocks[i]);
            final long address = allocator.allocate(sizes[k]);
            UnsafeApi.putLong(address, k);
            blocks[i] = address;
            return address;
        }

        void close()
        {
            for (final long block : blocks)
            {
                allocator.free(block);
            }
            allocator.close();
        }
    }

    /** State of {@code perThread}. */
    @State(Scope.Thread)
    public static class PerThread
    {
        Facade facade;

        @Setup(Level.Trial)
        public void setUp()
        {
            facade = new Facade(Policy.PER_THREAD);
        }

        @TearDown(Level.Trial)
        public void tearDown()
        {
            facade.close();
        }
    }

    /**
     * Helper threads that register with a PER_THREAD allocator before the benchmark thread's first call: each
     * allocates and frees one block, then waits, alive, until the trial's teardown. The liveness scan, which would
     * soon hand the hot set to the far busier benchmark thread, is put off for an hour ({@code livenessScanNanos});
     * everything else is the facade's defaults.
     */
    abstract static class OthersFirst
    {
        Facade facade;
        final List<Thread> others = new ArrayList<>();
        final CountDownLatch release = new CountDownLatch(1);

        /** @return how many threads register before the benchmark thread. */
        abstract int others();

        @Setup(Level.Trial)
        public void setUp() throws InterruptedException
        {
            final ArenaAllocator allocator = ArenaAllocator.builder().policy(Policy.PER_THREAD)
                .livenessScanNanos(TimeUnit.HOURS.toNanos(1)).build();
            for (int i = 0; i < others(); i++)
            {
                final CountDownLatch registered = new CountDownLatch(1);
                final Thread t = new Thread(() ->
                {
                    allocator.free(allocator.allocate(16));
                    registered.countDown();
                    try
                    {
                        release.await();
                    }
                    catch (final InterruptedException ex)
                    {
                        Thread.currentThread().interrupt();
                    }
                }, "facade-cost-other-" + i);
                t.setDaemon(true);
                t.start();
                registered.await(); // one after the other: they take the hot set in this order
                others.add(t);
            }
            facade = new Facade(allocator);
        }

        @TearDown(Level.Trial)
        public void tearDown() throws InterruptedException
        {
            release.countDown();
            for (final Thread t : others)
            {
                t.join();
            }
            facade.close();
        }
    }

    /** State of {@code perThreadSecondary}: one other thread registered first (the primary); the benchmark thread is hot. */
    @State(Scope.Thread)
    public static class PerThreadSecondary extends OthersFirst
    {
        @Override
        int others()
        {
            return 1;
        }
    }

    /**
     * State of {@code perThreadOutsideHot}: {@link ArenaAllocator#HOT_THREADS} other threads registered first and
     * hold the hot set; the benchmark thread is found through its slot.
     */
    @State(Scope.Thread)
    public static class PerThreadOutsideHot extends OthersFirst
    {
        @Override
        int others()
        {
            return ArenaAllocator.HOT_THREADS;
        }
    }

    /** State of {@code perThreadLocal}: a PER_THREAD facade and the benchmark thread's {@link LocalAllocator}. */
    @State(Scope.Thread)
    public static class PerThreadLocal
    {
        Facade facade;
        LocalAllocator local;

        @Setup(Level.Trial)
        public void setUp()
        {
            facade = new Facade(Policy.PER_THREAD);
            local = facade.allocator.local();
        }

        @TearDown(Level.Trial)
        public void tearDown()
        {
            facade.close();
        }
    }

    /** State of {@code striped}. */
    @State(Scope.Thread)
    public static class Striped
    {
        Facade facade;

        @Setup(Level.Trial)
        public void setUp()
        {
            facade = new Facade(Policy.STRIPED);
        }

        @TearDown(Level.Trial)
        public void tearDown()
        {
            facade.close();
        }
    }

    /** The op on a bare {@link OffHeapArena}. */
    @Benchmark
    public long bare(final Bare state)
    {
        final int k = state.cursor++ & WorkloadData.SEQUENCE_MASK;
        final int i = state.slots[k];
        final OffHeapArena arena = state.arena;
        arena.free(state.blocks[i]);
        final long address = arena.allocate(state.sizes[k]);
        UnsafeApi.putLong(address, k);
        state.blocks[i] = address;
        return address;
    }

    /** The op through {@link ArenaAllocator} with {@link Policy#PER_THREAD}. */
    @Benchmark
    public long perThread(final PerThread state)
    {
        return state.facade.op();
    }

    /** The op through {@link ArenaAllocator} with {@link Policy#PER_THREAD} on a hot thread that is not the primary. */
    @Benchmark
    public long perThreadSecondary(final PerThreadSecondary state)
    {
        return state.facade.op();
    }

    /** The op through {@link ArenaAllocator} with {@link Policy#PER_THREAD} on a thread outside the hot set. */
    @Benchmark
    public long perThreadOutsideHot(final PerThreadOutsideHot state)
    {
        return state.facade.op();
    }

    /** The op through the thread's {@link LocalAllocator} of a {@link Policy#PER_THREAD} allocator. */
    @Benchmark
    public long perThreadLocal(final PerThreadLocal state)
    {
        final Facade f = state.facade;
        final LocalAllocator local = state.local;
        final int k = f.cursor++ & WorkloadData.SEQUENCE_MASK;
        final int i = f.slots[k];
        local.free(f.blocks[i]);
        final long address = local.allocate(f.sizes[k]);
        UnsafeApi.putLong(address, k);
        f.blocks[i] = address;
        return address;
    }

    /** The op through {@link ArenaAllocator} with {@link Policy#STRIPED}. */
    @Benchmark
    public long striped(final Striped state)
    {
        return state.facade.op();
    }
}
