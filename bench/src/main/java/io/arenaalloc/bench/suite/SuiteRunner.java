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
import io.arenaalloc.bench.suite.WorkloadKind.RowKey;
import io.arenaalloc.bench.workload.FragBenchmark;
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
 * no {@code -ea}), the same for every subject. JMH's {@link GCProfiler} runs for the workloads with
 * an {@code alloc} metric (churn, access, handoff, larson); its {@code gc.alloc.rate.norm} becomes it.
 *
 * <p>The single-shot kinds report their figures as JMH secondary results ({@code @AuxCounters}):
 * {@code frag} one {@code footprint} per fork ({@link Profile#forks(WorkloadKind)} forks, sizes from
 * the profile, arena's heap maps into {@code OUT/charts/}); {@code compact} step percentiles and
 * move throughputs per session, {@code memcpy}'s row coming from arena's run. {@code access} runs
 * one benchmark method per subject. Which subjects a run has is {@link WorkloadKind#subjects(List)}.
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
    /**
     * Appended to every fork's command line: Agrona 2.x needs jdk.internal.misc; native access for the
     * class path (JDK 22+ warns, and a later JDK will refuse, when {@code ffm}'s downcalls or LWJGL's
     * {@code System.loadLibrary} run without it; JDK 17 accepts the flag too).
     */
    public static final List<String> ADD_EXPORTS = List.of(
        "--add-exports", "java.base/jdk.internal.misc=ALL-UNNAMED", "--enable-native-access=ALL-UNNAMED");

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
        int total = 0;
        for (final WorkloadRun run : runs)
        {
            total += run.kind().subjects(subjects).size();
        }
        final long suiteStart = System.nanoTime();
        loadAtStart = loadAverageWarningIfBusy(out);
        int index = 0;
        for (final WorkloadRun run : runs)
        {
            for (final String subject : run.kind().subjects(subjects))
            {
                index++;
                final String label = String.format(Locale.ROOT, "[%2d/%d] %-18s %-16s",
                    index, total, String.join("=", run.names()), subject);
                final String reason = skipReason(run.kind(), subject);
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

    private String skipReason(final WorkloadKind kind, final String subject)
    {
        final boolean multiThreaded = kind.multiThreaded();
        if (Subjects.FFM.equals(subject))
        {
            return Subjects.skipReason(subject, multiThreaded);
        }
        if (kind == WorkloadKind.FRAG && Subjects.ALLOCATE_DIRECT.equals(subject))
        {
            return Subjects.FRAG_ALLOCATE_DIRECT;
        }
        if (kind == WorkloadKind.FRAG && Subjects.ARENA_STRIPED.equals(subject))
        {
            return Subjects.FRAG_ARENA_STRIPED;
        }
        // access and compact measure the arena itself; multi-thread workloads build arena as the facade
        final String probed = kind == WorkloadKind.ACCESS || kind == WorkloadKind.COMPACT ? Subjects.ARENA : subject;
        final boolean probeThreaded = multiThreaded && Subjects.ARENA.equals(probed);
        final String cacheKey = probeThreaded ? probed + "@threads" : probed;
        if (!probeCache.containsKey(cacheKey))
        {
            probeCache.put(cacheKey, Subjects.probe(probed, probeThreaded));
        }
        return probeCache.get(cacheKey);
    }

    /** @return the 1-minute load average (negative where the OS has none). */
    static double loadAverage()
    {
        return ManagementFactory.getOperatingSystemMXBean().getSystemLoadAverage();
    }

    /** @return the load average, after printing a warning to {@code out} when it says the machine is busy. */
    static double loadAverageWarningIfBusy(final PrintStream out)
    {
        final double load = loadAverage();
        final int cores = Runtime.getRuntime().availableProcessors();
        if (load >= BUSY_LOAD_PER_CORE * cores)
        {
            out.printf(Locale.ROOT, "WARNING: the machine is busy (1-minute load average %.2f on %d cores): " +
                "other processes compete for the CPUs and the figures will be noisy%n", load, cores);
        }
        return load;
    }

    private Path logFile(final WorkloadRun run, final String subject)
    {
        return outDir.resolve("jmh").resolve(run.name().replace('@', '-') + "__" + subject + ".log");
    }

    private static String summary(final List<ResultRow> measured)
    {
        final StringBuilder line = new StringBuilder();
        final String first = measured.get(0).workload();
        final String subject = measured.get(0).subject();
        for (final ResultRow row : measured)
        {
            if (!row.workload().equals(first))
            {
                continue;
            }
            line.append(line.length() == 0 ? "" : "  ");
            if (!row.subject().equals(subject))
            {
                line.append(row.subject()).append(' ');
            }
            line.append(row.metric()).append(' ');
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
            for (final RowKey key : run.kind().rowKeys(subject))
            {
                result.add(ResultRow.skipped(name, key.subject(), key.metric().label(), key.metric().unit(), reason));
            }
        }
        return result;
    }

    private List<ResultRow> measure(final WorkloadRun run, final String subject) throws RunnerException, IOException
    {
        final Path log = logFile(run, subject);
        Files.createDirectories(log.getParent());
        final WorkloadKind kind = run.kind();
        final Profile.Timing timing = run.scalingOnly() ? profile.scalingTiming() : profile.timing(kind);
        final ChainedOptionsBuilder options = new OptionsBuilder()
            .include(kind.includePattern(subject))
            .forks(profile.forks(kind))
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
        if (kind.hasSubjectParam())
        {
            options.param("subject", subject);
        }
        if (kind == WorkloadKind.CHURN)
        {
            options.param("workload", run.name());
        }
        if (kind == WorkloadKind.FRAG)
        {
            options.param("liveMiB", Integer.toString(profile.fragLiveMiB()));
            options.param("idleMillis", Integer.toString(profile.fragIdleMillis()));
            String heapMaps = FragBenchmark.NO_HEAP_MAPS;
            if (Subjects.ARENA.equals(subject))
            {
                final Path charts = outDir.resolve(ReportGenerator.CHARTS).toAbsolutePath();
                Files.deleteIfExists(charts.resolve(FragBenchmark.HEAP_MAP_BEFORE));
                Files.deleteIfExists(charts.resolve(FragBenchmark.HEAP_MAP_AFTER));
                heapMaps = charts.toString();
            }
            options.param("heapMapDir", heapMaps);
        }
        if (kind == WorkloadKind.COMPACT)
        {
            options.param("liveMiB", Integer.toString(profile.compactLiveMiB()));
            options.param("sessionMillis", Integer.toString(Math.max(1, timing.measurementMillis())));
        }
        if (kind.metrics().contains(Metric.ALLOC))
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
        final Map<RowKey, List<Double>> samples = new LinkedHashMap<>();
        for (final RowKey key : run.kind().rowKeys(subject))
        {
            samples.put(key, new ArrayList<>());
        }
        for (final BenchmarkResult fork : result.getBenchmarkResults())
        {
            for (final IterationResult iteration : fork.getIterationResults())
            {
                collect(run.kind(), subject, iteration, samples);
            }
        }
        final List<ResultRow> rows = new ArrayList<>();
        for (final String name : run.names())
        {
            for (final Map.Entry<RowKey, List<Double>> entry : samples.entrySet())
            {
                final RowKey key = entry.getKey();
                final Metric metric = key.metric();
                final List<Double> values = entry.getValue();
                if (values.isEmpty())
                {
                    rows.add(ResultRow.skipped(name, key.subject(), metric.label(), metric.unit(),
                        "JMH reported no " + metric.label() + " figure"));
                }
                else
                {
                    values.sort(null);
                    rows.add(ResultRow.measured(name, key.subject(), metric.label(), metric.unit(),
                        median(values), values.get(0), values.get(values.size() - 1), values.size()));
                }
            }
        }
        return rows;
    }

    @SuppressWarnings("rawtypes") // JMH's IterationResult.getSecondaryResults() is a raw Map<String, Result>
    private static void collect(
        final WorkloadKind kind, final String subject, final IterationResult iteration,
        final Map<RowKey, List<Double>> samples)
    {
        final Result<?> primary = iteration.getPrimaryResult();
        final Map<String, Result> secondary = iteration.getSecondaryResults();
        switch (kind)
        {
            case CHURN:
            case ACCESS:
                requireUnit(primary, "ns/op");
                samples.get(new RowKey(subject, Metric.TIME)).add(primary.getScore());
                addAlloc(secondary, 1.0, samples.get(new RowKey(subject, Metric.ALLOC)));
                break;
            case LATENCY:
                requireUnit(primary, "ns/op");
                samples.get(new RowKey(subject, Metric.P50)).add(primary.getStatistics().getPercentile(50));
                samples.get(new RowKey(subject, Metric.P99)).add(primary.getStatistics().getPercentile(99));
                samples.get(new RowKey(subject, Metric.P999)).add(primary.getStatistics().getPercentile(99.9));
                samples.get(new RowKey(subject, Metric.MAX)).add(primary.getStatistics().getMax());
                break;
            case FRAG:
                samples.get(new RowKey(subject, Metric.FOOTPRINT)).add(secondary(secondary, "footprint"));
                break;
            case COMPACT:
                samples.get(new RowKey(subject, Metric.P50)).add(secondary(secondary, "stepP50"));
                samples.get(new RowKey(subject, Metric.P99)).add(secondary(secondary, "stepP99"));
                samples.get(new RowKey(subject, Metric.P999)).add(secondary(secondary, "stepP999"));
                samples.get(new RowKey(subject, Metric.MAX)).add(secondary(secondary, "stepMax"));
                samples.get(new RowKey(subject, Metric.MOVE_THROUGHPUT)).add(secondary(secondary, "moveGBs"));
                samples.get(new RowKey(Subjects.MEMCPY, Metric.MOVE_THROUGHPUT)).add(secondary(secondary, "memcpyGBs"));
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
                samples.get(new RowKey(subject, Metric.THROUGHPUT)).add(produced.getScore());
                // the GC profiler normalises by all operations (produce + consume); report per block
                if (produced.getScore() > 0)
                {
                    addAlloc(secondary, primary.getScore() / produced.getScore(), samples.get(new RowKey(subject, Metric.ALLOC)));
                }
                break;
            }
            case LARSON:
                requireUnit(primary, "ops/us");
                samples.get(new RowKey(subject, Metric.THROUGHPUT)).add(primary.getScore());
                addAlloc(secondary, 1.0, samples.get(new RowKey(subject, Metric.ALLOC)));
                break;
            default:
                throw new IllegalStateException("unknown kind " + kind);
        }
    }

    @SuppressWarnings("rawtypes")
    private static double secondary(final Map<String, Result> secondary, final String label)
    {
        final Result<?> result = secondary.get(label);
        if (result == null)
        {
            throw new IllegalStateException("JMH gave no '" + label + "' result; secondary results: " + secondary.keySet());
        }
        return result.getScore();
    }

    @SuppressWarnings("rawtypes")
    private static void addAlloc(final Map<String, Result> secondary, final double scale, final List<Double> samples)
    {
        for (final Map.Entry<String, Result> entry : secondary.entrySet())
        {
            if (entry.getKey().endsWith(ALLOC_NORM))
            {
                final double value = entry.getValue().getScore();
                if (!Double.isNaN(value))
                {
                    samples.add(value * scale);
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
