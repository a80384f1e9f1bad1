package io.arenaalloc.threads;

import io.arenaalloc.core.OffHeapArena;
import org.agrona.UnsafeApi;

import java.util.SplittableRandom;

/**
 * Not a test (speed is never asserted): an in-process A/B of the facade's cost on a {@code churn-small}-like
 * loop, a bare {@link OffHeapArena} against an {@link ArenaAllocator} of one policy, alternating rounds in
 * one JVM and keeping the best round of each (robust on a shared, noisy machine). Working set 8192 blocks,
 * each op frees a random one and allocates a log-uniform 16-256 B replacement, 8 bytes written.
 * <pre>
 *   mvn -B -ntp -q -pl arena-threads -am test-compile -DskipTests
 *   java --add-exports java.base/jdk.internal.misc=ALL-UNNAMED -cp "arena-threads/target/test-classes:arena-threads/target/classes:\
 *     arena-core/target/classes:$(ls ~/.m2/repository/org/agrona/agrona/2.3.1/agrona-2.3.1.jar):\
 *     $(ls ~/.m2/repository/org/jctools/jctools-core/4.0.5/jctools-core-4.0.5.jar)" \
 *     io.arenaalloc.threads.FacadeCostMain PER_THREAD 50 500000
 * </pre>
 * Each policy in its own JVM: sharing one JVM would give the facade's call sites both policies' profiles.
 */
public final class FacadeCostMain
{
    private static final int WORKING_SET = 8192;
    private static final int SEQUENCE = 1 << 16;
    private static int[] slots;
    private static int[] sizes;
    private static long sink;

    private FacadeCostMain()
    {
    }

    private static double bare(final OffHeapArena a, final long[] blocks, final long ops)
    {
        final long start = System.nanoTime();
        long s = 0;
        for (long i = 0; i < ops; i++)
        {
            final int c = (int)i & (SEQUENCE - 1);
            final int slot = slots[c];
            a.free(blocks[slot]);
            final long x = a.allocate(sizes[c]);
            blocks[slot] = x;
            UnsafeApi.putLong(x, c);
            s += x;
        }
        sink += s;
        return (System.nanoTime() - start) / (double)ops;
    }

    private static double facade(final ArenaAllocator a, final long[] blocks, final long ops)
    {
        final long start = System.nanoTime();
        long s = 0;
        for (long i = 0; i < ops; i++)
        {
            final int c = (int)i & (SEQUENCE - 1);
            final int slot = slots[c];
            a.free(blocks[slot]);
            final long x = a.allocate(sizes[c]);
            blocks[slot] = x;
            UnsafeApi.putLong(x, c);
            s += x;
        }
        sink += s;
        return (System.nanoTime() - start) / (double)ops;
    }

    public static void main(final String[] args)
    {
        final Policy policy = Policy.valueOf(args.length > 0 ? args[0] : "PER_THREAD");
        final int rounds = args.length > 1 ? Integer.parseInt(args[1]) : 50;
        final long ops = args.length > 2 ? Long.parseLong(args[2]) : 500_000;
        final SplittableRandom random = new SplittableRandom(0x5EED_A110CL);
        slots = new int[SEQUENCE];
        sizes = new int[SEQUENCE];
        for (int i = 0; i < SEQUENCE; i++)
        {
            slots[i] = random.nextInt(WORKING_SET);
            sizes[i] = (int)Math.round(Math.exp(Math.log(16) + random.nextDouble() * (Math.log(256) - Math.log(16))));
        }
        try (OffHeapArena arena = OffHeapArena.create();
            ArenaAllocator alloc = ArenaAllocator.builder().policy(policy).build())
        {
            final long[] bareBlocks = new long[WORKING_SET];
            final long[] facadeBlocks = new long[WORKING_SET];
            for (int i = 0; i < WORKING_SET; i++)
            {
                bareBlocks[i] = arena.allocate(sizes[i]);
                facadeBlocks[i] = alloc.allocate(sizes[i]);
            }
            double bestBare = Double.MAX_VALUE;
            double bestFacade = Double.MAX_VALUE;
            for (int r = 0; r < rounds; r++)
            {
                final double b = bare(arena, bareBlocks, ops);
                final double f = facade(alloc, facadeBlocks, ops);
                if (r >= 2) // warm-up
                {
                    bestBare = Math.min(bestBare, b);
                    bestFacade = Math.min(bestFacade, f);
                }
            }
            System.out.printf("churn-small-like, best of %d rounds x %d ops: bare OffHeapArena %.1f ns/op, %s facade %.1f ns/op, " +
                "facade/bare %.2fx (sink %d)%n", rounds - 2, ops, bestBare, policy, bestFacade, bestFacade / bestBare, sink & 1);
            for (int i = 0; i < WORKING_SET; i++)
            {
                arena.free(bareBlocks[i]);
                alloc.free(facadeBlocks[i]);
            }
        }
    }
}
