package io.arenaalloc.stats;

import io.arenaalloc.core.ArenaConfig;
import io.arenaalloc.core.OffHeapArena;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

class ArenaStatsExporterTest
{
    private static OffHeapArena arena()
    {
        return OffHeapArena.create(ArenaConfig.builder().chunkSize(256 << 10).build());
    }

    @Test
    void fullFileClosedArenasAndClose(@TempDir final Path dir) throws Exception
    {
        final Path file = dir.resolve("x.dat");
        final OffHeapArena a = arena();
        final OffHeapArena b = arena();
        final OffHeapArena c = arena();
        try (ArenaStatsExporter exporter = ArenaStatsExporter.builder().file(file).intervalMillis(0)
            .maxCounters(2 * ArenaFigures.COUNT).description("exporter test").build())
        {
            assertEquals(StatsFile.fileLength(2 * ArenaFigures.COUNT), Files.size(file));
            final ArenaStatsPublisher pa = ArenaStatsPublisher.builder(a).name("a").build();
            final ArenaStatsPublisher pb = ArenaStatsPublisher.builder(b).name("b").build();
            final ArenaStatsPublisher pc = ArenaStatsPublisher.builder(c).name("c").build();
            exporter.register(pa);
            exporter.register(pb);
            assertThrows(IllegalArgumentException.class, () -> exporter.register(pa));
            final IllegalStateException full = assertThrows(IllegalStateException.class, () -> exporter.register(pc));
            assertEquals("stats file " + file + " is full: capacity=" + 2 * ArenaFigures.COUNT + " counters, available=0, " +
                "an arena needs " + ArenaFigures.COUNT + "; raise maxCounters (arena.stats.maxCounters)", full.getMessage());

            a.allocate(10);
            a.close();
            exporter.publish(); // drops the closed arena and frees its counters
            assertEquals(List.of(pb), exporter.publishers());
            exporter.register(pc); // reuses them
            try (StatsFileReader reader = StatsFileReader.open(file))
            {
                assertEquals("exporter test", reader.description());
                assertEquals(ProcessHandle.current().pid(), reader.pid());
                final List<ArenaSnapshot> arenas = reader.read();
                assertEquals(2, arenas.size());
                assertEquals("b", arenas.get(0).name());
                assertEquals("c", arenas.get(1).name());
                assertEquals(c.arenaId(), arenas.get(1).arenaId());
                final long before = reader.publishCount();
                exporter.publish();
                assertEquals(before + 1, reader.publishCount());
                assertTrue(exporter.unregister(pc));
                assertFalse(exporter.unregister(pc));
                assertEquals(1, reader.read().size());
                exporter.close();
                assertEquals(StatsFileReader.State.CLOSED, reader.liveness(System.currentTimeMillis()).state());
                assertThrows(IllegalStateException.class, () -> exporter.register(pc));
            }
        }
        finally
        {
            b.close();
            c.close();
        }
    }

    @Test
    void threadPublishesAtItsIntervalAndDeleteOnClose(@TempDir final Path dir) throws Exception
    {
        final Path file = dir.resolve("t.dat");
        try (OffHeapArena a = arena())
        {
            final ArenaStatsExporter exporter = ArenaStatsExporter.builder().file(file).intervalMillis(10)
                .maxCounters(ArenaFigures.COUNT).deleteOnClose(true).build();
            exporter.register(ArenaStatsPublisher.of(a));
            try (StatsFileReader reader = StatsFileReader.open(file))
            {
                final long deadline = System.currentTimeMillis() + 5_000;
                a.allocate(100);
                while (reader.read().get(0).allocations() != 1 && System.currentTimeMillis() < deadline)
                {
                    Thread.sleep(5);
                }
                assertEquals(1, reader.read().get(0).allocations());
                assertTrue(reader.publishCount() > 0);
                assertEquals(10, reader.intervalMillis());
            }
            exporter.close();
            assertFalse(Files.exists(file));
        }
    }

    @Test
    void buildersValidateAndNameTheValue()
    {
        assertEquals("maxCounters=10, expected " + ArenaFigures.COUNT + "..1048576",
            assertThrows(IllegalArgumentException.class, () -> ArenaStatsExporter.builder().maxCounters(10)).getMessage());
        assertEquals("intervalMillis=-1, expected 0..3600000",
            assertThrows(IllegalArgumentException.class, () -> ArenaStatsExporter.builder().intervalMillis(-1)).getMessage());
        assertThrows(IllegalArgumentException.class, () -> ArenaStatsExporter.builder().description("caf\u00e9"));
        assertThrows(IllegalArgumentException.class, () -> ArenaStatsExporter.builder().file(null));
        assertFalse(ArenaStatsExporter.enabledBySystemProperty());
        try (OffHeapArena a = arena())
        {
            assertEquals("name=, expected 1..64 printable ASCII characters",
                assertThrows(IllegalArgumentException.class, () -> ArenaStatsPublisher.builder(a).name("")).getMessage());
            assertThrows(IllegalArgumentException.class, () -> ArenaStatsPublisher.builder(a).intervalMillis(-5));
            assertThrows(IllegalArgumentException.class, () -> ArenaStatsPublisher.builder(null));
        }
    }

    @Test
    void publishIfDueRespectsTheInterval()
    {
        try (OffHeapArena a = arena())
        {
            final ArenaStatsPublisher p = ArenaStatsPublisher.builder(a).intervalMillis(1000).walk(false).build();
            final long t0 = 5_000_000_000L;
            assertTrue(p.publishIfDue(t0));
            assertFalse(p.publishIfDue(t0 + 999_999_999L));
            assertTrue(p.publishIfDue(t0 + 1_000_000_000L));
            assertEquals(2, p.snapshot().publishes());
            a.allocate(100);
            p.publish();
            assertEquals(a.committedBytes(), p.snapshot().regularCommittedBytes(), "without a walk: committed bytes");
            assertEquals(0, p.snapshot().classLiveBlocks(io.arenaalloc.core.SizeClasses.classOf(100)));
            a.close();
            assertFalse(p.publish(), "closed arena");
        }
    }

    @Test
    void formats()
    {
        assertEquals("1,234,567", StatsFormat.grouped(1_234_567));
        assertEquals("1023 B", StatsFormat.bytes(1023));
        assertEquals("1.0 KiB", StatsFormat.bytes(1024));
        assertEquals("1.5 GiB", StatsFormat.bytes(3L << 29));
        assertEquals("0.4 s", StatsFormat.age(400));
        assertEquals("12 s", StatsFormat.age(12_345));
        assertEquals("5 min 12 s", StatsFormat.age(312_000));
        assertEquals("3 h 2 min", StatsFormat.age((3 * 3600 + 120) * 1000L));
        assertEquals("12.50%", StatsFormat.cell(ArenaFigures.FRAGMENTATION_PPM, 125_000, 0));
        assertEquals("never", StatsFormat.cell(ArenaFigures.PUBLISHED_AT_MS, 0, 5000));
        assertEquals("1.0 s ago", StatsFormat.cell(ArenaFigures.PUBLISHED_AT_MS, 4000, 5000));
        assertEquals(ArenaFigures.COUNT, ArenaFigures.CLASS_BASE + 2 * io.arenaalloc.core.SizeClasses.CLASS_COUNT);
        assertEquals("class-48-capacity", ArenaFigures.name(ArenaFigures.classCapacity(2)));
        assertEquals(ArenaFigures.Unit.BYTES, ArenaFigures.unit(io.arenaalloc.core.ArenaCounters.BYTES_MOVED));
        assertEquals(ArenaFigures.Unit.NANOS, ArenaFigures.unit(io.arenaalloc.core.ArenaCounters.COMPACT_NANOS));
        assertEquals(ArenaFigures.LARGEST_FREE_RUN, ArenaFigures.idOf("largest-free-run"));
    }
}
