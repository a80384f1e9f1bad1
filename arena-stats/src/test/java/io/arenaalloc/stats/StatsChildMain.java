package io.arenaalloc.stats;

import io.arenaalloc.core.ArenaConfig;
import io.arenaalloc.core.OffHeapArena;

import java.io.BufferedReader;
import java.io.InputStreamReader;
import java.nio.charset.StandardCharsets;
import java.nio.file.Paths;

/**
 * The separate process of {@link ArenaStatToolProcessTest}: exports two arenas with a known history to the file
 * named by {@code args[0]}, prints "READY", then keeps publishing (as an allocator's maintenance would) until a
 * line on stdin says "close" (close the exporter, exit 0) or "exit" (exit without closing).
 *
 * <pre>
 *   alpha: 100 fixed blocks of 100 B allocated, 40 freed       -&gt; allocations 100, frees 40, live-blocks 60
 *   beta:  10 movable blocks of 5000 B (20 granules), 2 pinned -&gt; allocations 10, live-blocks 10, pinned 2
 * </pre>
 */
public final class StatsChildMain
{
    private StatsChildMain()
    {
    }

    public static void main(final String[] args) throws Exception
    {
        final OffHeapArena alpha = OffHeapArena.create(ArenaConfig.builder().chunkSize(256 << 10).build());
        final OffHeapArena beta = OffHeapArena.create(ArenaConfig.builder().chunkSize(256 << 10).build());
        final long[] blocks = new long[100];
        for (int i = 0; i < 100; i++)
        {
            blocks[i] = alpha.allocate(100);
        }
        for (int i = 0; i < 40; i++)
        {
            alpha.free(blocks[i]);
        }
        final long[] handles = new long[10];
        for (int i = 0; i < 10; i++)
        {
            handles[i] = beta.allocateHandle(5000);
        }
        beta.pin(handles[3]);
        beta.pin(handles[7]);

        final ArenaStatsPublisher pa = ArenaStatsPublisher.builder(alpha).name("alpha").intervalMillis(20).build();
        final ArenaStatsPublisher pb = ArenaStatsPublisher.builder(beta).name("beta").intervalMillis(20).build();
        pa.publish();
        pb.publish();
        final ArenaStatsExporter exporter = ArenaStatsExporter.builder().file(Paths.get(args[0])).intervalMillis(50)
            .maxCounters(512).description("StatsChildMain").build();
        exporter.register(pa);
        exporter.register(pb);

        final String[] command = new String[1];
        final Thread stdin = new Thread(() ->
        {
            try (BufferedReader in = new BufferedReader(new InputStreamReader(System.in, StandardCharsets.US_ASCII)))
            {
                final String line = in.readLine();
                synchronized (command)
                {
                    command[0] = line == null ? "exit" : line.trim();
                }
            }
            catch (final Exception ex)
            {
                synchronized (command)
                {
                    command[0] = "exit";
                }
            }
        }, "stdin");
        stdin.setDaemon(true);
        stdin.start();
        System.out.println("READY " + ProcessHandle.current().pid());
        System.out.flush();
        while (true)
        {
            final String c;
            synchronized (command)
            {
                c = command[0];
            }
            if ("close".equals(c))
            {
                exporter.close();
                System.exit(0);
            }
            if ("exit".equals(c))
            {
                System.exit(0);
            }
            final long now = System.nanoTime();
            pa.publishIfDue(now);
            pb.publishIfDue(now);
            Thread.sleep(10);
        }
    }
}
