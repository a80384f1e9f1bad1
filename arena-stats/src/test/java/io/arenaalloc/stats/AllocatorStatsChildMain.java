package io.arenaalloc.stats;

import io.arenaalloc.core.ArenaConfig;
import io.arenaalloc.threads.AllocatorLimitExceededException;
import io.arenaalloc.threads.ArenaAllocator;
import io.arenaalloc.threads.Policy;

import java.io.BufferedReader;
import java.io.InputStreamReader;
import java.nio.charset.StandardCharsets;
import java.nio.file.Paths;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.TimeUnit;

/**
 * The separate process of {@link ArenaStatToolProcessTest#showsTheAllocatorFiguresOfAnotherProcess}: exports an
 * {@link ArenaAllocator} named "pool" with a known history to the file named by {@code args[0]}, prints
 * "READY &lt;pid&gt; &lt;k&gt;", then waits until a line on stdin says "close" (close the exporter, exit 0) or "exit".
 *
 * <pre>
 *   the main thread allocates 10 blocks of 100 B        -&gt; threads-registered 1, arenas-created 1
 *   a second thread frees 4 of them (one batch of 64)    -&gt; remote-frees-batched 4, batches-published 1,
 *                                                          threads-registered 2
 *   the main thread maintains                            -&gt; the arena's remote-frees-queued 4, applied 4
 *   the main thread fills the 1 MiB global limit with k blocks of 100,000 B, the next one fails
 *                                                        -&gt; limit-failures 1, limit-waits 0; allocations 10 + k
 * </pre>
 */
public final class AllocatorStatsChildMain
{
    static final long LIMIT = 4 * (256 << 10);

    private AllocatorStatsChildMain()
    {
    }

    public static void main(final String[] args) throws Exception
    {
        final ArenaAllocator alloc = ArenaAllocator.builder().policy(Policy.PER_THREAD).backgroundMaintenance(false)
            .maxTotalBytes(LIMIT).arenaConfig(ArenaConfig.builder().chunkSize(256 << 10).build()).build();
        final long[] small = new long[10];
        for (int i = 0; i < small.length; i++)
        {
            small[i] = alloc.allocate(100);
        }
        final ExecutorService freer = Executors.newSingleThreadExecutor(r -> new Thread(r, "freer"));
        freer.submit(() ->
        {
            for (int i = 0; i < 4; i++)
            {
                alloc.free(small[i]);
            }
        }).get(30, TimeUnit.SECONDS);
        alloc.maintain(1_000_000);
        int k = 0;
        while (true)
        {
            try
            {
                alloc.allocate(100_000);
                k++;
            }
            catch (final AllocatorLimitExceededException ex)
            {
                break;
            }
        }
        final ArenaStatsExporter exporter = ArenaStatsExporter.builder().file(Paths.get(args[0])).intervalMillis(50)
            .maxCounters(512).description("AllocatorStatsChildMain").build();
        exporter.register(AllocatorStatsPublisher.of(alloc, "pool"));
        System.out.println("READY " + ProcessHandle.current().pid() + " " + k);
        System.out.flush();
        final String line;
        try (BufferedReader in = new BufferedReader(new InputStreamReader(System.in, StandardCharsets.US_ASCII)))
        {
            line = in.readLine();
        }
        if ("close".equals(line == null ? null : line.trim()))
        {
            exporter.close();
        }
        System.exit(0);
    }
}
