package io.arenaalloc.stats;

import io.arenaalloc.core.ArenaConfig;
import io.arenaalloc.core.ArenaCounters;
import io.arenaalloc.core.OffHeapArena;
import org.junit.jupiter.api.Test;
import org.slf4j.event.Level;

import java.util.List;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

class ArenaStatsReporterTest
{
    private static ArenaSnapshot known(final long publishes)
    {
        final long[] f = new long[ArenaFigures.COUNT];
        f[ArenaCounters.LIVE_BYTES] = 1536;
        f[ArenaCounters.LIVE_BLOCKS] = 3456;
        f[ArenaCounters.LIVE_HANDLES] = 12;
        f[ArenaFigures.PINNED_BLOCKS] = 1;
        f[ArenaCounters.COMMITTED_BYTES] = 8 << 20;
        f[ArenaCounters.COMMITTED_HIGH_WATER] = 8 << 20;
        f[ArenaCounters.CHUNKS] = 2;
        f[ArenaFigures.EMPTY_CHUNKS] = 1;
        f[ArenaFigures.FRAGMENTATION_PPM] = 125_000;
        f[ArenaFigures.LARGEST_FREE_RUN] = 256 << 10;
        f[ArenaCounters.LIMIT_WAITS] = 2;
        f[ArenaCounters.ALLOCATIONS] = 10_000;
        f[ArenaCounters.FREES] = 6544;
        f[ArenaFigures.FREES_LOCAL] = 6444;
        f[ArenaCounters.REMOTE_FREES_QUEUED] = 100;
        f[ArenaCounters.REMOTE_FREES_APPLIED] = 100;
        f[ArenaCounters.REQUESTED_BYTES] = 5 << 20;
        f[ArenaCounters.COMPACT_STEPS] = 5;
        f[ArenaCounters.COMPACT_NANOS] = 1_200_000;
        f[ArenaCounters.BLOCKS_MOVED] = 1000;
        f[ArenaCounters.BYTES_MOVED] = 2 << 20;
        f[ArenaFigures.PUBLISHES] = publishes;
        return ArenaSnapshot.of("arena-0", 0, 1, f);
    }

    @Test
    void formatsTheSummaryLineExactly()
    {
        assertEquals("arena-0: live 1.5 KiB in 3,456 blocks (12 handles, 1 pinned), committed 8.0 MiB (high 8.0 MiB) " +
            "in 2 chunks + 0 huge (1 empty), fragmentation 12.50%, largest free run 256.0 KiB; allocations 10,000, " +
            "frees 6,544 (local 6,444, remote 100 queued / 100 applied), reallocations 0, requested 5.0 MiB; " +
            "compaction 5 steps 1.2 ms, moved 1,000 blocks / 2.0 MiB, skipped pinned 0, release blocked 0; " +
            "limit waits 2, failures 0", ArenaStatsReporter.formatLine(known(3)));
        assertEquals("arena-0: live 1.5 KiB in 3,456 blocks (12 handles, ? pinned), committed 8.0 MiB (high 8.0 MiB) " +
            "in 2 chunks + 0 huge (not published); allocations 10,000, " +
            "frees 6,544 (local 6,444, remote 100 queued / 100 applied), reallocations 0, requested 5.0 MiB; " +
            "compaction 5 steps 1.2 ms, moved 1,000 blocks / 2.0 MiB, skipped pinned 0, release blocked 0; " +
            "limit waits 2, failures 0", ArenaStatsReporter.formatLine(known(0)));
        final String[] report = ArenaStatsReporter.formatReport(List.of(known(3), known(3)));
        assertEquals(3, report.length);
        assertTrue(report[2].startsWith("total (2 arenas): live 3.0 KiB in 6,912 blocks"), report[2]);
        assertEquals(1, ArenaStatsReporter.formatReport(List.of(known(3))).length);
    }

    @Test
    void logsAReportThroughSlf4j()
    {
        try (OffHeapArena a = OffHeapArena.create(ArenaConfig.builder().chunkSize(256 << 10).build());
            OffHeapArena b = OffHeapArena.create(ArenaConfig.builder().chunkSize(256 << 10).build()))
        {
            final ArenaStatsRegistry registry = new ArenaStatsRegistry();
            final ArenaStatsPublisher pa = registry.add(ArenaStatsPublisher.builder(a).name("left").build());
            final ArenaStatsPublisher pb = registry.add(ArenaStatsPublisher.builder(b).name("right").build());
            a.allocate(100);
            a.allocate(100);
            b.allocate(5000);
            pa.publish();
            pb.publish();
            final ArenaStatsReporter reporter = ArenaStatsReporter.builder(registry).loggerName("arena.test.report")
                .level(Level.WARN).intervalMillis(50).build();
            final String text;
            try (StdErrCapture err = new StdErrCapture())
            {
                reporter.report();
                text = err.text();
            }
            final String[] lines = text.split("\\R");
            assertEquals(3, lines.length, text);
            assertTrue(lines[0].matches(".*WARN arena\\.test\\.report - left: live 224 B in 2 blocks \\(0 handles, 0 pinned\\).*" +
                "allocations 2, frees 0 .*"), lines[0]);
            assertTrue(lines[1].contains("WARN arena.test.report - right: live 5.0 KiB in 1 blocks"), lines[1]);
            assertTrue(lines[2].contains("WARN arena.test.report - total (2 arenas): live 5.2 KiB in 3 blocks"), lines[2]);

            // the thread reports at its interval; below the logger's level nothing is formatted or logged
            try (StdErrCapture err = new StdErrCapture())
            {
                reporter.start();
                final long deadline = System.currentTimeMillis() + 5_000;
                while (!err.text().contains("total (2 arenas)") && System.currentTimeMillis() < deadline)
                {
                    Thread.onSpinWait();
                }
                reporter.close();
                assertTrue(err.text().contains("total (2 arenas)"), err.text());
            }
            final ArenaStatsReporter quiet = ArenaStatsReporter.builder(registry).loggerName("arena.test.quiet")
                .level(Level.DEBUG).build();
            try (StdErrCapture err = new StdErrCapture())
            {
                quiet.report();
                assertEquals("", err.text());
            }
        }
    }

    @Test
    void builderRejectsBadValues()
    {
        final ArenaStatsRegistry registry = new ArenaStatsRegistry();
        final IllegalArgumentException ex = assertThrows(IllegalArgumentException.class,
            () -> ArenaStatsReporter.builder(registry).intervalMillis(5));
        assertEquals("intervalMillis=5, expected 10..86400000", ex.getMessage());
        assertThrows(IllegalArgumentException.class, () -> ArenaStatsReporter.builder(null));
        assertThrows(IllegalArgumentException.class, () -> ArenaStatsReporter.builder(registry).level(null));
    }

    private static AllocatorSnapshot knownAllocator(final String name, final long limit)
    {
        final long[] f = new long[AllocatorFigures.COUNT];
        f[io.arenaalloc.threads.AllocatorCounters.THREADS_REGISTERED] = 3;
        f[io.arenaalloc.threads.AllocatorCounters.THREADS_ENDED] = 1;
        f[io.arenaalloc.threads.AllocatorCounters.ARENAS_CREATED] = 2;
        f[io.arenaalloc.threads.AllocatorCounters.REMOTE_FREES_BATCHED] = 5;
        f[io.arenaalloc.threads.AllocatorCounters.BATCHES_PUBLISHED] = 1;
        f[io.arenaalloc.threads.AllocatorCounters.LIMIT_WAITS] = 2;
        f[io.arenaalloc.threads.AllocatorCounters.LIMIT_FAILURES] = 1;
        f[AllocatorFigures.ARENAS_OPEN] = 2;
        f[AllocatorFigures.BUDGET_COMMITTED_BYTES] = 1 << 20;
        f[AllocatorFigures.BUDGET_LIMIT_BYTES] = limit;
        return AllocatorSnapshot.of(name, 1, f, List.of(known(0)));
    }

    @Test
    void formatsTheAllocatorLineExactly()
    {
        assertEquals("pool: 2 arenas open, budget 1.0 MiB committed of 4.0 MiB; threads 3 registered, 1 ended; " +
            "arenas 2 created, 0 orphaned, 0 adopted, 0 closed; remote frees 5 batched in 1 batches (0 overflowed), " +
            "0 single (0 overflowed), 0 locked, 0 errors, 0 deferred; stripe rehashes 0; limit waits 2, failures 1; " +
            "maintenance runs 0", ArenaStatsReporter.formatAllocatorLine(knownAllocator("pool", 4 << 20)));
        final AllocatorSnapshot total = AllocatorSnapshot.total("total",
            List.of(knownAllocator("a", 4 << 20), knownAllocator("b", Long.MAX_VALUE)));
        assertEquals("total (2 allocators): 4 arenas open, budget 2.0 MiB committed, no limit; threads 6 registered, " +
            "2 ended; arenas 4 created, 0 orphaned, 0 adopted, 0 closed; remote frees 10 batched in 2 batches " +
            "(0 overflowed), 0 single (0 overflowed), 0 locked, 0 errors, 0 deferred; stripe rehashes 0; limit waits 4, " +
            "failures 2; maintenance runs 0", ArenaStatsReporter.formatAllocatorLine(total));
        assertEquals(2, total.arenas().size());
        final String[] report = ArenaStatsReporter.formatReport(List.of(known(3)),
            List.of(knownAllocator("a", 1), knownAllocator("b", 2)));
        assertEquals(4, report.length, String.join("\n", report));
        assertTrue(report[0].startsWith("arena-0: "), report[0]);
        assertTrue(report[1].startsWith("a: "), report[1]);
        assertTrue(report[2].startsWith("b: "), report[2]);
        assertTrue(report[3].startsWith("total (2 allocators): "), report[3]);
    }

    @Test
    void logsAllocatorsAndTheirArenas() throws Exception
    {
        try (OffHeapArena lone = OffHeapArena.create(ArenaConfig.builder().chunkSize(256 << 10).build());
            io.arenaalloc.threads.ArenaAllocator alloc = io.arenaalloc.threads.ArenaAllocator.builder()
                .backgroundMaintenance(false).maxTotalBytes(1 << 20)
                // no liveness scan after the first: with the default 10 ms, a slow moment before maintain() let a
                // scan see the remote thread ended and the line read "1 ended"
                .livenessScanNanos(java.util.concurrent.TimeUnit.HOURS.toNanos(1))
                .arenaConfig(ArenaConfig.builder().chunkSize(256 << 10).build()).build())
        {
            final ArenaStatsRegistry registry = new ArenaStatsRegistry();
            registry.add(ArenaStatsPublisher.builder(lone).name("lone").build()).publish();
            registry.add(AllocatorStatsPublisher.of(alloc, "pool"));
            lone.allocate(100);
            final long a = alloc.allocate(100);
            final Thread remote = new Thread(() -> alloc.free(a), "remote");
            remote.start();
            remote.join();
            alloc.maintain(1_000_000);
            assertThrows(io.arenaalloc.threads.AllocatorLimitExceededException.class, () -> alloc.allocate(2 << 20));
            final ArenaStatsReporter reporter = ArenaStatsReporter.builder(registry).loggerName("arena.test.alloc")
                .level(Level.WARN).build();
            final String text;
            try (StdErrCapture err = new StdErrCapture())
            {
                reporter.report();
                text = err.text();
            }
            final String[] lines = text.split("\\R");
            assertEquals(4, lines.length, text);
            assertTrue(lines[0].contains("WARN arena.test.alloc - lone: live 112 B in 1 blocks"), lines[0]);
            assertTrue(lines[1].matches(".*WARN arena\\.test\\.alloc - pool/arena-\\d+: live 0 B in 0 blocks .*" +
                "\\(not published\\); allocations 1, frees 1 \\(local 0, remote 1 queued / 1 applied\\).*"), lines[1]);
            assertTrue(lines[2].contains("WARN arena.test.alloc - total (2 arenas): live 112 B in 1 blocks"), lines[2]);
            assertTrue(lines[3].contains("WARN arena.test.alloc - pool: 1 arenas open, budget 256.0 KiB committed of " +
                "1.0 MiB; threads 2 registered, 0 ended; arenas 1 created, 0 orphaned, 0 adopted, 0 closed; remote frees " +
                "1 batched in 1 batches (0 overflowed), 0 single (0 overflowed), 0 locked, 0 errors, 0 deferred; " +
                "stripe rehashes 0; limit waits 0, failures 1; maintenance runs 0"), lines[3]);
        }
    }
}
