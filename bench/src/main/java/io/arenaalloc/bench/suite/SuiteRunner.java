package io.arenaalloc.bench.suite;

import java.io.IOException;
import java.io.PrintStream;
import java.lang.management.ManagementFactory;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Collection;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;

import io.arenaalloc.bench.report.ReportGenerator;
import io.arenaalloc.bench.report.ResultRow;
import io.arenaalloc.bench.report.Results;
import io.arenaalloc.bench.subject.Subjects;
import io.arenaalloc.bench.suite.WorkloadKind.Metric;
import io.arenaalloc.bench.workload.HandoffBenchmark;
import org.openjdk.jmh.profile.GCProfiler;
import org.openjdk.jmh.results.BenchmarkResult;
import org.openjdk.jmh.results.IterationResult;
import org.openjdk.jmh.results.Result;
import org.openjdk.jmh.results.RunResult;
import org.openjdk.jmh.runner.Runner;
import org.openjdk.jmh.runner.RunnerException;
import org.openjdk.jmh.runner.options.ChainedOptionsBuilder;
import org.openjdk.jmh.runner.options.OptionsBuilder;
import org.openjdk.jmh.runner.options.TimeValue;
import org.openjdk.jmh.runner.options.VerboseMode;

/**
 * Runs workloads x subjects through JMH's Java API and collects contract rows.
 *
 * <p>Every (workload run, subject) is one {@link Runner#run()} with its own fork(s), so subjects never
 * share a JVM, JIT profile or native heap. Every fork gets exactly {@link #FORK_JVM_ARGS} followed by
 * {@link #ADD_EXPORTS} (set explicitly, so nothing is inherited from the launching JVM, in particular
 * no {@code -ea}), the same for every subject. JMH's {@link GCProfiler} runs for the throughput and
 * time workloads; its {@code gc.alloc.rate.norm} becomes the {@code alloc} metric.
 *
 * <p>Each figure is summarised as the median, min and max over the measurement iterations of all
 * forks ({@code samples} = iterations x forks). A subject that cannot run (see
 * {@link Subjects#skipReason(String, boolean)}) yields {@code skipped} rows; a benchmark that throws
 * yields {@code skipped} rows whose reason starts with {@code "failed:"} and is counted in
 * {@link #failures()}. JMH's own log of each run goes to {@code OUT/jmh/WORKLOAD__SUBJECT.log};
 * {@code results.json} is rewritten after every run, so an interrupted suite keeps its rows.
 */
public final class SuiteRunner
{
    /** Agrona 2.x needs jdk.internal.misc; appended to every fork's command line. */
    public static final List<String> ADD_EXPORTS = List.of("--add-exports", "java.base/jdk.internal.misc=ALL-UNNAMED");

    /**
     * The fork JVM's flags, identical for every subject: a fixed 1 GiB heap, assertions off, Netty's
     * leak detector off (it samples allocations and would add garbage and time to the Netty
     * subjects only).
     */
    public static final List<String> FORK_JVM_ARGS = List.of(
        "-Xms1g", "-Xmx1g", "-da", "-dsa", "-Dio.netty.leakDetection.level=disabled");

    /** Key of the GC profiler's normalised allocation rate (bytes per operation). */
    public static final String ALLOC_NORM = "gc.alloc.rate.norm";

    private static final String FAILED = "failed: ";

    /** A 1-minute load average above this many runnable threads per core at start draws a warning. */
    private static final double BUSY_LOAD_PER_CORE = 0.5;

    private final Profile profile;
    private final Path outDir;
    private final List<WorkloadRun> runs;
    private final List<String> subjects;
    private final PrintStream out;
    private final Map<String, String> probeCache = new HashMap<>();
    private final List<ResultRow> rows = new ArrayList<>();
    private int failures;
    private double loadAtStart = -1;
    private double loadAtEnd = -1;

    /**
     * @param profile  forks and iterations.
     * @param outDir   where results.json, the reports and the JMH logs go.
     * @param runs     workloads to run.
     * @param subjects subjects to run, in report order.
     * @param out      progress output.
     */
    public SuiteRunner(
        final Profile profile, final Path outDir, final List<WorkloadRun> runs, final List<String> subjects,
        final PrintStream out)
    {
        this.profile = profile;
        this.outDir = outDir;
        this.runs = runs;
        this.subjects = subjects;
        this.out = out;
    }

    /** @return number of benchmarks that threw (their rows are marked {@code failed:}). */
    public int failures()
    {
        return failures;
    }

    /**
     * Run everything, writing {@code results.json} as it goes.
     *
     * @return the final results.
     */
    public Results run() throws IOException
    {
        final int total = runs.size() * subjects.size();
        final long suiteStart = System.nanoTime();
        loadAtStart = loadAverage();
        final int cores = Runtime.getRuntime().availableProcessors();
        if (loadAtStart >= BUSY_LOAD_PER_CORE * cores)
        {
            out.printf(Locale.ROOT, "WARNING: the machine is busy (1-minute load average %.2f on %d cores): " +
                "other processes compete for the CPUs and the figures will be noisy%n", loadAtStart, cores);
        }
        int index = 0;
        for (final WorkloadRun run : runs)
        {
            for (final String subject : subjects)
            {
                index++;
                final String label = String.format(Locale.ROOT, "[%2d/%d] %-18s %-16s",
                    index, total, String.join("=", run.names()), subject);
                final String reason = skipReason(subject, run.kind().multiThreaded());
                if (reason != null)
                {
                    out.println(label + "skipped: " + reason);
                    rows.addAll(skippedRows(run, subject, reason));
                }
                else
                {
                    out.print(label);
                    out.flush();
                    final long start = System.nanoTime();
                    List<ResultRow> measured;
                    String line;
                    try
                    {
                        measured = measure(run, subject);
                        line = summary(measured);
                    }
                    catch (final RunnerException | RuntimeException ex)
                    {
                        failures++;
                        final String why = FAILED + Subjects.describe(ex) + " (see " + logFile(run, subject) + ")";
                        measured = skippedRows(run, subject, why);
                        line = "FAILED: " + why;
                    }
                    rows.addAll(measured);
                    out.printf(Locale.ROOT, "%s  (%.1f s)%n", line, (System.nanoTime() - start) / 1e9);
                }
                results().write(outDir.resolve(Results.FILE_NAME));
            }
        }
        loadAtEnd = loadAverage();
        final Results results = results();
        results.write(outDir.resolve(Results.FILE_NAME));
        out.printf(Locale.ROOT, "suite finished in %.1f s%n", (System.nanoTime() - suiteStart) / 1e9);
        return results;
    }

    private Results results()
    {
        final Map<String, Object> settings = new LinkedHashMap<>(profile.describe());
        settings.put("jvmArgs", String.join(" ", FORK_JVM_ARGS) + " " + String.join(" ", ADD_EXPORTS));
        final Map<String, Object> machine = Results.thisMachine();
        if (loadAtStart >= 0)
        {
            machine.put("loadAverageAtStart", Math.round(loadAtStart * 100) / 100.0);
        }
        if (loadAtEnd >= 0)
        {
            machine.put("loadAverageAtEnd", Math.round(loadAtEnd * 100) / 100.0);
        }
        return new Results(profile.label(), machine, settings, List.copyOf(rows));
    }

    private String skipReason(final String subject, final boolean multiThreaded)
    {
        if (Subjects.ARENA_STRIPED.equals(subject) || Subjects.FFM.equals(subject) ||
            (Subjects.ARENA.equals(subject) && multiThreaded))
        {
            return Subjects.skipReason(subject, multiThreaded);
        }
        if (!probeCache.containsKey(subject))
        {
            probeCache.put(subject, Subjects.probe(subject));
        }
        return probeCache.get(subject);
    }

    private static double loadAverage()
    {
        return ManagementFactory.getOperatingSystemMXBean().getSystemLoadAverage();
    }

    private Path logFile(final WorkloadRun run, final String subject)
    {
        return outDir.resolve("jmh").resolve(run.name().replace('@', '-') + "__" + subject + ".log");
    }

    private static String summary(final List<ResultRow> measured)
    {
        final StringBuilder line = new StringBuilder();
        final String first = measured.get(0).workload();
        for (final ResultRow row : measured)
        {
            if (!row.workload().equals(first))
            {
                continue;
            }
            line.append(line.length() == 0 ? "" : "  ").append(row.metric()).append(' ');
            if (row.isSkipped())
            {
                line.append("skipped");
            }
            else
            {
                line.append(ReportGenerator.format(row.median())).append(' ').append(row.unit());
            }
        }
        return line.toString();
    }

    static List<ResultRow> skippedRows(final WorkloadRun run, final String subject, final String reason)
    {
        final List<ResultRow> result = new ArrayList<>();
        for (final String name : run.names())
        {
            for (final Metric metric : run.kind().metrics())
            {
                result.add(ResultRow.skipped(name, subject, metric.label(), metric.unit(), reason));
            }
        }
        return result;
    }

    private List<ResultRow> measure(final WorkloadRun run, final String subject) throws RunnerException, IOException
    {
        final Path log = logFile(run, subject);
        Files.createDirectories(log.getParent());
        final Profile.Timing timing = profile.timing(run.kind().multiThreaded());
        final ChainedOptionsBuilder options = new OptionsBuilder()
            .include(run.kind().includePattern())
            .param("subject", subject)
            .forks(profile.forks())
            .warmupIterations(timing.warmupIterations())
            .warmupTime(TimeValue.milliseconds(Math.max(1, timing.warmupMillis())))
            .measurementIterations(timing.measurementIterations())
            .measurementTime(TimeValue.milliseconds(timing.measurementMillis()))
            .threads(run.threads())
            .timeout(TimeValue.seconds(60))
            .jvmArgs(FORK_JVM_ARGS.toArray(new String[0]))
            .jvmArgsAppend(ADD_EXPORTS.toArray(new String[0]))
            .shouldFailOnError(true)
            .output(log.toString())
            .verbosity(VerboseMode.NORMAL);
        if (run.kind() == WorkloadKind.CHURN)
        {
            options.param("workload", run.name());
        }
        if (run.kind().metrics().contains(Metric.ALLOC))
        {
            options.addProfiler(GCProfiler.class);
        }
        final Collection<RunResult> results = new Runner(options.build()).run();
        if (results.size() != 1)
        {
            throw new IllegalStateException("expected one JMH result for " + run.kind().benchmark() + " subject=" +
                subject + ", got " + results.size());
        }
        return rows(run, subject, results.iterator().next());
    }

    /**
     * Convert one JMH result into contract rows (public for tests).
     *
     * @param run     the configuration.
     * @param subject the subject.
     * @param result  JMH's result of that configuration.
     * @return one row per metric per contract name of the run.
     */
    public static List<ResultRow> rows(final WorkloadRun run, final String subject, final RunResult result)
    {
        final Map<Metric, List<Double>> samples = new LinkedHashMap<>();
        for (final Metric metric : run.kind().metrics())
        {
            samples.put(metric, new ArrayList<>());
        }
        for (final BenchmarkResult fork : result.getBenchmarkResults())
        {
            for (final IterationResult iteration : fork.getIterationResults())
            {
                collect(run.kind(), iteration, samples);
            }
        }
        final List<ResultRow> rows = new ArrayList<>();
        for (final String name : run.names())
        {
            for (final Map.Entry<Metric, List<Double>> entry : samples.entrySet())
            {
                final Metric metric = entry.getKey();
                final List<Double> values = entry.getValue();
                if (values.isEmpty())
                {
                    rows.add(ResultRow.skipped(name, subject, metric.label(), metric.unit(),
                        "JMH reported no " + metric.label() + " figure"));
                }
                else
                {
                    values.sort(null);
                    rows.add(ResultRow.measured(name, subject, metric.label(), metric.unit(),
                        median(values), values.get(0), values.get(values.size() - 1), values.size()));
                }
            }
        }
        return rows;
    }

    @SuppressWarnings("rawtypes") // JMH's IterationResult.getSecondaryResults() is a raw Map<String, Result>
    private static void collect(final WorkloadKind kind, final IterationResult iteration, final Map<Metric, List<Double>> samples)
    {
        final Result<?> primary = iteration.getPrimaryResult();
        final Map<String, Result> secondary = iteration.getSecondaryResults();
        switch (kind)
        {
            case CHURN:
                requireUnit(primary, "ns/op");
                samples.get(Metric.TIME).add(primary.getScore());
                addAlloc(secondary, 1.0, samples);
                break;
            case LATENCY:
                requireUnit(primary, "ns/op");
                samples.get(Metric.P50).add(primary.getStatistics().getPercentile(50));
                samples.get(Metric.P99).add(primary.getStatistics().getPercentile(99));
                samples.get(Metric.P999).add(primary.getStatistics().getPercentile(99.9));
                samples.get(Metric.MAX).add(primary.getStatistics().getMax());
                break;
            case HANDOFF:
            {
                requireUnit(primary, "ops/us");
                final Result<?> produced = secondary.get(HandoffBenchmark.PRODUCER_LABEL);
                if (produced == null)
                {
                    throw new IllegalStateException("JMH gave no '" + HandoffBenchmark.PRODUCER_LABEL +
                        "' result; secondary results: " + secondary.keySet());
                }
                requireUnit(produced, "ops/us");
                samples.get(Metric.THROUGHPUT).add(produced.getScore());
                // the GC profiler normalises by all operations (produce + consume); report per block
                if (produced.getScore() > 0)
                {
                    addAlloc(secondary, primary.getScore() / produced.getScore(), samples);
                }
                break;
            }
            case LARSON:
                requireUnit(primary, "ops/us");
                samples.get(Metric.THROUGHPUT).add(primary.getScore());
                addAlloc(secondary, 1.0, samples);
                break;
            default:
                throw new IllegalStateException("unknown kind " + kind);
        }
    }

    @SuppressWarnings("rawtypes")
    private static void addAlloc(final Map<String, Result> secondary, final double scale, final Map<Metric, List<Double>> samples)
    {
        for (final Map.Entry<String, Result> entry : secondary.entrySet())
        {
            if (entry.getKey().endsWith(ALLOC_NORM))
            {
                final double value = entry.getValue().getScore();
                if (!Double.isNaN(value))
                {
                    samples.get(Metric.ALLOC).add(value * scale);
                }
                return;
            }
        }
    }

    private static void requireUnit(final Result<?> result, final String unit)
    {
        if (!unit.equals(result.getScoreUnit()))
        {
            throw new IllegalStateException("expected JMH unit " + unit + " but got " + result.getScoreUnit() +
                " for " + result.getLabel());
        }
    }

    static double median(final List<Double> sorted)
    {
        final int n = sorted.size();
        return (n & 1) == 1 ? sorted.get(n / 2) : (sorted.get(n / 2 - 1) + sorted.get(n / 2)) / 2;
    }
}
