package io.arenaalloc.bench;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.List;

import io.arenaalloc.bench.extra.StatsCostBenchmark;
import io.arenaalloc.bench.suite.CostsRunner;
import io.arenaalloc.bench.suite.CostsRunner.Figure;
import org.junit.jupiter.api.Test;
import org.openjdk.jmh.annotations.Fork;
import org.openjdk.jmh.annotations.Measurement;
import org.openjdk.jmh.annotations.Warmup;
import picocli.CommandLine;

/**
 * costs.md from given figures: the ratios, their ranges and verdicts; a failed run; the command line; the timing
 * annotations that Timing.FULL reads.
 */
class CostsRunnerTest
{
    private static Figure f(final CostsRunner.Bench bench, final double score, final double error)
    {
        return new Figure(bench, score, error, 15, null);
    }

    private static String row(final String md, final String start)
    {
        return md.lines().filter(l -> l.startsWith(start)).findFirst().orElseThrow(() -> new AssertionError(start + "\n" + md));
    }

    @Test
    void ratiosRangesAndVerdicts()
    {
        final String md = CostsRunner.markdown("header", List.of(
            f(CostsRunner.STATS_COUNTERS_OFF, 40.0, 0.0),
            f(CostsRunner.STATS_BARE, 41.0, 0.0),
            f(CostsRunner.STATS_EXPORTED, 42.0, 1.0),
            f(CostsRunner.FACADE_BARE, 40.0, 0.0),
            f(CostsRunner.FACADE_PER_THREAD, 50.0, 0.0),
            f(CostsRunner.FACADE_PER_THREAD_SECONDARY, 52.0, 0.0),
            f(CostsRunner.FACADE_PER_THREAD_OUTSIDE_HOT, 54.0, 0.0),
            f(CostsRunner.FACADE_PER_THREAD_LOCAL, 44.0, 0.0),
            f(CostsRunner.FACADE_STRIPED, 60.0, Double.NaN),
            f(CostsRunner.ACCESS_RAW, 4.0, 0.0),
            f(CostsRunner.ACCESS_PLAIN_TABLE, 7.0, 0.0),
            f(CostsRunner.ACCESS_RESOLVE, 9.8, 0.0)));
        assertTrue(md.startsWith("# Costs: one thread\n\nheader\n"), md);
        assertEquals("| StatsCostBenchmark | `countersOff` | 40.0 | 0 | 15 |", row(md, "| StatsCostBenchmark | `countersOff`"));
        assertEquals("| FacadeCostBenchmark | `striped` | 60.0 | n/a | 15 |", row(md, "| FacadeCostBenchmark | `striped`"));
        assertEquals("| counters: bare / countersOff | the arena counters' own cost | 1.025 | 1.025 .. 1.025 | <= 1.05 | PASS |",
            row(md, "| counters:"));
        assertEquals("| stats: exported / countersOff | counters + publisher + exporter thread | 1.050 | 1.025 .. 1.075 | " +
            "<= 1.05 | PASS (undecided: the range straddles the target) |", row(md, "| stats:"));
        assertEquals("| facade: perThread / bare | ArenaAllocator, Policy.PER_THREAD, the context table's primary thread | " +
            "1.250 | 1.250 .. 1.250 | <= 1.20 | MISS |", row(md, "| facade: perThread /"));
        assertEquals("| facade: perThreadSecondary / bare | ArenaAllocator, Policy.PER_THREAD, the second thread of the " +
            "context table's hot set | 1.300 | 1.300 .. 1.300 | <= 1.20 | MISS |", row(md, "| facade: perThreadSecondary"));
        assertEquals("| facade: perThreadOutsideHot / bare | ArenaAllocator, Policy.PER_THREAD, a thread outside the hot " +
            "set (slot lookup) | 1.350 | 1.350 .. 1.350 | <= 1.20 | MISS |", row(md, "| facade: perThreadOutsideHot"));
        assertEquals("| facade: perThreadLocal / bare | LocalAllocator (allocator.local()), Policy.PER_THREAD | 1.100 | " +
            "1.100 .. 1.100 | <= 1.20 | PASS |", row(md, "| facade: perThreadLocal"));
        assertEquals("| facade: striped / bare | ArenaAllocator, Policy.STRIPED | 1.500 | n/a | <= 1.20 | MISS |",
            row(md, "| facade: striped"));
        assertEquals("| AccessFloorBenchmark | `plainTable` | 7.00 | 0 | 15 |", row(md, "| AccessFloorBenchmark | `plainTable`"));
        assertEquals("| access floor: plainTable / raw | the cheapest possible handle indirection (an unchecked long[] of " +
            "addresses) against the raw read; issue 3 holds resolve to 1.5x raw | 1.750 | 1.750 .. 1.750 | <= 1.50 | MISS |",
            row(md, "| access floor:"));
        assertEquals("| access: resolve / plainTable | the handle table's own cost above the floor (directory, currency " +
            "check); target for reference only | 1.400 | 1.400 .. 1.400 | <= 1.50 | PASS |", row(md, "| access: resolve"));
    }

    @Test
    void everyCostBenchmarkHasTheTimingTheEstimateReads()
    {
        // Timing.FULL's description and estimate read StatsCostBenchmark's annotations for every run.
        final Fork fork = StatsCostBenchmark.class.getAnnotation(Fork.class);
        final Warmup warmup = StatsCostBenchmark.class.getAnnotation(Warmup.class);
        final Measurement measurement = StatsCostBenchmark.class.getAnnotation(Measurement.class);
        for (final CostsRunner.Bench bench : CostsRunner.BENCHMARKS)
        {
            final Class<?> type = bench.type();
            assertEquals(fork.value(), type.getAnnotation(Fork.class).value(), type.getName());
            assertEquals(List.of(fork.jvmArgsAppend()), List.of(type.getAnnotation(Fork.class).jvmArgsAppend()), type.getName());
            assertEquals(warmup, type.getAnnotation(Warmup.class), type.getName());
            assertEquals(measurement, type.getAnnotation(Measurement.class), type.getName());
        }
    }

    @Test
    void aFailedRunLeavesItsRatiosOpen()
    {
        final String md = CostsRunner.markdown("header", List.of(
            new Figure(CostsRunner.STATS_COUNTERS_OFF, Double.NaN, Double.NaN, 0, "IllegalStateException: counters on"),
            f(CostsRunner.STATS_BARE, 41.0, 0.0),
            f(CostsRunner.STATS_EXPORTED, 42.0, 1.0),
            f(CostsRunner.FACADE_BARE, 40.0, 0.0),
            f(CostsRunner.FACADE_PER_THREAD, 44.0, 0.0),
            f(CostsRunner.FACADE_STRIPED, 46.0, 0.0)));
        assertEquals("| StatsCostBenchmark | `countersOff` | failed: IllegalStateException: counters on | | |",
            row(md, "| StatsCostBenchmark | `countersOff`"));
        assertTrue(row(md, "| counters:").endsWith("| n/a | n/a | <= 1.05 | n/a (a run failed) |"), md);
        assertTrue(row(md, "| stats:").endsWith("| n/a | n/a | <= 1.05 | n/a (a run failed) |"), md);
        assertTrue(row(md, "| facade: perThread").endsWith("| PASS |"), md);
    }

    @Test
    void costsRefusesSuiteOptions()
    {
        final CommandLine cl = new CommandLine(new BenchMain()).setCaseInsensitiveEnumValuesAllowed(true);
        cl.setErr(new java.io.PrintWriter(new java.io.StringWriter()));
        assertEquals(2, cl.execute("costs", "--subjects", "arena", "--dry-run"));
        cl.setOut(new java.io.PrintWriter(new java.io.StringWriter()));
        assertEquals(2, cl.execute("costs", "--costs-timing", "forever", "--dry-run"));
    }
}
