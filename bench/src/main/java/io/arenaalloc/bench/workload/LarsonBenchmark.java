package io.arenaalloc.bench.workload;

import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;

import io.arenaalloc.bench.subject.Subject;
import io.arenaalloc.bench.subject.Subjects;
import org.agrona.UnsafeApi;
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
import org.openjdk.jmh.infra.BenchmarkParams;
import org.openjdk.jmh.infra.ThreadParams;

/**
 * Workloads {@code larson} (2 threads) and {@code larson@T} (T threads): Larson-style server churn
 * where blocks outlive the thread that allocated them.
 *
 * <p>There are T + 1 <em>sets</em> of {@link #SET_SIZE} blocks (log-uniform 16-1024 B). Each thread
 * owns one set and churns it like {@code churn-small}: free a random block of its set, allocate a
 * replacement, write 8 bytes. After every {@link #ROUND} operations the thread swaps its set for
 * the one waiting in a shared exchange slot ({@link AtomicInteger#getAndSet}, lock-free, never waits
 * for a partner), so from then on it frees blocks another thread allocated. The spare set makes the
 * exchange work for any T, including 1. Every thread walks its own pre-generated streams, seeded
 * with {@code SEED + threadIndex}, identical for every subject.
 *
 * <p>Reported: {@code throughput} = free+allocate pairs per microsecond summed over all threads
 * (Mops/s), and {@code alloc} = Java heap bytes per pair.
 */
@BenchmarkMode(Mode.Throughput)
@OutputTimeUnit(TimeUnit.MICROSECONDS)
public class LarsonBenchmark
{
    /** Blocks per set. */
    public static final int SET_SIZE = 4096;

    /** Operations a thread performs on a set before exchanging it. */
    public static final int ROUND = 4096;

    /** Largest block of this workload. */
    public static final int MAX_SIZE = 1024;

    /** The allocator, the spare set and the exchange slot, shared by all threads. */
    @State(Scope.Benchmark)
    public static class Shared
    {
        /** Subject name from the contract (the suite runs one subject per fork). */
        @Param({"arena", "arena-striped", "netty-pooled", "netty-adaptive", "malloc", "allocate-direct", "jemalloc", "rpmalloc"})
        public String subject;

        Subject allocator;
        AtomicInteger exchange;

        /** Build the subject for T + 1 sets and fill the spare set (number T). */
        @Setup(Level.Trial)
        public void setUp(final BenchmarkParams params)
        {
            setUp(params.getThreads());
        }

        void setUp(final int threads)
        {
            allocator = Subjects.create(subject, (threads + 1) * SET_SIZE, true);
            allocator.attachThread();
            fill(allocator, threads);
            exchange = new AtomicInteger(threads);
        }

        /** Free every block of every set and close the subject. */
        @TearDown(Level.Trial)
        public void tearDown()
        {
            if (allocator != null)
            {
                allocator.attachThread();
                allocator.close();
                allocator = null;
            }
        }
    }

    /** A thread's current set, round counter and streams. */
    @State(Scope.Thread)
    public static class Worker
    {
        int base;
        int set;
        int opsInRound;
        int cursor;
        int[] indexes;
        int[] sizes;

        /** Attach the thread, fill its first set (number = thread index), generate its streams. */
        @Setup(Level.Trial)
        public void setUp(final Shared shared, final ThreadParams threadParams)
        {
            setUp(shared, threadParams.getThreadIndex());
        }

        void setUp(final Shared shared, final int thread)
        {
            shared.allocator.attachThread();
            indexes = WorkloadData.indexes(WorkloadData.SEED + thread, WorkloadData.SEQUENCE_LENGTH, SET_SIZE);
            sizes = WorkloadData.sizes(
                WorkloadData.SEED + thread, WorkloadData.SEQUENCE_LENGTH, WorkloadData.MIN_SIZE, MAX_SIZE);
            set = thread;
            base = set * SET_SIZE;
            fill(shared.allocator, set);
        }
    }

    static void fill(final Subject allocator, final int set)
    {
        final int[] prefill = WorkloadData.prefillSizes(WorkloadData.SEED + set, SET_SIZE, WorkloadData.MIN_SIZE, MAX_SIZE);
        final int base = set * SET_SIZE;
        for (int i = 0; i < SET_SIZE; i++)
        {
            UnsafeApi.putLong(allocator.allocate(base + i, prefill[i]), i);
        }
    }

    /**
     * One operation: free a random block of the current set, allocate its replacement, write 8 bytes;
     * every {@link #ROUND} operations swap the set through the exchange slot.
     *
     * @return the new block's address (blackholed by JMH).
     */
    @Benchmark
    public long churn(final Shared shared, final Worker worker)
    {
        return op(shared, worker, true);
    }

    /**
     * The operation of {@link #churn}, with the set exchange optional ({@link LarsonFloorBenchmark} runs it
     * without: then every free is of a block the same thread allocated). {@code exchange} is a constant at each
     * call site, so the JIT keeps or removes the exchange branch.
     */
    static long op(final Shared shared, final Worker worker, final boolean exchange)
    {
        final int c = worker.cursor++ & WorkloadData.SEQUENCE_MASK;
        final int slot = worker.base + worker.indexes[c];
        final Subject allocator = shared.allocator;
        allocator.free(slot);
        final long address = allocator.allocate(slot, worker.sizes[c]);
        UnsafeApi.putLong(address, c);
        if (exchange && ++worker.opsInRound == ROUND)
        {
            worker.opsInRound = 0;
            worker.set = shared.exchange.getAndSet(worker.set);
            worker.base = worker.set * SET_SIZE;
        }
        return address;
    }
}
