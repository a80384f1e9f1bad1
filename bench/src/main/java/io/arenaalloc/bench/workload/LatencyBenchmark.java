package io.arenaalloc.bench.workload;

import java.util.concurrent.TimeUnit;

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

/**
 * Workload {@code latency}: the latency distribution of a single {@code allocate()}.
 *
 * <p>Same working set and streams as {@code churn-mixed} (8192 live blocks, log-uniform 16-16384 B,
 * same seed). Before each invocation, an {@code @Setup(Level.Invocation)} helper frees the block in
 * the next random slot; the timed invocation then only allocates the replacement and writes its
 * first 8 bytes. JMH's {@link Mode#SampleTime} times sampled invocations individually with
 * {@code System.nanoTime()}, outside the invocation helper, so the distribution is of allocate
 * alone (plus the same timer overhead, about 20-30 ns, for every subject). Reported per measurement
 * iteration: {@code p50}, {@code p99}, {@code p999} and {@code max} in ns; the report gives the
 * median, min and max of each across iterations and forks.
 */
@State(Scope.Thread)
@BenchmarkMode(Mode.SampleTime)
@OutputTimeUnit(TimeUnit.NANOSECONDS)
public class LatencyBenchmark
{
    /** Subject name from the contract (the suite runs one subject per fork). */
    @Param({"arena", "arena-striped", "netty-pooled", "netty-adaptive", "malloc", "allocate-direct", "jemalloc", "rpmalloc"})
    public String subject;

    private Subject allocator;
    private int[] slots;
    private int[] sizes;
    private int cursor;
    private int nextSlot;
    private int nextSize;

    /** Build the subject and fill the working set. */
    @Setup(Level.Trial)
    public void setUp()
    {
        slots = WorkloadData.indexes(WorkloadData.SEED, WorkloadData.SEQUENCE_LENGTH, WorkloadData.WORKING_SET);
        sizes = WorkloadData.sizes(
            WorkloadData.SEED, WorkloadData.SEQUENCE_LENGTH, WorkloadData.MIN_SIZE, WorkloadData.MIXED_MAX_SIZE);
        final int[] prefill = WorkloadData.prefillSizes(
            WorkloadData.SEED, WorkloadData.WORKING_SET, WorkloadData.MIN_SIZE, WorkloadData.MIXED_MAX_SIZE);
        allocator = Subjects.create(subject, WorkloadData.WORKING_SET);
        allocator.attachThread();
        for (int slot = 0; slot < WorkloadData.WORKING_SET; slot++)
        {
            UnsafeApi.putLong(allocator.allocate(slot, prefill[slot]), slot);
        }
        cursor = 0;
    }

    /** Untimed: free the block in the next random slot so the timed call has a slot to fill. */
    @Setup(Level.Invocation)
    public void freeNext()
    {
        final int c = cursor++ & WorkloadData.SEQUENCE_MASK;
        nextSlot = slots[c];
        nextSize = sizes[c];
        allocator.free(nextSlot);
    }

    /**
     * Timed: allocate one block and write its first 8 bytes.
     *
     * @return the block's address (blackholed by JMH).
     */
    @Benchmark
    public long allocate()
    {
        final long address = allocator.allocate(nextSlot, nextSize);
        UnsafeApi.putLong(address, nextSize);
        return address;
    }

    /** Free every block and close the subject. */
    @TearDown(Level.Trial)
    public void tearDown()
    {
        if (allocator != null)
        {
            allocator.close();
            allocator = null;
        }
    }
}
