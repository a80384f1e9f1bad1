package io.arenaalloc.bench;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.List;
import java.util.stream.Collectors;
import java.util.stream.Stream;

import io.arenaalloc.bench.report.HeapMapPicture;
import io.arenaalloc.bench.report.ReportGenerator;
import io.arenaalloc.bench.report.ResultRow;
import io.arenaalloc.bench.report.Results;
import io.arenaalloc.core.OffHeapArena;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The report generator on a fixed results.json: tables, ratios, skipped rows, HTML and PNG output. */
class ReportGeneratorTest
{
    private static final byte[] PNG_MAGIC = {(byte)0x89, 'P', 'N', 'G'};

    @TempDir
    static Path dir;

    static Results results;
    static String markdown;
    static String html;

    @BeforeAll
    static void generate() throws IOException
    {
        final Path json = dir.resolve("results.json");
        try (InputStream in = ReportGeneratorTest.class.getResourceAsStream("/fixtures/results.json"))
        {
            assertNotNull(in, "fixture missing");
            Files.write(json, in.readAllBytes());
        }
        // a heap map as the frag benchmark leaves it in charts/: the report must keep it and show it
        heapMap(dir.resolve("out/charts/frag-arena-before.png"));
        results = ReportGenerator.generate(json, dir.resolve("out"));
        markdown = Files.readString(dir.resolve("out/report.md"), StandardCharsets.UTF_8);
        html = Files.readString(dir.resolve("out/report.html"), StandardCharsets.UTF_8);
    }

    private static void heapMap(final Path file) throws IOException
    {
        Files.createDirectories(file.getParent());
        try (OffHeapArena arena = OffHeapArena.create())
        {
            final long[] handles = new long[2000];
            for (int i = 0; i < handles.length; i++)
            {
                handles[i] = arena.allocateHandle(64 + 37 * i);
            }
            for (int i = 0; i < handles.length; i += 2)
            {
                arena.free(handles[i]);
            }
            HeapMapPicture.write(arena, "test heap map", file);
            for (int i = 1; i < handles.length; i += 2)
            {
                arena.free(handles[i]);
            }
        }
    }

    @Test
    void readsEveryRow()
    {
        assertEquals("quick", results.mode());
        assertEquals(44, results.rows().size());
        assertEquals(9, results.rows().stream().filter(ResultRow::isSkipped).count());
    }

    @Test
    void tableHasMedianMinMaxAndBothRatios()
    {
        // arena 20 ns, malloc 40 ns, jemalloc 10 ns
        assertTrue(markdown.contains("## churn-small: time (ns/op, lower is better)"), markdown);
        assertTrue(markdown.contains("| subject | median | min | max | samples | arena ÷ subject | subject ÷ arena |"));
        assertTrue(markdown.contains("| arena | 20.0 | 19.0 | 25.0 | 3 | 1.000 | 1.000 |"), markdown);
        assertTrue(markdown.contains("| malloc | 40.0 | 38.0 | 44.0 | 3 | 0.500 | 2.000 |"), markdown);
        assertTrue(markdown.contains("| jemalloc | 10.0 | 9.50 | 11.0 | 3 | 2.000 | 0.500 |"), markdown);
    }

    @Test
    void zeroMedianHasNoRatio()
    {
        assertTrue(markdown.contains("| jemalloc | 0 | 0 | 0 | 3 | — | 0.000 |"), markdown);
    }

    @Test
    void skippedRowsKeepTheirReason()
    {
        assertTrue(markdown.contains("| ffm | skipped: java.lang.foreign needs JDK 22+, this JVM is 17.0.15 |"), markdown);
        assertTrue(markdown.contains("| arena | skipped: arena-threads facade not implemented yet |"), markdown);
        assertTrue(html.contains("skipped: arena-threads facade not implemented yet"));
    }

    @Test
    void summaryMatrixGivesArenaOverEachBaseline()
    {
        assertTrue(markdown.contains(
            "| workload | metric | arena | malloc | jemalloc | ffm | netty-pooled | allocate-direct | memcpy |"), markdown);
        assertTrue(markdown.contains("| churn-small | time (ns/op) | 20.0 | 0.500 | 2.000 | skipped | — | — | — |"), markdown);
        assertTrue(markdown.contains("| latency | p99 (ns) | 100.0 | 0.250 | — | — | — | — | — |"), markdown);
        assertTrue(markdown.contains("| handoff@2 | throughput (Mops/s) | skipped | — | — | — | — | — | — |"), markdown);
        assertTrue(markdown.contains("| frag | footprint (ratio) | 1.06 | 0.606 | — | — | 0.570 | skipped | — |"), markdown);
        assertTrue(markdown.contains("| compact | p99 (ns) | 1800 | — | — | — | — | — | — |"), markdown);
        assertTrue(markdown.contains("| compact | throughput (GB/s) | 3.00 | — | — | — | — | — | 0.600 |"), markdown);
        assertFalse(markdown.contains("| access | time"), "access is compared with raw, not in the arena summary");
    }

    @Test
    void accessIsComparedWithRaw()
    {
        assertTrue(markdown.contains("## access: time (ns/op, lower is better)"), markdown);
        assertTrue(markdown.contains(
            "| subject | median | min | max | samples | subject ÷ raw | subject − raw (ns/op) |"), markdown);
        assertTrue(markdown.contains("| raw | 4.00 | 3.90 | 4.10 | 3 | 1.000 | 0 |"), markdown);
        assertTrue(markdown.contains("| arena-resolve | 5.00 | 4.90 | 5.20 | 3 | 1.250 | 1.00 |"), markdown);
        assertTrue(markdown.contains("| arena-pin | 16.0 | 15.0 | 17.0 | 3 | 4.000 | 12.0 |"), markdown);
        final String table = ReportGenerator.consoleTable(results);
        assertTrue(table.lines().anyMatch(l -> l.startsWith("access") && l.contains("arena-resolve") &&
            l.contains("time") && l.endsWith("1.250")), table);
    }

    @Test
    void fragAndCompactTables()
    {
        assertTrue(markdown.contains("## frag: footprint (ratio, lower is better)"), markdown);
        assertTrue(markdown.contains("| netty-pooled | 1.86 | 1.80 | 1.90 | 3 | 0.570 | 1.755 |"), markdown);
        assertTrue(markdown.contains("| allocate-direct | skipped: frag measures native footprint |"), markdown);
        assertTrue(markdown.contains("## compact: throughput (GB/s, higher is better)"), markdown);
        assertTrue(markdown.contains("| memcpy | 5.00 | 4.50 | 6.00 | 3 | 0.600 | 1.667 |"), markdown);
        for (final String metric : List.of("p50", "p99", "p999", "max"))
        {
            assertTrue(markdown.contains("## compact: " + metric + " (ns, lower is better)"), metric);
        }
    }

    @Test
    void targetsAreReportedNotAsserted()
    {
        assertTrue(markdown.contains("## Targets (reported, not asserted)"), markdown);
        assertTrue(markdown.contains("| frag footprint of arena after compaction (committed ÷ live) | ≤ 1.15 | " +
            "1.06 (netty-pooled: 1.86) | yes |"), markdown);
        assertTrue(markdown.contains("| compaction step p99 at the default budget | ≤ 2000 ns | 1800 ns | yes |"), markdown);
        assertTrue(markdown.contains("| compaction move throughput ÷ memcpy of the same bytes | ≥ 0.5 | " +
            "0.600 (3.00 vs 5.00 GB/s) | yes |"), markdown);
        assertTrue(markdown.contains("| resolve + read ÷ raw read | ≤ 1.5 | 1.250 (5.00 vs 4.00 ns) | yes |"), markdown);
        assertTrue(markdown.contains("| uncontended pin + unpin (arena-pin − raw) | ≤ 10 ns | " +
            "12.0 ns (pin+read+unpin 16.0 ns) | no |"), markdown);
        assertTrue(html.contains("<h2>Targets (reported, not asserted)</h2>"));
    }

    @Test
    void heapMapsAreKeptAndShown() throws IOException
    {
        assertTrue(Files.isRegularFile(dir.resolve("out/charts/frag-arena-before.png")), "the re-render kept it");
        assertTrue(markdown.contains("## frag: arena heap maps"), markdown);
        assertTrue(markdown.contains(
            "![frag: arena's chunks after freeing three quarters, before compaction](charts/frag-arena-before.png)"), markdown);
        assertFalse(markdown.contains("frag-arena-after.png"), "only maps that exist are shown");
        assertTrue(html.contains("<h2>frag: arena heap maps</h2>"));
        // a second render (the report command) keeps it too
        ReportGenerator.generate(dir.resolve("results.json"), dir.resolve("out"));
        assertTrue(Files.isRegularFile(dir.resolve("out/charts/frag-arena-before.png")));
    }

    @Test
    void latencyPercentileTablesArePresent()
    {
        for (final String metric : List.of("p50", "p99", "p999", "max"))
        {
            assertTrue(markdown.contains("## latency: " + metric + " (ns, lower is better)"), metric);
        }
        assertTrue(markdown.contains("| malloc | 300000 | 50000 | 900000 | 3 | 0.167 | 6.000 |"), markdown);
    }

    @Test
    void chartsAreWrittenAsPngAndEmbeddedInHtml() throws IOException
    {
        final Path charts = dir.resolve("out/charts");
        final List<String> names;
        try (Stream<Path> files = Files.list(charts))
        {
            names = files.map(p -> p.getFileName().toString()).sorted().collect(Collectors.toList());
        }
        assertTrue(names.contains("churn-small-time.png"), names.toString());
        assertTrue(names.contains("churn-small-time-arena-advantage.png"), names.toString());
        assertTrue(names.contains("latency-percentiles.png"), names.toString());
        assertTrue(names.contains("latency-p99-arena-advantage.png"), names.toString());
        assertTrue(names.contains("handoff-scaling.png"), names.toString());
        assertTrue(names.contains("handoff-throughput.png"), names.toString());
        assertTrue(names.contains("frag-footprint.png"), names.toString());
        assertTrue(names.contains("frag-footprint-arena-advantage.png"), names.toString());
        assertTrue(names.contains("access-time.png"), names.toString());
        assertTrue(names.contains("access-time-ratio-to-raw.png"), names.toString());
        assertFalse(names.contains("access-time-arena-advantage.png"), names.toString());
        assertTrue(names.contains("compact-percentiles.png"), names.toString());
        assertTrue(names.contains("compact-throughput.png"), names.toString());
        assertFalse(names.contains("handoff-at-1-throughput.png"), "handoff@1 is the same run as handoff: " + names);
        for (final String name : names)
        {
            final byte[] png = Files.readAllBytes(charts.resolve(name));
            assertTrue(png.length > 1000, name);
            assertArrayEquals(PNG_MAGIC, Arrays.copyOf(png, 4), name);
            assertTrue(markdown.contains("(charts/" + name + ")"), name);
        }
        assertEquals(names.size(), html.split("src=\"data:image/png;base64,", -1).length - 1);
        assertTrue(html.startsWith("<!DOCTYPE html>"));
    }

    @Test
    void resultsRoundTripThroughJson()
    {
        final Results again = Results.parse(results.toJson());
        assertEquals(results.rows(), again.rows());
        assertEquals("quick", again.mode());
        assertEquals(2.0, ((Number)again.machine().get("cores")).doubleValue());
    }

    @Test
    void consoleTableShowsArenaRatio()
    {
        final String table = ReportGenerator.consoleTable(results);
        assertTrue(table.lines().anyMatch(l -> l.startsWith("churn-small") && l.contains("malloc") &&
            l.contains("time") && l.endsWith("0.500")), table);
    }
}
