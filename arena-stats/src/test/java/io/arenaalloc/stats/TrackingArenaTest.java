package io.arenaalloc.stats;

import io.arenaalloc.core.ArenaConfig;
import io.arenaalloc.core.OffHeapArena;
import org.junit.jupiter.api.Test;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

class TrackingArenaTest
{
    private static OffHeapArena arena()
    {
        return OffHeapArena.create(ArenaConfig.builder().chunkSize(256 << 10).build());
    }

    private static long leakFromHere(final TrackingArena t, final long size)
    {
        return t.allocate(size);
    }

    private static long leakHandleFromThere(final TrackingArena t)
    {
        return t.allocateHandle(1000);
    }

    @Test
    void paranoidReportsEveryLiveBlockWithItsStackOnClose()
    {
        final TrackingArena t = TrackingArena.builder(arena()).level(TrackingArena.Level.PARANOID).build();
        final long[] same = new long[3];
        for (int i = 0; i < 3; i++)
        {
            same[i] = leakFromHere(t, 100); // one call site: one stack
        }
        leakHandleFromThere(t);
        t.free(same[1]);
        long moved = t.allocate(5000);
        moved = t.reallocate(moved, 100_000);
        t.free(moved);
        assertEquals(3, t.trackedBlocks());
        final String report = t.leakReport();
        assertTrue(report.startsWith("arena " + t.arena().arenaId() + " has 3 live blocks (1,248 bytes); 3 of them " +
            "sampled at allocation (level PARANOID), 2 distinct stacks"), report);
        assertTrue(report.contains("#1: 2 blocks (200 bytes requested) allocated at:" + System.lineSeparator() +
            "    at " + TrackingArenaTest.class.getName() + ".leakFromHere("), report);
        assertTrue(report.contains("#2: 1 blocks (1,000 bytes requested) allocated at:" + System.lineSeparator() +
            "    at " + TrackingArenaTest.class.getName() + ".leakHandleFromThere("), report);
        final String logged;
        try (StdErrCapture err = new StdErrCapture())
        {
            t.close();
            logged = err.text();
        }
        assertTrue(logged.contains("WARN " + TrackingArena.LOGGER_NAME + " - arena "), logged);
        assertTrue(logged.contains(".leakFromHere("), logged);
        assertTrue(logged.contains("closing arena"), "arena-core logs its own count too: " + logged);
        assertTrue(t.arena().isClosed());
        assertEquals("", t.leakReport());
    }

    @Test
    void sampleRecordsOneAllocationInN()
    {
        try (TrackingArena t = TrackingArena.builder(arena()).level(TrackingArena.Level.SAMPLE).sampleInterval(4).build())
        {
            final long[] blocks = new long[8];
            for (int i = 0; i < 8; i++)
            {
                blocks[i] = t.allocate(64);
            }
            assertEquals(2, t.trackedBlocks());
            assertTrue(t.leakReport().contains("2 of them sampled at allocation (level SAMPLE, 1 in 4)"), t.leakReport());
            for (final long b : blocks)
            {
                t.free(b);
            }
            assertEquals(0, t.trackedBlocks());
            assertEquals("", t.leakReport());
        }
    }

    @Test
    void disabledRecordsNothing()
    {
        try (TrackingArena t = TrackingArena.builder(arena()).level(TrackingArena.Level.DISABLED).build())
        {
            t.allocate(64);
            assertEquals(0, t.trackedBlocks());
            assertTrue(t.leakReport().contains("leak detection is disabled"), t.leakReport());
            t.reset();
            assertEquals(0, t.arena().liveBlocks());
        }
    }

    @Test
    void builderValidates()
    {
        final OffHeapArena a = arena();
        try
        {
            final IllegalArgumentException ex = assertThrows(IllegalArgumentException.class,
                () -> TrackingArena.builder(a).sampleInterval(0));
            assertEquals("sampleInterval=0, expected 1..1048576", ex.getMessage());
            assertThrows(IllegalArgumentException.class, () -> TrackingArena.builder(a).level(null));
            assertThrows(IllegalArgumentException.class, () -> TrackingArena.builder(null));
        }
        finally
        {
            a.close();
        }
    }
}
