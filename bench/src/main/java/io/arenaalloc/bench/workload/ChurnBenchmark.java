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
 * Workloads {@code churn-small} and {@code churn-mixed}: single-thread steady-state churn.
 *
 * <p>A working set of {@link WorkloadData#WORKING_SET} (8192) live blocks is filled in
 * {@code @Setup}. Each operation frees the block in a slot chosen uniformly at random and allocates
 * a new block into that slot, with a log-uniform size in 16-256 B ({@code churn-small}) or
 * 16-16384 B ({@code churn-mixed}); the new block's first 8 bytes are written so the memory is
 * touched. Slot and size streams are pre-generated with the same seed for every subject, so every
 * subject performs the identical sequence. Reported: average time per free+allocate pair
 * ({@code time}, ns/op) and, from JMH's GC profiler, Java heap bytes per pair ({@code alloc}).
 *
 * <p>The measured method reads two ints from the streams, makes the two subject calls and one
 * 8-byte store, and returns the address (consumed by JMH's blackhole); the harness itself creates
 * no garbage.
 */
@State(Scope.Thread)
@BenchmarkMode(Mode.AverageTime)
@OutputTimeUnit(TimeUnit.NANOSECONDS)
public class ChurnBenchmark
{
    /** Workload name from the contract. */
    @Param({"churn-small", "churn-mixed"})
    public String workload;

    /** Subject name from the contract (the suite runs one subject per fork). */
    @Param({"arena", "arena-striped", "netty-pooled", "netty-adaptive", "malloc", "allocate-direct", "jemalloc", "rpmalloc"})
    public String subject;

    private Subject allocator;
    private int[] slots;
    private int[] sizes;
    private int cursor;

    /** Build the subject and fill the working set. */
    @Setup(Level.Trial)
    public void setUp()
    {
        final int maxSize = WorkloadData.churnMaxSize(workload);
        slots = WorkloadData.indexes(WorkloadData.SEED, WorkloadData.SEQUENCE_LENGTH, WorkloadData.WORKING_SET);
        sizes = WorkloadData.sizes(WorkloadData.SEED, WorkloadData.SEQUENCE_LENGTH, WorkloadData.MIN_SIZE, maxSize);
        final int[] prefill = WorkloadData.prefillSizes(
            WorkloadData.SEED, WorkloadData.WORKING_SET, WorkloadData.MIN_SIZE, maxSize);
        allocator = Subjects.create(subject, WorkloadData.WORKING_SET);
        allocator.attachThread();
        for (int slot = 0; slot < WorkloadData.WORKING_SET; slot++)
        {
            UnsafeApi.putLong(allocator.allocate(slot, prefill[slot]), slot);
        }
        cursor = 0;
    }

    /**
     * One operation: free a random live block, allocate its replacement, write 8 bytes into it.
     *
     * @return the new block's address (blackholed by JMH).
     */
    @Benchmark
    public long churn()
    {
        final int c = cursor++ & WorkloadData.SEQUENCE_MASK;
        final int slot = slots[c];
        final Subject allocator = this.allocator;
        allocator.free(slot);
        final long address = allocator.allocate(slot, sizes[c]);
        UnsafeApi.putLong(address, c);
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
