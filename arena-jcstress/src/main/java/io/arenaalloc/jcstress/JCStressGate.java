package io.arenaalloc.jcstress;

import java.io.File;
import java.lang.management.ManagementFactory;
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
 * <p>jcstress 0.16's own {@code org.openjdk.jcstress.Main} signals failure only by letting an
 * {@code AssertionError("TEST FAILURES: ...")} escape from {@code main} (non-zero exit) for FAILED and ERROR
 * results; it exits 0 when no test matched the filter, when a test produced no result, or when a test was
 * SKIPPED (API mismatch), and it cannot express "this negative control must fail". This launcher runs the
 * same {@link JCStress} engine, catches that error, re-reads the result blob the engine wrote, prints one
 * line per test, and exits with
 * <ul>
 *   <li>{@code 0}: every selected test ran and passed (status NORMAL, no FORBIDDEN or unmatched outcome);</li>
 *   <li>{@code 1}: some test FAILED (a FORBIDDEN or unmatched outcome was observed) or ended in ERROR, TIMEOUT,
 *   VM ERROR or SKIPPED (API mismatch), or a selected test produced no result at all, or nothing was selected;</li>
 *   <li>{@code 2}: bad options.</li>
 * </ul>
 *
 * <p>Options are jcstress's own ({@code -m quick -c 2 -t REGEX -r DIR ...}), plus:
 * <ul>
 *   <li>{@code --ci}: the short CI preset, see {@link #CI_DEFAULTS};</li>
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

    /**
     * {@code --ci}: the short mode for CI on a 2-core machine, option by option (an option given explicitly on
     * the command line wins):
     * <ul>
     *   <li>{@code -m quick -iters 2}: 2 iterations of 200 ms per fork instead of 5;</li>
     *   <li>{@code -c 2}: every test here has 2 actors;</li>
     *   <li>{@code -sc false}: one compilation mode per fork (interpreter, C1, C2, C2 with the C2 stress
     *   randomizers, each with and without biased locking on JDK 17: 8 forks a test) instead of jcstress's
     *   per-actor split modes (up to 28 forks a test);</li>
     *   <li>{@code -strideCount 4}: at most 1024 states per epoch, which keeps jcstress's per-fork footprint
     *   estimation (it grows the state count 1.2x at a time up to the cap) short;</li>
     *   <li>{@code -pth false}: no heap pre-touch in each fork.</li>
     * </ul>
     */
    static final String[] CI_DEFAULTS = {
        "-m", "quick",
        "-iters", "2",
        "-c", "2",
        "-sc", "false",
        "-strideCount", "4",
        "-pth", "false",
    };

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
        final boolean ci = args.remove("--ci");
        if (ci)
        {
            for (int i = 0; i < CI_DEFAULTS.length; i += 2)
            {
                if (!hasOption(args, CI_DEFAULTS[i]))
                {
                    args.add(CI_DEFAULTS[i]);
                    args.add(CI_DEFAULTS[i + 1]);
                }
            }
        }
        if (!hasOption(args, "-t"))
        {
            args.add("-t");
            args.add(expectForbidden ? NEGATIVE_FILTER : POSITIVE_FILTER);
        }
        if (!hasOption(args, "-jvmArgsPrepend") && !launcherHasAddExports())
        {
            args.add("-jvmArgsPrepend");
            args.add(ADD_EXPORTS);
        }
        System.out.println("arena-jcstress gate: jcstress " + String.join(" ", args));

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
        try
        {
            jcstress.run();
        }
        catch (final AssertionError jcstressVerdict)
        {
            // jcstress's own "TEST FAILURES" signal, already printed in its report: graded below
            System.out.println("(jcstress reported failures: " + firstLine(jcstressVerdict.getMessage()) + ")");
        }
        final long seconds = Math.round((System.nanoTime() - start) / 1e9);

        return grade(selected, opts.getResultFile(), expectForbidden, seconds);
    }

    /** {@code -name value} or {@code -name=value} present. */
    private static boolean hasOption(final List<String> args, final String name)
    {
        for (final String a : args)
        {
            if (a.equals(name) || a.startsWith(name + "="))
            {
                return true;
            }
        }
        return false;
    }

    /** jcstress copies the launcher's JVM input arguments into every fork, so then the flag is there already. */
    private static boolean launcherHasAddExports()
    {
        for (final String a : ManagementFactory.getRuntimeMXBean().getInputArguments())
        {
            if (a.contains("java.base/jdk.internal.misc"))
            {
                return true;
            }
        }
        return false;
    }

    private static String firstLine(final String message)
    {
        if (message == null)
        {
            return "no message";
        }
        final String trimmed = message.strip();
        final int eol = trimmed.indexOf('\n');
        return eol < 0 ? trimmed : trimmed.substring(0, eol) + " ...";
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
