package io.arenaalloc.bench.suite;

import java.util.ArrayList;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Set;

/**
 * One JMH configuration of the suite, reported under one or more contract workload names.
 *
 * <p>Two contract names can denote the very same configuration: plain {@code handoff} is one
 * producer/consumer pair, which is also {@code handoff@1}; plain {@code larson} is two threads,
 * which is also {@code larson@2}. Such a configuration is measured once and its rows are written
 * under both names (the report says so), which keeps quick mode inside its time budget.
 *
 * @param names    contract names this run is reported under; the first is the canonical one.
 * @param kind     the JMH benchmark.
 * @param threads  JMH threads: 1 for single-thread kinds, T for larson, 2T for T handoff pairs.
 */
public record WorkloadRun(List<String> names, WorkloadKind kind, int threads)
{
    /** Contract names of the single-thread workloads. */
    public static final List<String> SINGLE_THREAD = List.of(
        "churn-small", "churn-mixed", "latency", "frag", "access", "compact");

    /** Base names of the multi-thread workload families. */
    public static final List<String> MULTI_THREAD = List.of("handoff", "larson");

    /** @return the canonical (first) name. */
    public String name()
    {
        return names.get(0);
    }

    /**
     * @return true for a scaling variant whose configuration is not the plain contract workload's
     * ({@code handoff@T} for T != 1 pair, {@code larson@T} for T != 2 threads), however it was selected.
     */
    public boolean scalingOnly()
    {
        return kind.multiThreaded() && threads != 2;
    }

    /**
     * The whole suite for a machine.
     *
     * @param cores scaling variants {@code handoff@T} and {@code larson@T} run for T = 1..cores.
     * @return every run, in execution order.
     */
    public static List<WorkloadRun> suite(final int cores)
    {
        final List<WorkloadRun> runs = new ArrayList<>();
        runs.add(new WorkloadRun(List.of("churn-small"), WorkloadKind.CHURN, 1));
        runs.add(new WorkloadRun(List.of("churn-mixed"), WorkloadKind.CHURN, 1));
        runs.add(new WorkloadRun(List.of("latency"), WorkloadKind.LATENCY, 1));
        runs.add(new WorkloadRun(List.of("frag"), WorkloadKind.FRAG, 1));
        runs.add(new WorkloadRun(List.of("access"), WorkloadKind.ACCESS, 1));
        runs.add(new WorkloadRun(List.of("compact"), WorkloadKind.COMPACT, 1));
        // handoff: T pairs = 2T threads; plain handoff is one pair = handoff@1
        runs.add(new WorkloadRun(List.of("handoff", "handoff@1"), WorkloadKind.HANDOFF, 2));
        for (int t = 2; t <= cores; t++)
        {
            runs.add(new WorkloadRun(List.of("handoff@" + t), WorkloadKind.HANDOFF, 2 * t));
        }
        // larson: T threads; plain larson is two threads = larson@2
        runs.add(new WorkloadRun(cores >= 2 ? List.of("larson", "larson@2") : List.of("larson"), WorkloadKind.LARSON, 2));
        for (int t = 1; t <= cores; t++)
        {
            if (t != 2)
            {
                runs.add(new WorkloadRun(List.of("larson@" + t), WorkloadKind.LARSON, t));
            }
        }
        return runs;
    }

    /**
     * Select runs by name. A name without {@code @} selects that workload and, for {@code handoff} and
     * {@code larson}, all its scaling variants; {@code handoff@2} selects exactly that variant. A run
     * that answers to two names keeps only the selected ones.
     *
     * @param runs      the suite.
     * @param selection names, or null/empty for everything.
     * @return the selected runs.
     * @throws IllegalArgumentException naming a workload the suite does not have.
     */
    public static List<WorkloadRun> select(final List<WorkloadRun> runs, final List<String> selection)
    {
        if (selection == null || selection.isEmpty())
        {
            return runs;
        }
        final Set<String> known = new LinkedHashSet<>();
        runs.forEach(r -> known.addAll(r.names()));
        final List<WorkloadRun> selected = new ArrayList<>();
        for (final WorkloadRun run : runs)
        {
            final List<String> names = new ArrayList<>();
            for (final String name : run.names())
            {
                if (selection.contains(name) || selection.contains(name.split("@")[0]))
                {
                    names.add(name);
                }
            }
            if (!names.isEmpty())
            {
                selected.add(new WorkloadRun(List.copyOf(names), run.kind(), run.threads()));
            }
        }
        for (final String name : selection)
        {
            if (!known.contains(name) && known.stream().noneMatch(k -> k.split("@")[0].equals(name)))
            {
                throw new IllegalArgumentException("unknown workload '" + name + "'; this machine's suite has " + known);
            }
        }
        return selected;
    }
}
