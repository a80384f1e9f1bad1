package io.arenaalloc.stats;

import io.arenaalloc.core.ArenaConfig;
import io.arenaalloc.core.OffHeapArena;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.lang.management.ManagementFactory;
import java.nio.file.Path;

import static org.junit.jupiter.api.Assertions.assertEquals;

/**
 * The writing side allocates nothing in steady state: the owner's publish (walk included), the exporter's publish
 * into the mapped file, and copying figures. Measured with the thread's allocated-bytes counter.
 */
class ZeroGarbageTest
{
    /**
     * Windows measured after the warm-up; the best must be exactly 0 bytes. One window can see a few hundred bytes
     * that are not the publish's: a deoptimization materializes objects that compiled code had scalar-replaced (as
     * arena-threads' ZeroGarbageTest explains); a real per-publish allocation shows in every window, times the count.
     */
    private static final int WINDOWS = 5;

    private static long bestWindow(final com.sun.management.ThreadMXBean threads, final Runnable work, final int count)
    {
        long best = Long.MAX_VALUE;
        for (int w = 0; w < WINDOWS && best != 0; w++)
        {
            final long baselineStart = threads.getCurrentThreadAllocatedBytes();
            final long baseline = threads.getCurrentThreadAllocatedBytes() - baselineStart;
            final long start = threads.getCurrentThreadAllocatedBytes();
            for (int i = 0; i < count; i++)
            {
                work.run();
            }
            best = Math.min(best, threads.getCurrentThreadAllocatedBytes() - start - baseline);
        }
        return best;
    }

    @Test
    void publishingAllocatesNothing(@TempDir final Path dir)
    {
        final com.sun.management.ThreadMXBean threads = (com.sun.management.ThreadMXBean)ManagementFactory.getThreadMXBean();
        try (OffHeapArena arena = OffHeapArena.create(ArenaConfig.builder().chunkSize(256 << 10).build());
            ArenaStatsExporter exporter = ArenaStatsExporter.builder().file(dir.resolve("zero.dat")).intervalMillis(0)
                .maxCounters(128).build())
        {
            for (int i = 0; i < 200; i++)
            {
                arena.allocate(16 + i * 7);
                arena.allocateHandle(5000 + i);
            }
            final long pinned = arena.allocateHandle(100);
            arena.pin(pinned);
            final ArenaStatsPublisher publisher = ArenaStatsPublisher.builder(arena).intervalMillis(0).build();
            exporter.register(publisher);
            final long[] figures = new long[ArenaFigures.COUNT];
            final Runnable work = () ->
            {
                publisher.publishIfDue(System.nanoTime());
                exporter.publish();
                publisher.copyFigures(figures);
            };
            for (int i = 0; i < 20_000; i++)
            {
                work.run();
            }
            assertEquals(0, bestWindow(threads, work, 10_000), "bytes allocated by 10,000 publishes (best of " + WINDOWS +
                " windows)");
            assertEquals(1, figures[ArenaFigures.PINNED_BLOCKS]);
            arena.unpin(pinned);
        }
    }

    @Test
    void exportingAnAllocatorAllocatesNothingInSteadyState(@TempDir final Path dir)
    {
        final com.sun.management.ThreadMXBean threads = (com.sun.management.ThreadMXBean)ManagementFactory.getThreadMXBean();
        try (io.arenaalloc.threads.ArenaAllocator alloc = io.arenaalloc.threads.ArenaAllocator.builder()
            .backgroundMaintenance(false).arenaConfig(ArenaConfig.builder().chunkSize(256 << 10).build()).build();
            ArenaStatsExporter exporter = ArenaStatsExporter.builder().file(dir.resolve("zero-alloc.dat")).intervalMillis(0)
                .maxCounters(256).build())
        {
            final long block = alloc.allocate(100);
            final AllocatorStatsPublisher publisher = AllocatorStatsPublisher.of(alloc, "zero");
            exporter.register(publisher);
            final long[] figures = new long[AllocatorFigures.COUNT];
            final Runnable work = () ->
            {
                exporter.publish();
                publisher.copyFigures(figures);
            };
            for (int i = 0; i < 3_000; i++)
            {
                work.run();
            }
            assertEquals(0, bestWindow(threads, work, 1_000), "bytes allocated by 1,000 publishes of an allocator (best of " +
                WINDOWS + " windows)");
            assertEquals(1, figures[AllocatorFigures.ARENAS_OPEN]);
            assertEquals(1, figures[io.arenaalloc.threads.AllocatorCounters.ARENAS_CREATED]);
            alloc.free(block);
        }
    }
}
