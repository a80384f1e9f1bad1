package io.arenaalloc.bench;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import java.util.List;
import java.util.stream.Collectors;

import io.arenaalloc.bench.subject.Subjects;
import io.arenaalloc.bench.suite.WorkloadKind;
import io.arenaalloc.bench.suite.WorkloadKind.Metric;
import io.arenaalloc.bench.suite.WorkloadKind.RowKey;
import io.arenaalloc.bench.suite.WorkloadRun;
import org.junit.jupiter.api.Test;

/** The suite plan: names, aliases, thread counts and selection. */
class WorkloadRunTest
{
    private static List<String> names(final List<WorkloadRun> runs)
    {
        return runs.stream().map(r -> String.join("=", r.names())).collect(Collectors.toList());
    }

    @Test
    void suiteOnTwoCores()
    {
        final List<WorkloadRun> runs = WorkloadRun.suite(2);
        assertEquals(List.of("churn-small", "churn-mixed", "latency", "frag", "access", "compact", "handoff=handoff@1",
            "handoff@2", "larson=larson@2", "larson@1"), names(runs));
        assertEquals(WorkloadKind.FRAG, runs.get(3).kind());
        assertEquals(WorkloadKind.ACCESS, runs.get(4).kind());
        assertEquals(WorkloadKind.COMPACT, runs.get(5).kind());
        assertEquals(2, runs.get(6).threads()); // one pair
        assertEquals(4, runs.get(7).threads()); // two pairs
        assertEquals(WorkloadKind.LARSON, runs.get(8).kind());
        assertEquals(2, runs.get(8).threads());
        assertEquals(1, runs.get(9).threads());
        // only handoff@2 and larson@1 get quick mode's shorter scaling timing
        assertEquals(List.of("handoff@2", "larson@1"), runs.stream().filter(WorkloadRun::scalingOnly)
            .map(WorkloadRun::name).collect(java.util.stream.Collectors.toList()));
    }

    @Test
    void suiteOnFourCores()
    {
        assertEquals(List.of("churn-small", "churn-mixed", "latency", "frag", "access", "compact", "handoff=handoff@1",
            "handoff@2", "handoff@3", "handoff@4", "larson=larson@2", "larson@1", "larson@3", "larson@4"),
            names(WorkloadRun.suite(4)));
    }

    @Test
    void selection()
    {
        final List<WorkloadRun> suite = WorkloadRun.suite(2);
        assertEquals(List.of("churn-small", "larson=larson@2", "larson@1"),
            names(WorkloadRun.select(suite, List.of("churn-small", "larson"))));
        assertEquals(List.of("handoff@1"), names(WorkloadRun.select(suite, List.of("handoff@1"))));
        assertEquals(names(suite), names(WorkloadRun.select(suite, null)));
        assertThrows(IllegalArgumentException.class, () -> WorkloadRun.select(suite, List.of("frag@9")));
        assertEquals(List.of("frag", "compact"), names(WorkloadRun.select(suite, List.of("compact", "frag"))));
    }

    @Test
    void subjectsPerKind()
    {
        final List<String> all = Subjects.ALL;
        assertEquals(all, WorkloadKind.FRAG.subjects(all));
        assertEquals(List.of("raw", "arena-resolve", "arena-pin"), WorkloadKind.ACCESS.subjects(all));
        assertEquals(List.of("arena"), WorkloadKind.COMPACT.subjects(all));
        // arena brings access's and compact's subjects along; naming one access subject runs only it
        assertEquals(List.of("raw", "arena-resolve", "arena-pin"), WorkloadKind.ACCESS.subjects(List.of("arena")));
        assertEquals(List.of("arena-pin"), WorkloadKind.ACCESS.subjects(List.of("arena-pin")));
        assertEquals(List.of(), WorkloadKind.COMPACT.subjects(List.of("malloc")));
        assertEquals(List.of("malloc"), WorkloadKind.CHURN.subjects(List.of("malloc", "raw")));
        // compact's run of arena also yields memcpy's throughput
        assertEquals(List.of(new RowKey("arena", Metric.P50), new RowKey("arena", Metric.P99),
            new RowKey("arena", Metric.P999), new RowKey("arena", Metric.MAX), new RowKey("arena", Metric.MOVE_THROUGHPUT),
            new RowKey("memcpy", Metric.MOVE_THROUGHPUT)), WorkloadKind.COMPACT.rowKeys("arena"));
        assertEquals("^io\\.arenaalloc\\.bench\\.workload\\.AccessBenchmark\\.arenaPin$",
            WorkloadKind.ACCESS.includePattern("arena-pin"));
    }
}
