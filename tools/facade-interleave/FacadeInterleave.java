import io.arenaalloc.bench.workload.WorkloadData;
import io.arenaalloc.threads.ArenaAllocator;
import io.arenaalloc.threads.Policy;
import org.agrona.UnsafeApi;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;

/**
 * A diagnostic, not a benchmark of record: what a {@link Policy#PER_THREAD} {@link ArenaAllocator} costs the calling
 * thread on {@code churn-small} (the contract's stream: free a random slot's block, allocate the next size into it,
 * write 8 bytes) depending on where the thread sits in the allocator's context table, measured in ONE JVM on the SAME
 * thread, alternating every {@code PHASE_MS}, so that the figures compare without the fork-to-fork spread of
 * single-thread JMH runs (about 1 ns an op here, as large as the differences looked for). Subjects, each its own
 * allocator with its own working set:
 * <pre>
 *   primary   the thread registered first
 *   hot1      one other thread registered first: the thread is in the hot set, not first
 *   outside   -Doutside=N (4, ArenaAllocator.HOT_THREADS) other threads registered first: the thread takes its slot
 *   bare      an OffHeapArena alone (the reference of FacadeCostBenchmark)
 * </pre>
 * The other threads stay alive and idle; the liveness scan is put off for an hour, so the hot set does not change.
 * Prints per cycle each subject's ns/op and its ratio to {@code bare}, then the medians.
 * <pre>
 *   mvn -q -o package -DskipTests
 *   java --add-exports java.base/jdk.internal.misc=ALL-UNNAMED -cp bench/target/arena-bench.jar \
 *     tools/facade-interleave/FacadeInterleave.java 1000 20
 * </pre>
 */
public final class FacadeInterleave
{
    interface Subject
    {
        long run(long nanos);

        void close();
    }

    static final int[] SLOTS = WorkloadData.indexes(WorkloadData.SEED, WorkloadData.SEQUENCE_LENGTH,
        WorkloadData.WORKING_SET);
    static final int[] SIZES = WorkloadData.sizes(WorkloadData.SEED, WorkloadData.SEQUENCE_LENGTH,
        WorkloadData.MIN_SIZE, WorkloadData.churnMaxSize("churn-small"));
    static final int[] PREFILL = WorkloadData.prefillSizes(WorkloadData.SEED, WorkloadData.WORKING_SET,
        WorkloadData.MIN_SIZE, WorkloadData.churnMaxSize("churn-small"));
    static final CountDownLatch RELEASE = new CountDownLatch(1);
    static final List<Thread> OTHERS = new ArrayList<>();

    public static void main(final String[] args) throws Exception
    {
        final long phaseMs = Long.parseLong(args[0]);
        final int cycles = Integer.parseInt(args[1]);
        final String[] names = {"bare", "primary", "hot1", "outside"};
        final Subject[] subjects = {new Bare(), new Facade(0), new Facade1(1), new Facade2(Integer.getInteger("outside", 4))};
        final double[][] ratios = new double[names.length][cycles];
        for (int c = -3; c < cycles; c++) // three warm-up cycles
        {
            final double[] ns = new double[names.length];
            for (int s = 0; s < names.length; s++)
            {
                final long t0 = System.nanoTime();
                final long ops = subjects[s].run(TimeUnit.MILLISECONDS.toNanos(phaseMs));
                ns[s] = (double)(System.nanoTime() - t0) / ops;
            }
            if (c < 0)
            {
                continue;
            }
            final StringBuilder line = new StringBuilder("cycle " + c + ":");
            for (int s = 0; s < names.length; s++)
            {
                ratios[s][c] = ns[s] / ns[0];
                line.append(String.format(" %s %.2f ns (%.3f)", names[s], ns[s], ratios[s][c]));
            }
            System.out.println(line);
        }
        for (int s = 1; s < names.length; s++)
        {
            final double[] r = ratios[s].clone();
            Arrays.sort(r);
            System.out.printf("median %s / bare over %d cycles: %.3f (min %.3f, max %.3f)%n", names[s], cycles,
                r[cycles / 2], r[0], r[cycles - 1]);
        }
        RELEASE.countDown();
        for (final Subject s : subjects)
        {
            s.close();
        }
    }

    /** A PER_THREAD allocator with {@code others} living threads registered before the calling thread. */
    static ArenaAllocator allocatorAfter(final int others) throws InterruptedException
    {
        final ArenaAllocator allocator = ArenaAllocator.builder().policy(Policy.PER_THREAD)
            .livenessScanNanos(TimeUnit.HOURS.toNanos(1)).build();
        for (int i = 0; i < others; i++)
        {
            final CountDownLatch registered = new CountDownLatch(1);
            final Thread t = new Thread(() ->
            {
                allocator.free(allocator.allocate(16));
                registered.countDown();
                try
                {
                    RELEASE.await();
                }
                catch (final InterruptedException ex)
                {
                    Thread.currentThread().interrupt();
                }
            });
            t.setDaemon(true);
            t.start();
            registered.await();
            OTHERS.add(t);
        }
        return allocator;
    }

    static final class Bare implements Subject
    {
        final io.arenaalloc.core.OffHeapArena arena = io.arenaalloc.core.OffHeapArena.create();
        final long[] blocks = new long[WorkloadData.WORKING_SET];
        int cursor;

        Bare()
        {
            for (int i = 0; i < blocks.length; i++)
            {
                blocks[i] = arena.allocate(PREFILL[i]);
            }
        }

        @Override
        public long run(final long nanos)
        {
            final long end = System.nanoTime() + nanos;
            long ops = 0;
            do
            {
                for (int n = 0; n < 1024; n++)
                {
                    final int k = cursor++ & WorkloadData.SEQUENCE_MASK;
                    final int i = SLOTS[k];
                    arena.free(blocks[i]);
                    final long address = arena.allocate(SIZES[k]);
                    UnsafeApi.putLong(address, k);
                    blocks[i] = address;
                }
                ops += 1024;
            }
            while (System.nanoTime() < end);
            return ops;
        }

        @Override
        public void close()
        {
            for (final long b : blocks)
            {
                arena.free(b);
            }
            arena.close();
        }
    }

    /** Facade, Facade1 and Facade2: the same loop, one copy each (one JIT profile per call site). */
    static class Facade implements Subject
    {
        final ArenaAllocator allocator;
        final long[] blocks = new long[WorkloadData.WORKING_SET];
        int cursor;

        Facade(final int others)
        {
            try
            {
                allocator = allocatorAfter(others);
            }
            catch (final InterruptedException ex)
            {
                throw new IllegalStateException(ex);
            }
            for (int i = 0; i < blocks.length; i++)
            {
                blocks[i] = allocator.allocate(PREFILL[i]);
            }
        }

        @Override
        public long run(final long nanos)
        {
            final long end = System.nanoTime() + nanos;
            long ops = 0;
            do
            {
                for (int n = 0; n < 1024; n++)
                {
                    final int k = cursor++ & WorkloadData.SEQUENCE_MASK;
                    final int i = SLOTS[k];
                    allocator.free(blocks[i]);
                    final long address = allocator.allocate(SIZES[k]);
                    UnsafeApi.putLong(address, k);
                    blocks[i] = address;
                }
                ops += 1024;
            }
            while (System.nanoTime() < end);
            return ops;
        }

        @Override
        public void close()
        {
            for (final long b : blocks)
            {
                allocator.free(b);
            }
            allocator.close();
        }
    }

    static final class Facade1 extends Facade
    {
        Facade1(final int others)
        {
            super(others);
        }

        @Override
        public long run(final long nanos)
        {
            final long end = System.nanoTime() + nanos;
            long ops = 0;
            do
            {
                for (int n = 0; n < 1024; n++)
                {
                    final int k = cursor++ & WorkloadData.SEQUENCE_MASK;
                    final int i = SLOTS[k];
                    allocator.free(blocks[i]);
                    final long address = allocator.allocate(SIZES[k]);
                    UnsafeApi.putLong(address, k);
                    blocks[i] = address;
                }
                ops += 1024;
            }
            while (System.nanoTime() < end);
            return ops;
        }
    }

    static final class Facade2 extends Facade
    {
        Facade2(final int others)
        {
            super(others);
        }

        @Override
        public long run(final long nanos)
        {
            final long end = System.nanoTime() + nanos;
            long ops = 0;
            do
            {
                for (int n = 0; n < 1024; n++)
                {
                    final int k = cursor++ & WorkloadData.SEQUENCE_MASK;
                    final int i = SLOTS[k];
                    allocator.free(blocks[i]);
                    final long address = allocator.allocate(SIZES[k]);
                    UnsafeApi.putLong(address, k);
                    blocks[i] = address;
                }
                ops += 1024;
            }
            while (System.nanoTime() < end);
            return ops;
        }
    }
}
