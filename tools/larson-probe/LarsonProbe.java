import io.arenaalloc.core.ArenaCounters;
import io.arenaalloc.core.OffHeapArena;
import io.arenaalloc.threads.ArenaAllocator;
import org.agrona.UnsafeApi;

import java.util.SplittableRandom;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * A diagnostic, not a benchmark of record: the {@code larson} workload's loop (sets of 4096 log-uniform 16-1024 B
 * blocks, free a random one, allocate a replacement, write 8 bytes, swap sets through one exchange slot every
 * {@code -Dround} operations) on an {@link ArenaAllocator} with its defaults, for T threads and S seconds; then
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
    private static final int SET = 4096;
    private static final int ROUND = Integer.getInteger("round", 4096);
    private static final boolean WRITE = !Boolean.getBoolean("nowrite");
    private static final int STREAM = 1 << 20;

    public static void main(final String[] args) throws Exception
    {
        final int threads = Integer.parseInt(args[0]);
        final long seconds = Long.parseLong(args[1]);
        try (ArenaAllocator alloc = ArenaAllocator.builder().build())
        {
            final long[] slots = new long[(threads + 1) * SET];
            final SplittableRandom spare = new SplittableRandom(42);
            for (int i = 0; i < SET; i++)
            {
                slots[threads * SET + i] = alloc.allocate(size(spare));
            }
            final AtomicInteger exchange = new AtomicInteger(threads);
            final AtomicBoolean stop = new AtomicBoolean();
            final long[] ops = new long[threads * 16];
            final Thread[] workers = new Thread[threads];
            for (int t = 0; t < threads; t++)
            {
                final int id = t;
                workers[t] = new Thread(() ->
                {
                    final SplittableRandom random = new SplittableRandom(id);
                    final int[] index = new int[STREAM];
                    final int[] sizes = new int[STREAM];
                    for (int i = 0; i < STREAM; i++)
                    {
                        index[i] = random.nextInt(SET);
                        sizes[i] = size(random);
                    }
                    int base = id * SET;
                    for (int i = 0; i < SET; i++)
                    {
                        slots[base + i] = alloc.allocate(sizes[i]);
                    }
                    int set = id;
                    long c = 0;
                    int inRound = 0;
                    while (!stop.get())
                    {
                        for (int k = 0; k < 1024; k++)
                        {
                            final int s = (int)(c++ & (STREAM - 1));
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

    /** Log-uniform 16..1024. */
    private static int size(final SplittableRandom random)
    {
        return (int)Math.exp(Math.log(16) + random.nextDouble() * Math.log(64));
    }
}
