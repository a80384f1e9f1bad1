package io.arenaalloc.bench.workload;

import java.util.concurrent.TimeUnit;

import io.arenaalloc.core.OffHeapArena;
import org.agrona.UnsafeApi;
import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.BenchmarkMode;
import org.openjdk.jmh.annotations.Level;
import org.openjdk.jmh.annotations.Mode;
import org.openjdk.jmh.annotations.OutputTimeUnit;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.Setup;
import org.openjdk.jmh.annotations.State;
import org.openjdk.jmh.annotations.TearDown;

/**
 * Workload {@code access}: the cost of reaching a movable block.
 *
 * <p>{@code @Setup} allocates {@link WorkloadData#ACCESS_BLOCKS} (8192) movable 64-byte blocks
 * ({@link OffHeapArena#allocateHandle}) and writes a value into each; nothing compacts afterwards,
 * so each block's address, resolved once, stays valid. Each operation takes the next index from a
 * seeded stream (the same stream for every subject), reads 8 bytes of that block and returns them
 * to JMH's blackhole. One benchmark method per subject, so the measured code has no branch on the
 * subject:
 * <ul>
 *   <li>{@code raw} ({@link #raw}): the read through the address resolved at set-up (a plain
 *   {@code long[]} of addresses): the floor.</li>
 *   <li>{@code arena-resolve} ({@link #arenaResolve}): {@code arena.resolve(handle)}, then the read.</li>
 *   <li>{@code arena-pin} ({@link #arenaPin}): {@code arena.pin(handle)}, the read,
 *   {@code arena.unpin(handle)}, uncontended (one thread).</li>
 * </ul>
 * All three read the same blocks at the same addresses, so the differences are the indirection
 * (handle table lookup and currency check) and the pin/unpin CASes. Reported: {@code time} (ns/op)
 * and {@code alloc} (B/op, GC profiler).
 */
@State(Scope.Thread)
@BenchmarkMode(Mode.AverageTime)
@OutputTimeUnit(TimeUnit.NANOSECONDS)
public class AccessBenchmark
{
    private OffHeapArena arena;
    private long[] handles;
    private long[] addresses;
    private int[] indexes;
    private int cursor;

    /** Allocate and write the working set, resolve every address once. */
    @Setup(Level.Trial)
    public void setUp()
    {
        arena = OffHeapArena.create();
        handles = new long[WorkloadData.ACCESS_BLOCKS];
        addresses = new long[WorkloadData.ACCESS_BLOCKS];
        allocateWorkingSet(arena, handles, addresses);
        indexes = WorkloadData.indexes(WorkloadData.SEED, WorkloadData.SEQUENCE_LENGTH, WorkloadData.ACCESS_BLOCKS);
        cursor = 0;
    }

    /** @return 8 bytes read through the fixed address of a random block. */
    @Benchmark
    public long raw()
    {
        final int i = indexes[cursor++ & WorkloadData.SEQUENCE_MASK];
        return UnsafeApi.getLong(addresses[i]);
    }

    /** @return 8 bytes read through {@code resolve(handle)} of a random block. */
    @Benchmark
    public long arenaResolve()
    {
        final int i = indexes[cursor++ & WorkloadData.SEQUENCE_MASK];
        return UnsafeApi.getLong(arena.resolve(handles[i]));
    }

    /** @return 8 bytes read between {@code pin(handle)} and {@code unpin(handle)} of a random block. */
    @Benchmark
    public long arenaPin()
    {
        final int i = indexes[cursor++ & WorkloadData.SEQUENCE_MASK];
        final OffHeapArena arena = this.arena;
        final long handle = handles[i];
        final long value = UnsafeApi.getLong(arena.pin(handle));
        arena.unpin(handle);
        return value;
    }

    /** Free every block and close the arena. */
    @TearDown(Level.Trial)
    public void tearDown()
    {
        freeWorkingSet(arena, handles);
        arena = null;
    }

    /**
     * The working set of this workload (also {@code AccessFloorBenchmark}'s): one movable block of
     * {@link WorkloadData#ACCESS_BLOCK_SIZE} per entry of {@code handles}, its address resolved once into
     * {@code addresses}, its index written into its first 8 bytes.
     */
    public static void allocateWorkingSet(final OffHeapArena arena, final long[] handles, final long[] addresses)
    {
        for (int i = 0; i < handles.length; i++)
        {
            final long handle = arena.allocateHandle(WorkloadData.ACCESS_BLOCK_SIZE);
            handles[i] = handle;
            addresses[i] = arena.resolve(handle);
            UnsafeApi.putLong(addresses[i], i);
        }
    }

    /** Frees the working set and closes the arena (nothing when {@code arena} is null: set-up never ran). */
    public static void freeWorkingSet(final OffHeapArena arena, final long[] handles)
    {
        if (arena != null)
        {
            for (final long handle : handles)
            {
                arena.free(handle);
            }
            arena.close();
        }
    }
}
