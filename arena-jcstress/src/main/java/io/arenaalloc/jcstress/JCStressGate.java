package io.arenaalloc.jcstress;

import java.io.File;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Collection;
import java.util.List;
import java.util.SortedSet;
import java.util.TreeSet;

import org.openjdk.jcstress.JCStress;
import org.openjdk.jcstress.Options;
import org.openjdk.jcstress.infra.collectors.DiskReadCollector;
import org.openjdk.jcstress.infra.collectors.InProcessCollector;
import org.openjdk.jcstress.infra.collectors.TestResult;
import org.openjdk.jcstress.infra.grading.ReportUtils;

/**
 * Runs jcstress and turns its verdict into an exit code.
 *
 * <p>jcstress 0.16's own {@code org.openjdk.jcstress.Main} exits 0 even when a test observed a FORBIDDEN
 * outcome or crashed (it only prints "FAILED"/"ERROR" in the report), so a CI job that runs it directly can
 * never fail. This launcher runs the same {@link JCStress} engine, then re-reads the result blob that engine
 * wrote and exits with
 * <ul>
 *   <li>{@code 0}: every selected test ran and passed (status NORMAL, no FORBIDDEN or unmatched outcome);</li>
 *   <li>{@code 1}: some test FAILED (a FORBIDDEN or unmatched outcome was observed) or ended in ERROR, TIMEOUT,
 *   VM ERROR or SKIPPED (API mismatch), or a selected test produced no result at all, or nothing was selected;</li>
 *   <li>{@code 2}: bad options.</li>
 * </ul>
 *
 * <p>Options are jcstress's own ({@code -m quick -c 2 -t REGEX -r DIR ...}), plus:
 * <ul>
 *   <li>{@code --expect-forbidden}: invert the verdict for the negative controls ({@code Broken*} tests):
 *   exit 0 only if every selected test ran normally and FAILED, i.e. jcstress did catch the planted bug.</li>
 * </ul>
 * Without {@code -t}, the positive suite runs: every test in {@code io.arenaalloc} except the {@code Broken*}
 * negative controls. With {@code --expect-forbidden} and no {@code -t}, only the negative controls run.
 *
 * <p>Every fork needs {@code --add-exports java.base/jdk.internal.misc=ALL-UNNAMED} (Agrona 2.x). jcstress copies
 * the launcher's own JVM input arguments into its forks; the gate also adds the flag through
 * {@code -jvmArgsPrepend} unless the caller passed that option.
 */
public final class JCStressGate
{
    /** Every test of the positive suite; the negative controls are named {@code Broken*}. */
    public static final String POSITIVE_FILTER = "^io\\.arenaalloc\\.(?!.*\\.Broken)";
    public static final String NEGATIVE_FILTER = "^io\\.arenaalloc\\..*\\.Broken";
    public static final String ADD_EXPORTS = "--add-exports=java.base/jdk.internal.misc=ALL-UNNAMED";

    private JCStressGate()
    {
    }

    public static void main(final String[] argv) throws Exception
    {
        System.exit(run(argv));
    }

    static int run(final String[] argv) throws Exception
    {
        final List<String> args = new ArrayList<>(Arrays.asList(argv));
        final boolean expectForbidden = args.remove("--expect-forbidden");
        if (!args.contains("-t"))
        {
            args.add("-t");
            args.add(expectForbidden ? NEGATIVE_FILTER : POSITIVE_FILTER);
        }
        if (!args.contains("-jvmArgsPrepend") && !args.contains("-jvmArgs"))
        {
            args.add("-jvmArgsPrepend");
            args.add(ADD_EXPORTS);
        }

        final Options opts = new Options(args.toArray(new String[0]));
        if (!opts.parse())
        {
            return 2;
        }
        if (opts.shouldList() || opts.shouldParse())
        {
            // plain jcstress behaviour (list tests, re-parse a result blob): nothing to grade
            org.openjdk.jcstress.Main.main(args.toArray(new String[0]));
            return 0;
        }

        final JCStress jcstress = new JCStress(opts);
        final SortedSet<String> selected = jcstress.getTests();
        final long start = System.nanoTime();
        jcstress.run();
        final long seconds = Math.round((System.nanoTime() - start) / 1e9);

        return grade(selected, opts.getResultFile(), expectForbidden, seconds);
    }

    private static int grade(final SortedSet<String> selected, final String resultFile, final boolean expectForbidden,
        final long seconds) throws Exception
    {
        System.out.println("==== arena-jcstress gate (" + (expectForbidden ? "negative controls: every test must FAIL" :
            "every test must pass") + ", " + seconds + " s) ====");
        if (selected.isEmpty())
        {
            System.out.println("GATE ERROR: no test matches the filter");
            return 1;
        }
        if (!new File(resultFile).isFile())
        {
            System.out.println("GATE ERROR: jcstress wrote no result file " + resultFile);
            return 1;
        }
        final InProcessCollector collector = new InProcessCollector();
        final DiskReadCollector reader = new DiskReadCollector(resultFile, collector);
        reader.dump();
        reader.close();
        final Collection<TestResult> merged = ReportUtils.mergedByName(collector.getTestResults());

        int bad = 0;
        final SortedSet<String> seen = new TreeSet<>();
        for (final TestResult r : merged)
        {
            seen.add(r.getName());
            final String label = ReportUtils.statusToLabel(r); // OK | FAILED | ERROR | TIMEOUT | VM ERROR | SKIPPED
            final boolean passed = ReportUtils.statusToPassed(r);
            final boolean failedNormally = "FAILED".equals(label);
            final boolean good = expectForbidden ? failedNormally : passed;
            System.out.printf("%-8s %-7s %,14d samples  %s%n", good ? "PASS" : "FAIL", label, r.getTotalCount(),
                r.getName());
            if (!good)
            {
                bad++;
                for (final String message : r.grading().failureMessages)
                {
                    System.out.println("           " + message);
                }
            }
        }
        for (final String name : selected)
        {
            if (!seen.contains(name))
            {
                System.out.printf("%-8s %-7s %14s  %s%n", "FAIL", "MISSING", "-", name);
                bad++;
            }
        }
        System.out.println("==== " + (bad == 0 ? "GATE PASSED" : "GATE FAILED") + ": " + selected.size() +
            " tests, " + bad + " bad; result blob " + new File(resultFile).getAbsolutePath() + " ====");
        return bad == 0 ? 0 : 1;
    }
}
