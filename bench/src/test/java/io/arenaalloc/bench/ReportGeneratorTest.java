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

import io.arenaalloc.bench.report.ReportGenerator;
import io.arenaalloc.bench.report.ResultRow;
import io.arenaalloc.bench.report.Results;
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
        results = ReportGenerator.generate(json, dir.resolve("out"));
        markdown = Files.readString(dir.resolve("out/report.md"), StandardCharsets.UTF_8);
        html = Files.readString(dir.resolve("out/report.html"), StandardCharsets.UTF_8);
    }

    @Test
    void readsEveryRow()
    {
        assertEquals("quick", results.mode());
        assertEquals(28, results.rows().size());
        assertEquals(8, results.rows().stream().filter(ResultRow::isSkipped).count());
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
        assertTrue(markdown.contains("| workload | metric | arena | malloc | jemalloc | ffm |"), markdown);
        assertTrue(markdown.contains("| churn-small | time (ns/op) | 20.0 | 0.500 | 2.000 | skipped |"), markdown);
        assertTrue(markdown.contains("| latency | p99 (ns) | 100.0 | 0.250 | — | — |"), markdown);
        assertTrue(markdown.contains("| handoff@2 | throughput (Mops/s) | skipped | — | — | — |"), markdown);
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
