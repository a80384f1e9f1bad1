package io.arenaalloc.bench.extra;

import io.arenaalloc.bench.workload.AccessBenchmark;
import io.arenaalloc.bench.workload.WorkloadData;
import io.arenaalloc.core.HandleTable;
import io.arenaalloc.core.OffHeapArena;
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

import java.util.concurrent.TimeUnit;

/**
 * The floor under issue 3's access target (resolve + 8-byte read at most 1.5x the raw read): what the cheapest
 * handle indirection there can be costs on {@link AccessBenchmark}'s workload. If even an unchecked table of
 * addresses indexed by the handle's slot costs more than 1.5x raw, the target is below the floor of any handle
 * table, not just of this one. Not part of the contract suite; {@code java -jar bench/target/arena-bench.jar costs}
 * runs it with {@link StatsCostBenchmark} and {@link FacadeCostBenchmark} and writes the ratios ({@code BenchMain}),
 * or alone:
 * <pre>
 *   java -cp bench/target/arena-bench.jar org.openjdk.jmh.Main AccessFloor
 * </pre>
 *
 * <h2>Set-up</h2>
 * {@link AccessBenchmark}'s: {@link WorkloadData#ACCESS_BLOCKS} (8192) movable blocks of
 * {@link WorkloadData#ACCESS_BLOCK_SIZE} (64) bytes from {@link OffHeapArena#allocateHandle}, a value written into
 * each, every address resolved once (nothing compacts, so it stays valid), and the same seeded index stream
 * ({@code WorkloadData.indexes(SEED, SEQUENCE_LENGTH, ACCESS_BLOCKS)}) walked by the same cursor. Besides, a
 * {@code long[] table} indexed by each handle's slot index ({@link HandleTable#indexOf}) holds that block's
 * address.
 *
 * <h2>Modes (one benchmark method each, each in forks of its own)</h2>
 * Each op takes the next index {@code i} of the stream and returns 8 bytes of block {@code i}:
 * <pre>
 *   mode         reads                                              the chain of dependent loads after indexes[]
 *   raw          UnsafeApi.getLong(addresses[i])                    addresses[i], the block (AccessBenchmark.raw)
 *   plainTable   UnsafeApi.getLong(table[indexOf(handles[i])])      handles[i], table[slot], the block: no checks
 *   resolve      UnsafeApi.getLong(arena.resolve(handles[i]))       handles[i], the directory, the segment, the slot's
 *                                                                   state (currency check) and address, the block
 *                                                                   (AccessBenchmark.arenaResolve)
 * </pre>
 * {@code plainTable} is the floor of one indirection through a table: one more dependent load than {@code raw}
 * (the handle, then its table entry) and a masked index, nothing else; any handle table has at least that.
 * Ratios ({@code CostsRunner}): {@code plainTable / raw}, that floor against issue 3's 1.5x; {@code resolve /
 * plainTable}, the real table's own cost above the floor (directory and segment loads, the currency check, the
 * COPYING test). All three read the same blocks at the same addresses. {@link #setUp} checks that the table and
 * {@code resolve} lead to each block's value; {@link #tearDown} frees every block and closes the arena.
 */
@State(Scope.Thread)
@BenchmarkMode(Mode.AverageTime)
@OutputTimeUnit(TimeUnit.NANOSECONDS)
@Warmup(iterations = 3, time = 1)
@Measurement(iterations = 5, time = 1)
@Fork(value = 3, jvmArgsAppend = {"--add-exports", "java.base/jdk.internal.misc=ALL-UNNAMED", "-Xms1g", "-Xmx1g"})
public class AccessFloorBenchmark
{
    /** Benchmark method names, for runners. */
    public static final String RAW = "raw";
    public static final String PLAIN_TABLE = "plainTable";
    public static final String RESOLVE = "resolve";

    private OffHeapArena arena;
    private long[] handles;
    private long[] addresses;
    /** Each block's address at its handle's slot index: the unchecked table. */
    private long[] table;
    private int[] indexes;
    private int cursor;

    /** Allocate and write the working set, resolve every address once, fill the table by slot index. */
    @Setup(Level.Trial)
    public void setUp()
    {
        arena = OffHeapArena.create();
        handles = new long[WorkloadData.ACCESS_BLOCKS];
        addresses = new long[WorkloadData.ACCESS_BLOCKS];
        AccessBenchmark.allocateWorkingSet(arena, handles, addresses);
        int slots = 0;
        for (final long handle : handles)
        {
            slots = Math.max(slots, HandleTable.indexOf(handle) + 1);
        }
        table = new long[slots];
        for (int i = 0; i < handles.length; i++)
        {
            table[HandleTable.indexOf(handles[i])] = addresses[i];
        }
        for (int i = 0; i < handles.length; i++)
        {
            final long viaTable = UnsafeApi.getLong(table[HandleTable.indexOf(handles[i])]);
            final long viaResolve = UnsafeApi.getLong(arena.resolve(handles[i]));
            if (viaTable != i || viaResolve != i)
            {
                throw new IllegalStateException("block " + i + ": the table reads " + viaTable + ", resolve reads " +
                    viaResolve + " (two handles on one slot?)");
            }
        }
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

    /** @return 8 bytes read through the unchecked table entry at a random block's slot index. */
    @Benchmark
    public long plainTable()
    {
        final int i = indexes[cursor++ & WorkloadData.SEQUENCE_MASK];
        return UnsafeApi.getLong(table[HandleTable.indexOf(handles[i])]);
    }

    /** @return 8 bytes read through {@code resolve(handle)} of a random block. */
    @Benchmark
    public long resolve()
    {
        final int i = indexes[cursor++ & WorkloadData.SEQUENCE_MASK];
        return UnsafeApi.getLong(arena.resolve(handles[i]));
    }

    /** Free every block and close the arena. */
    @TearDown(Level.Trial)
    public void tearDown()
    {
        AccessBenchmark.freeWorkingSet(arena, handles);
        arena = null;
    }
}
