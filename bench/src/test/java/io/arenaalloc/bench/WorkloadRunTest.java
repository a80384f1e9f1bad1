package io.arenaalloc.bench;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import java.util.List;
import java.util.stream.Collectors;

import io.arenaalloc.bench.suite.WorkloadKind;
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
        assertEquals(List.of("churn-small", "churn-mixed", "latency", "handoff=handoff@1", "handoff@2",
            "larson=larson@2", "larson@1"), names(runs));
        assertEquals(2, runs.get(3).threads()); // one pair
        assertEquals(4, runs.get(4).threads()); // two pairs
        assertEquals(WorkloadKind.LARSON, runs.get(5).kind());
        assertEquals(2, runs.get(5).threads());
        assertEquals(1, runs.get(6).threads());
    }

    @Test
    void suiteOnFourCores()
    {
        assertEquals(List.of("churn-small", "churn-mixed", "latency", "handoff=handoff@1", "handoff@2", "handoff@3",
            "handoff@4", "larson=larson@2", "larson@1", "larson@3", "larson@4"), names(WorkloadRun.suite(4)));
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
    }
}
