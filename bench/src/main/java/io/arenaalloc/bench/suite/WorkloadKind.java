package io.arenaalloc.bench.suite;

import java.util.ArrayList;
import java.util.List;

import io.arenaalloc.bench.subject.Subjects;
import io.arenaalloc.bench.workload.AccessBenchmark;
import io.arenaalloc.bench.workload.ChurnBenchmark;
import io.arenaalloc.bench.workload.CompactBenchmark;
import io.arenaalloc.bench.workload.FragBenchmark;
import io.arenaalloc.bench.workload.HandoffBenchmark;
import io.arenaalloc.bench.workload.LarsonBenchmark;
import io.arenaalloc.bench.workload.LatencyBenchmark;

/**
 * The JMH benchmark behind each family of contract workloads, its subjects, and the rows it yields.
 *
 * <p>The allocation workloads (churn, latency, handoff, larson, frag) run every allocator subject
 * ({@link Subjects#ALL}), one JMH run per subject, selected by a {@code subject} parameter.
 * {@code access} runs its own subjects ({@link Subjects#ACCESS}), one benchmark method each.
 * {@code compact} is one JMH run of subject {@code arena} whose rows include {@code memcpy}'s
 * figure, measured in the same run.
 */
public enum WorkloadKind
{
    /** {@code churn-small}, {@code churn-mixed}: {@link ChurnBenchmark}. */
    CHURN(ChurnBenchmark.class.getName() + ".churn", false, false, List.of(Metric.TIME, Metric.ALLOC)),
    /** {@code latency}: {@link LatencyBenchmark}. */
    LATENCY(LatencyBenchmark.class.getName() + ".allocate", false, false,
        List.of(Metric.P50, Metric.P99, Metric.P999, Metric.MAX)),
    /** {@code frag}: {@link FragBenchmark} (single shot, one per fork). */
    FRAG(FragBenchmark.class.getName() + ".frag", false, true, List.of(Metric.FOOTPRINT)),
    /** {@code access}: {@link AccessBenchmark}, one method per subject. */
    ACCESS(AccessBenchmark.class.getName(), false, false, List.of(Metric.TIME, Metric.ALLOC)),
    /** {@code compact}: {@link CompactBenchmark} (single-shot sessions). */
    COMPACT(CompactBenchmark.class.getName() + ".compact", false, true,
        List.of(Metric.P50, Metric.P99, Metric.P999, Metric.MAX, Metric.MOVE_THROUGHPUT)),
    /** {@code handoff}, {@code handoff@T}: {@link HandoffBenchmark}. */
    HANDOFF(HandoffBenchmark.class.getName() + ".handoff", true, false, List.of(Metric.THROUGHPUT, Metric.ALLOC)),
    /** {@code larson}, {@code larson@T}: {@link LarsonBenchmark}. */
    LARSON(LarsonBenchmark.class.getName() + ".churn", true, false, List.of(Metric.THROUGHPUT, Metric.ALLOC));

    /** Contract metric names with their units. */
    public enum Metric
    {
        TIME("time", "ns/op"),
        THROUGHPUT("throughput", "Mops/s"),
        /** Compaction's and memcpy's move throughput (the contract lets throughput name its unit). */
        MOVE_THROUGHPUT("throughput", "GB/s"),
        FOOTPRINT("footprint", "ratio"),
        ALLOC("alloc", "B/op"),
        P50("p50", "ns"),
        P99("p99", "ns"),
        P999("p999", "ns"),
        MAX("max", "ns");

        private final String label;
        private final String unit;

        Metric(final String label, final String unit)
        {
            this.label = label;
            this.unit = unit;
        }

        /** @return the contract name. */
        public String label()
        {
            return label;
        }

        /** @return the contract unit. */
        public String unit()
        {
            return unit;
        }
    }

    /**
     * One row a run yields.
     *
     * @param subject the row's subject (for {@code compact}, {@code memcpy} rows come from arena's run).
     * @param metric  the row's metric.
     */
    public record RowKey(String subject, Metric metric)
    {
    }

    private final String benchmark;
    private final boolean multiThreaded;
    private final boolean singleShot;
    private final List<Metric> metrics;

    WorkloadKind(final String benchmark, final boolean multiThreaded, final boolean singleShot, final List<Metric> metrics)
    {
        this.benchmark = benchmark;
        this.multiThreaded = multiThreaded;
        this.singleShot = singleShot;
        this.metrics = metrics;
    }

    /** @return fully qualified JMH benchmark name (for {@link #ACCESS}, the class: a method per subject). */
    public String benchmark()
    {
        return benchmark;
    }

    /** @return an exact JMH include pattern for the benchmark. */
    public String includePattern()
    {
        return "^" + benchmark.replace(".", "\\.") + "$";
    }

    /** @return an exact JMH include pattern for the benchmark of one subject. */
    public String includePattern(final String subject)
    {
        if (this != ACCESS)
        {
            return includePattern();
        }
        return "^" + (benchmark + "." + accessMethod(subject)).replace(".", "\\.") + "$";
    }

    /** @return the {@link AccessBenchmark} method of an {@code access} subject. */
    static String accessMethod(final String subject)
    {
        switch (subject)
        {
            case Subjects.RAW:
                return "raw";
            case Subjects.ARENA_RESOLVE:
                return "arenaResolve";
            case Subjects.ARENA_PIN:
                return "arenaPin";
            default:
                throw new IllegalArgumentException("not an access subject: '" + subject + "'");
        }
    }

    /** @return whether the benchmark takes the subject as its {@code subject} JMH parameter. */
    public boolean hasSubjectParam()
    {
        return this != ACCESS && this != COMPACT;
    }

    /** @return whether more than one thread allocates or frees. */
    public boolean multiThreaded()
    {
        return multiThreaded;
    }

    /** @return whether one invocation is one sample (JMH {@code SingleShotTime}; the figures are secondary results). */
    public boolean singleShot()
    {
        return singleShot;
    }

    /** @return the metrics this kind reports, in row order. */
    public List<Metric> metrics()
    {
        return metrics;
    }

    /**
     * The subjects to run, in report order.
     *
     * @param selection chosen subject names ({@code --subjects}), or null for all. {@code access}'s
     *                  subjects and {@code compact}'s run also come with {@code arena}: they measure it.
     * @return the subjects, each one JMH run.
     */
    public List<String> subjects(final List<String> selection)
    {
        final List<String> result = new ArrayList<>();
        switch (this)
        {
            case ACCESS:
                for (final String subject : Subjects.ACCESS)
                {
                    if (selection == null || selection.contains(subject) || selection.contains(Subjects.ARENA))
                    {
                        result.add(subject);
                    }
                }
                break;
            case COMPACT:
                if (selection == null || selection.contains(Subjects.ARENA) || selection.contains(Subjects.MEMCPY))
                {
                    result.add(Subjects.ARENA);
                }
                break;
            default:
                for (final String subject : Subjects.ALL)
                {
                    if (selection == null || selection.contains(subject))
                    {
                        result.add(subject);
                    }
                }
        }
        return result;
    }

    /** @return the rows one run of {@code subject} yields, per contract name, in order. */
    public List<RowKey> rowKeys(final String subject)
    {
        final List<RowKey> keys = new ArrayList<>();
        for (final Metric metric : metrics)
        {
            keys.add(new RowKey(subject, metric));
        }
        if (this == COMPACT)
        {
            keys.add(new RowKey(Subjects.MEMCPY, Metric.MOVE_THROUGHPUT));
        }
        return keys;
    }
}
