package io.arenaalloc.bench;

import java.io.PrintStream;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.concurrent.Callable;

import io.arenaalloc.bench.report.ReportGenerator;
import io.arenaalloc.bench.report.Results;
import io.arenaalloc.bench.subject.Subjects;
import io.arenaalloc.bench.suite.CostsRunner;
import io.arenaalloc.bench.suite.Profile;
import io.arenaalloc.bench.suite.SuiteRunner;
import io.arenaalloc.bench.suite.WorkloadRun;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;

/**
 * Command line of {@code arena-bench.jar}: runs the benchmark suite and writes
 * {@code results.json}, {@code report.md} and {@code report.html} (GUIDE section 2); or, in {@code costs} mode,
 * the cost benchmarks and {@code costs.md}.
 *
 * <pre>
 *   java -jar bench/target/arena-bench.jar quick                   # about 4 minutes on 2 cores
 *   java -jar bench/target/arena-bench.jar full --out results/full
 *   java -jar bench/target/arena-bench.jar quick --workloads churn-small,larson --subjects arena,malloc
 *   java -jar bench/target/arena-bench.jar report --out bench-report  # re-render from results.json
 *   java -jar bench/target/arena-bench.jar costs                   # about 5 minutes on 2 cores -&gt; OUT/costs.md
 *   java -jar bench/target/arena-bench.jar costs --costs-timing quick   # 1 fork x (3 + 3) x 1 s, about 80 s
 * </pre>
 *
 * <h2>{@code costs}</h2>
 * Not part of the contract suite: runs {@code StatsCostBenchmark} ({@code countersOff}, {@code bare},
 * {@code exported}), {@code FacadeCostBenchmark} ({@code bare}, {@code perThread}, {@code perThreadLocal},
 * {@code striped}) and {@code AccessFloorBenchmark} ({@code raw}, {@code plainTable}, {@code resolve}) through the
 * JMH Runner API, one run per method ({@link CostsRunner}), and writes {@code OUT/costs.md}: ns/op (mean ± JMH's
 * 99.9% error) per mode and the ratios counters = bare / countersOff and stats = exported / countersOff (target
 * &lt;= 1.05), facade = perThread, perThreadLocal and striped / bare (target &lt;= 1.2), access floor =
 * plainTable / raw (issue 3's 1.5, which it holds resolve to) and resolve / plainTable (1.5, for reference), each
 * PASS or MISS. Timing
 * ({@code --costs-timing}): {@code full} (the default: the annotations, 3 forks x (3 + 5) x 1 s), {@code quick}
 * (1 fork x (3 + 3) x 1 s) or {@code tiny} (1 fork x (1 + 1) x 200 ms: proves it runs). {@code --workloads} and
 * {@code --subjects} do not apply; {@code --dry-run} prints the plan.
 */
@Command(name = "arena-bench", mixinStandardHelpOptions = true, version = "arena-bench 0.1.0",
    sortOptions = false,
    description = "Benchmarks the arena allocator against baseline off-heap allocators with JMH.")
public final class BenchMain implements Callable<Integer>
{
    /** What to do. */
    enum Mode
    {
        /** Whole suite, short iterations, 1 fork (within 5 minutes on 2 cores). */
        QUICK,
        /** Whole suite, 3 forks, longer iterations: numbers to publish. */
        FULL,
        /** One tiny in-process iteration per benchmark: proves they run. */
        SMOKE,
        /** Only re-render report.md/report.html from OUT/results.json. */
        REPORT,
        /** The cost benchmarks (counters, stats, facade, access floor) and OUT/costs.md; see the class comment. */
        COSTS
    }

    @Parameters(index = "0", defaultValue = "quick", paramLabel = "MODE",
        description = "quick | full | smoke | report | costs (default: ${DEFAULT-VALUE})")
    Mode mode;

    @Option(names = "--out", paramLabel = "DIR", defaultValue = "bench-report",
        description = "output directory (default: ${DEFAULT-VALUE} in the current directory)")
    Path out;

    @Option(names = "--workloads", split = ",", paramLabel = "W",
        description = "workloads to run, e.g. churn-small,handoff@2 (a bare handoff/larson includes its @T variants); default: all")
    List<String> workloads;

    @Option(names = "--subjects", split = ",", paramLabel = "S",
        description = "subjects to run, e.g. arena,malloc; default: all (" +
            "arena, arena-striped, netty-pooled, netty-adaptive, malloc, allocate-direct, jemalloc, rpmalloc, ffm; " +
            "access: raw, arena-resolve, arena-pin; compact: arena with memcpy). arena brings access's and compact's subjects along")
    List<String> subjects;

    @Option(names = "--cores", paramLabel = "N",
        description = "highest T of the handoff@T/larson@T scaling runs (default: available processors)")
    Integer cores;

    @Option(names = "--costs-timing", paramLabel = "T", defaultValue = "full",
        description = "costs mode only: full (the annotations: 3 forks x (3 + 5) x 1 s), quick (1 fork x (3 + 3) x 1 s) " +
            "or tiny (1 fork x (1 + 1) x 200 ms, proves it runs) (default: ${DEFAULT-VALUE})")
    CostsRunner.Timing costsTiming;

    @Option(names = "--dry-run", description = "print the plan and exit")
    boolean dryRun;

    @CommandLine.Spec
    CommandLine.Model.CommandSpec spec;

    private final PrintStream console = System.out;

    /** Entry point. */
    public static void main(final String[] args)
    {
        System.exit(new CommandLine(new BenchMain()).setCaseInsensitiveEnumValuesAllowed(true).execute(args));
    }

    @Override
    public Integer call() throws Exception
    {
        if (mode == Mode.REPORT)
        {
            ReportGenerator.generate(out.resolve(Results.FILE_NAME), out);
            console.println("wrote " + out.resolve(ReportGenerator.MARKDOWN) + " and " + out.resolve(ReportGenerator.HTML));
            return 0;
        }
        if (mode == Mode.COSTS)
        {
            return costs();
        }
        final Profile profile = Profile.valueOf(mode.name());
        final int scaling = cores != null ? cores : Runtime.getRuntime().availableProcessors();
        final List<WorkloadRun> runs;
        final List<String> chosen;
        try
        {
            runs = WorkloadRun.select(WorkloadRun.suite(scaling), workloads);
            chosen = chooseSubjects(subjects);
        }
        catch (final IllegalArgumentException ex)
        {
            throw new CommandLine.ParameterException(spec.commandLine(), ex.getMessage());
        }
        int benchmarks = 0;
        for (final WorkloadRun run : runs)
        {
            benchmarks += run.kind().subjects(chosen).size();
        }
        console.printf(Locale.ROOT, "arena-bench %s: %d workload runs, %d (workload, subject) pairs, %d fork(s), %s (single-thread), %s (multi-thread), %s (scaling-only variants)%n",
            profile.label(), runs.size(), benchmarks, profile.forks(), profile.timing(false), profile.timing(true),
            profile.scalingTiming());
        console.println("single shots: frag " + profile.describe().get("frag") + "; compact " + profile.describe().get("compact"));
        console.println("workloads: " + describe(runs));
        console.println("subjects:  " + String.join(", ", chosen) + " (access: " +
            String.join(", ", io.arenaalloc.bench.suite.WorkloadKind.ACCESS.subjects(chosen)) + "; compact: " +
            (io.arenaalloc.bench.suite.WorkloadKind.COMPACT.subjects(chosen).isEmpty() ? "none" : "arena + memcpy") + ")");
        console.println("output:    " + out.toAbsolutePath());
        if (dryRun)
        {
            return 0;
        }
        final SuiteRunner runner = new SuiteRunner(profile, out, runs, chosen, console);
        final Results results = runner.run();
        ReportGenerator.write(results, out);
        console.println();
        console.print(ReportGenerator.consoleTable(results));
        console.println();
        console.println("wrote " + out.resolve(Results.FILE_NAME) + ", " + out.resolve(ReportGenerator.MARKDOWN) +
            ", " + out.resolve(ReportGenerator.HTML));
        if (runner.failures() > 0)
        {
            console.println(runner.failures() + " benchmark run(s) FAILED; their rows are marked 'failed:'");
            return 1;
        }
        return 0;
    }

    private int costs() throws Exception
    {
        if (workloads != null || subjects != null || cores != null)
        {
            throw new CommandLine.ParameterException(spec.commandLine(),
                "costs runs a fixed set of benchmarks: --workloads, --subjects and --cores do not apply");
        }
        final CostsRunner runner = new CostsRunner(costsTiming, out, console);
        runner.printPlan();
        if (dryRun)
        {
            return 0;
        }
        runner.run();
        if (runner.failures() > 0)
        {
            console.println(runner.failures() + " benchmark run(s) FAILED; see their rows in " + out.resolve(CostsRunner.MARKDOWN));
            return 1;
        }
        return 0;
    }

    private static String describe(final List<WorkloadRun> runs)
    {
        final List<String> names = new ArrayList<>();
        for (final WorkloadRun run : runs)
        {
            names.add(String.join("=", run.names()));
        }
        return String.join(", ", names);
    }

    static List<String> chooseSubjects(final List<String> requested)
    {
        if (requested == null || requested.isEmpty())
        {
            return Subjects.ALL;
        }
        final List<String> chosen = new ArrayList<>();
        for (final String subject : Subjects.KNOWN)
        {
            if (requested.contains(subject))
            {
                chosen.add(subject);
            }
        }
        for (final String subject : requested)
        {
            if (!Subjects.KNOWN.contains(subject))
            {
                throw new IllegalArgumentException("unknown subject '" + subject + "'; known: " + Subjects.KNOWN);
            }
        }
        return chosen;
    }
}
