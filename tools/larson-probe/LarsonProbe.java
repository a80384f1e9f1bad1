import io.arenaalloc.bench.workload.LarsonBenchmark;
import io.arenaalloc.bench.workload.WorkloadData;
import io.arenaalloc.core.ArenaCounters;
import io.arenaalloc.core.OffHeapArena;
import io.arenaalloc.threads.ArenaAllocator;
import org.agrona.UnsafeApi;

import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * A diagnostic, not a benchmark of record: the {@code larson} workload's loop and streams ({@link LarsonBenchmark}:
 * sets of 4096 log-uniform 16-1024 B blocks from {@link WorkloadData} with the same seeds, free a random one,
 * allocate a replacement, write 8 bytes, swap sets through one exchange slot every {@code -Dround} operations,
 * 4096 by default) on an {@link ArenaAllocator} with its defaults, for T threads and S seconds; then
 * each arena's counters (allocations, remote frees queued and applied, chunks) and the allocator's. With
 * {@code -Dround=1000000000} no set is ever exchanged, so every free is the owner's: the same loop's scaling
 * without remote frees. {@code -Dnowrite=true} leaves the 8-byte write out. See docs/larson.md.
 * <pre>
 *   mvn -q -o package -DskipTests
 *   java --add-exports java.base/jdk.internal.misc=ALL-UNNAMED -cp bench/target/arena-bench.jar \
 *     tools/larson-probe/LarsonProbe.java 2 5
 * </pre>
 */
public final class LarsonProbe
{
    private static final int SET = LarsonBenchmark.SET_SIZE;
    private static final int ROUND = Integer.getInteger("round", LarsonBenchmark.ROUND);
    private static final boolean WRITE = !Boolean.getBoolean("nowrite");

    public static void main(final String[] args) throws Exception
    {
        final int threads = Integer.parseInt(args[0]);
        final long seconds = Long.parseLong(args[1]);
        try (ArenaAllocator alloc = ArenaAllocator.builder().build())
        {
            final long[] slots = new long[(threads + 1) * SET];
            fill(alloc, slots, threads);
            final AtomicInteger exchange = new AtomicInteger(threads);
            final AtomicBoolean stop = new AtomicBoolean();
            final long[] ops = new long[threads * 16];
            final Thread[] workers = new Thread[threads];
            for (int t = 0; t < threads; t++)
            {
                final int id = t;
                workers[t] = new Thread(() ->
                {
                    final int[] index = WorkloadData.indexes(WorkloadData.SEED + id, WorkloadData.SEQUENCE_LENGTH, SET);
                    final int[] sizes = WorkloadData.sizes(WorkloadData.SEED + id, WorkloadData.SEQUENCE_LENGTH,
                        WorkloadData.MIN_SIZE, LarsonBenchmark.MAX_SIZE);
                    fill(alloc, slots, id);
                    int base = id * SET;
                    int set = id;
                    long c = 0;
                    int inRound = 0;
                    while (!stop.get())
                    {
                        for (int k = 0; k < 1024; k++)
                        {
                            final int s = (int)(c++ & WorkloadData.SEQUENCE_MASK);
                            final int slot = base + index[s];
                            alloc.free(slots[slot]);
                            final long address = alloc.allocate(sizes[s]);
                            if (WRITE)
                            {
                                UnsafeApi.putLong(address, s);
                            }
                            slots[slot] = address;
                            if (++inRound == ROUND)
                            {
                                inRound = 0;
                                set = exchange.getAndSet(set);
                                base = set * SET;
                            }
                        }
                    }
                    ops[id * 16] = c;
                }, "larson-" + t);
            }
            for (final Thread w : workers)
            {
                w.start();
            }
            Thread.sleep(seconds * 1000);
            stop.set(true);
            long total = 0;
            for (int t = 0; t < threads; t++)
            {
                workers[t].join();
                total += ops[t * 16];
            }
            System.out.printf("threads=%d round=%d write=%s: %.1f Mops/s%n", threads, ROUND, WRITE, total / (seconds * 1e6));
            final long[] v = new long[ArenaCounters.COUNT];
            for (final OffHeapArena a : alloc.arenas())
            {
                a.counters().copyTo(v);
                final StringBuilder line = new StringBuilder("arena ").append(a.arenaId()).append(':');
                for (int i = 0; i < ArenaCounters.COUNT; i++)
                {
                    if (v[i] != 0)
                    {
                        line.append(' ').append(ArenaCounters.NAMES[i]).append('=').append(v[i]);
                    }
                }
                System.out.println(line);
            }
            System.out.println(alloc.counters());
            for (int i = 0; i < slots.length; i++)
            {
                alloc.free(slots[i]);
            }
        }
    }

    /** Fills set {@code set} as the benchmark does (its prefill sizes, seeded with SEED + set). */
    private static void fill(final ArenaAllocator alloc, final long[] slots, final int set)
    {
        final int[] prefill = WorkloadData.prefillSizes(WorkloadData.SEED + set, SET, WorkloadData.MIN_SIZE,
            LarsonBenchmark.MAX_SIZE);
        for (int i = 0; i < SET; i++)
        {
            slots[set * SET + i] = alloc.allocate(prefill[i]);
        }
    }
}
