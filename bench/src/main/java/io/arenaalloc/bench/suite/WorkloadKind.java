package io.arenaalloc.bench.suite;

import java.util.List;

import io.arenaalloc.bench.workload.ChurnBenchmark;
import io.arenaalloc.bench.workload.HandoffBenchmark;
import io.arenaalloc.bench.workload.LarsonBenchmark;
import io.arenaalloc.bench.workload.LatencyBenchmark;

/**
 * The JMH benchmark behind each family of contract workloads, and the metrics it yields.
 */
public enum WorkloadKind
{
    /** {@code churn-small}, {@code churn-mixed}: {@link ChurnBenchmark}. */
    CHURN(ChurnBenchmark.class.getName() + ".churn", false, List.of(Metric.TIME, Metric.ALLOC)),
    /** {@code latency}: {@link LatencyBenchmark}. */
    LATENCY(LatencyBenchmark.class.getName() + ".allocate", false,
        List.of(Metric.P50, Metric.P99, Metric.P999, Metric.MAX)),
    /** {@code handoff}, {@code handoff@T}: {@link HandoffBenchmark}. */
    HANDOFF(HandoffBenchmark.class.getName() + ".handoff", true, List.of(Metric.THROUGHPUT, Metric.ALLOC)),
    /** {@code larson}, {@code larson@T}: {@link LarsonBenchmark}. */
    LARSON(LarsonBenchmark.class.getName() + ".churn", true, List.of(Metric.THROUGHPUT, Metric.ALLOC));

    /** Contract metric names with their units. */
    public enum Metric
    {
        TIME("time", "ns/op"),
        THROUGHPUT("throughput", "Mops/s"),
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

    private final String benchmark;
    private final boolean multiThreaded;
    private final List<Metric> metrics;

    WorkloadKind(final String benchmark, final boolean multiThreaded, final List<Metric> metrics)
    {
        this.benchmark = benchmark;
        this.multiThreaded = multiThreaded;
        this.metrics = metrics;
    }

    /** @return fully qualified JMH benchmark name. */
    public String benchmark()
    {
        return benchmark;
    }

    /** @return an exact JMH include pattern for the benchmark. */
    public String includePattern()
    {
        return "^" + benchmark.replace(".", "\\.") + "$";
    }

    /** @return whether more than one thread allocates or frees. */
    public boolean multiThreaded()
    {
        return multiThreaded;
    }

    /** @return the metrics this kind reports, in row order. */
    public List<Metric> metrics()
    {
        return metrics;
    }
}
