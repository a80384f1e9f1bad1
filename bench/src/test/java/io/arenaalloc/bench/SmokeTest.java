package io.arenaalloc.bench;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.stream.Collectors;

import io.arenaalloc.bench.report.ReportGenerator;
import io.arenaalloc.bench.report.ResultRow;
import io.arenaalloc.bench.report.Results;
import io.arenaalloc.bench.subject.Subjects;
import io.arenaalloc.bench.suite.Profile;
import io.arenaalloc.bench.suite.SuiteRunner;
import io.arenaalloc.bench.suite.WorkloadRun;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Runs one tiny in-process JMH iteration of every workload for {@code malloc}, {@code arena},
 * {@code arena-striped} and {@code ffm} through the same {@link SuiteRunner} path the jar uses, so a
 * broken benchmark fails the build. {@code ffm} is measured on JDK 22+ (CI's Temurin 25 run) and must
 * be a skipped row naming the JDK below that.
 */
class SmokeTest
{
    private static final Set<String> FAMILIES = Set.of("churn-small", "churn-mixed", "latency", "handoff", "larson");

    /** Contract metric -> unit (GUIDE section 2; throughput's unit is ours). */
    private static final Map<String, String> UNITS = Map.of(
        "time", "ns/op", "throughput", "Mops/s", "alloc", "B/op", "p50", "ns", "p99", "ns", "p999", "ns", "max", "ns");

    /** Whether this JVM can run {@code ffm} (JDK 22+; the build's JDK 22+ profile compiles it). */
    private static final boolean FFM_RUNS = Runtime.version().feature() >= 22;

    /** The skip reason {@code ffm}'s rows must carry below JDK 22. */
    private static final String FFM_SKIP = "java.lang.foreign needs JDK 22+, this JVM is " + System.getProperty("java.version");

    @TempDir
    Path out;

    /** An ffm row is measured on JDK 22+ and skipped with the JDK as the reason below it. */
    private static boolean checkFfm(final ResultRow row, final String log)
    {
        if (!row.subject().equals(Subjects.FFM))
        {
            return false;
        }
        if (FFM_RUNS)
        {
            assertFalse(row.isSkipped(), row + "\n" + log);
            return false;
        }
        assertTrue(row.isSkipped(), row.toString());
        assertEquals(FFM_SKIP, row.skipped(), row.toString());
        return true;
    }

    @Test
    void everyWorkloadRunsForMallocAndArenas() throws Exception
    {
        final List<WorkloadRun> runs = WorkloadRun.suite(2).stream()
            .filter(r -> FAMILIES.contains(r.name()))
            .collect(Collectors.toList());
        assertEquals(5, runs.size());
        final ByteArrayOutputStream progress = new ByteArrayOutputStream();
        final SuiteRunner runner = new SuiteRunner(Profile.SMOKE, out, runs,
            List.of(Subjects.ARENA, Subjects.ARENA_STRIPED, Subjects.MALLOC, Subjects.FFM), new PrintStream(progress, true, StandardCharsets.UTF_8));
        final Results results = runner.run();
        final String log = progress.toString(StandardCharsets.UTF_8);
        assertEquals(0, runner.failures(), log);

        final Results written = Results.read(out.resolve("results.json"));
        assertEquals(Results.parse(results.toJson()).rows(), written.rows(), "results.json is the last state");
        assertEquals("smoke", written.mode());
        assertTrue(written.machine().containsKey("cores") && written.machine().containsKey("java") &&
            written.machine().containsKey("os"));

        final boolean arenaRuns = Subjects.probe(Subjects.ARENA) == null;
        for (final ResultRow row : written.rows())
        {
            assertEquals(UNITS.get(row.metric()), row.unit(), row.toString());
            if (checkFfm(row, log))
            {
                continue;
            }
            final boolean measured = row.subject().equals(Subjects.MALLOC) || row.subject().equals(Subjects.FFM) || arenaRuns;
            if (measured)
            {
                assertFalse(row.isSkipped(), row.toString() + "\n" + log);
                assertTrue(row.min() <= row.median() && row.median() <= row.max(), row.toString());
                assertEquals(1, row.samples(), row.toString());
                if (!row.metric().equals("alloc"))
                {
                    assertTrue(row.median() > 0, row.toString());
                }
            }
            else
            {
                assertTrue(row.isSkipped(), row.toString());
            }
        }
        // 2 churn x 2 metrics + latency 4 metrics + handoff/handoff@1 and larson/larson@2 x 2 metrics, per subject
        assertEquals(4 * (2 * 2 + 4 + 2 * 2 + 2 * 2), written.rows().size());
        final Set<String> workloads = written.rows().stream().map(ResultRow::workload).collect(Collectors.toSet());
        assertEquals(Set.of("churn-small", "churn-mixed", "latency", "handoff", "handoff@1", "larson", "larson@2"), workloads);

        // alloc is present and sane; that the harness makes no garbage is proven exactly by HarnessGarbageTest
        // (in-process, over 100 ms, the GC profiler also counts JMH's and surefire's own threads, so a
        // threshold here would be flaky on a busy machine)
        final ResultRow mallocAlloc = written.rows().stream()
            .filter(r -> r.workload().equals("churn-small") && r.subject().equals("malloc") && r.metric().equals("alloc"))
            .findFirst().orElseThrow();
        assertTrue(mallocAlloc.median() >= 0, mallocAlloc.toString());

        ReportGenerator.write(written, out);
        assertTrue(Files.size(out.resolve("report.md")) > 0);
        assertTrue(Files.size(out.resolve("report.html")) > 0);
    }

    /** frag, access and compact through the suite runner, in-process and tiny (frag 16 MiB, compact 8 MiB). */
    @Test
    void fragAccessAndCompactRun() throws Exception
    {
        final List<WorkloadRun> runs = WorkloadRun.select(WorkloadRun.suite(2), List.of("frag", "access", "compact"));
        assertEquals(3, runs.size());
        final ByteArrayOutputStream progress = new ByteArrayOutputStream();
        final SuiteRunner runner = new SuiteRunner(Profile.SMOKE, out, runs,
            List.of(Subjects.ARENA, Subjects.MALLOC, Subjects.FFM), new PrintStream(progress, true, StandardCharsets.UTF_8));
        runner.run();
        final String log = progress.toString(StandardCharsets.UTF_8);
        assertEquals(0, runner.failures(), log);
        final Results written = Results.read(out.resolve("results.json"));
        assumeTrue(Subjects.probe(Subjects.ARENA) == null, "arena cannot run here");

        final List<String> keys = written.rows().stream()
            .map(r -> r.workload() + "/" + r.subject() + "/" + r.metric() + "/" + r.unit())
            .collect(Collectors.toList());
        assertEquals(List.of(
            "frag/arena/footprint/ratio", "frag/malloc/footprint/ratio", "frag/ffm/footprint/ratio",
            "access/raw/time/ns/op", "access/raw/alloc/B/op",
            "access/arena-resolve/time/ns/op", "access/arena-resolve/alloc/B/op",
            "access/arena-pin/time/ns/op", "access/arena-pin/alloc/B/op",
            "compact/arena/p50/ns", "compact/arena/p99/ns", "compact/arena/p999/ns", "compact/arena/max/ns",
            "compact/arena/throughput/GB/s", "compact/memcpy/throughput/GB/s"), keys, log);
        for (final ResultRow row : written.rows())
        {
            if (checkFfm(row, log))
            {
                continue;
            }
            assertFalse(row.isSkipped(), row + "\n" + log);
            assertEquals(1, row.samples(), row.toString());
            assertTrue(row.min() <= row.median() && row.median() <= row.max(), row.toString());
            assertTrue(Double.isFinite(row.median()), row.toString());
            if (!row.metric().equals("alloc") && !row.subject().equals(Subjects.MALLOC) && !row.subject().equals(Subjects.FFM))
            {
                // malloc's and ffm's footprints are VmRSS differences of this (test) JVM: finite, any sign
                assertTrue(row.median() > 0, row.toString());
            }
        }
        // the compact run moved bytes: its step percentiles are ordered
        final double p50 = figure(written, "compact", "arena", "p50");
        assertTrue(p50 <= figure(written, "compact", "arena", "p99"));
        assertTrue(figure(written, "compact", "arena", "p999") <= figure(written, "compact", "arena", "max"));
        // committed bytes can never be below the live bytes they hold
        assertTrue(figure(written, "frag", "arena", "footprint") >= 1.0);

        ReportGenerator.write(written, out);
        for (final String map : List.of("frag-arena-before.png", "frag-arena-after.png"))
        {
            final byte[] png = Files.readAllBytes(out.resolve("charts").resolve(map));
            assertEquals('P', png[1], map);
            assertEquals('N', png[2], map);
        }
        final String md = Files.readString(out.resolve("report.md"), StandardCharsets.UTF_8);
        assertTrue(md.contains("![frag: arena's chunks after freeing three quarters, before compaction](charts/frag-arena-before.png)"), md);
        assertTrue(md.contains("## Targets (reported, not asserted)"), md);
        assertTrue(md.contains("| compact | throughput (GB/s) |"), md);
        final String html = Files.readString(out.resolve("report.html"), StandardCharsets.UTF_8);
        assertTrue(html.contains("<h2>frag: arena heap maps</h2>"), "heap maps embedded");
    }

    private static double figure(final Results results, final String workload, final String subject, final String metric)
    {
        return results.rows().stream()
            .filter(r -> r.workload().equals(workload) && r.subject().equals(subject) && r.metric().equals(metric))
            .findFirst().orElseThrow().median();
    }
}
