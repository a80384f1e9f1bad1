import java.lang.reflect.Method;
import java.net.URL;
import java.net.URLClassLoader;
import java.nio.file.Paths;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;

/**
 * Same-JVM A/B of two arena-core builds on the churn workload, for changes too small for separate JMH runs
 * on a noisy machine (fork-to-fork spread here is 10-17%, the effects sought are 2-10%).
 *
 * <ol>
 *   <li>Each build gets its own class loader (the build's classes, then the shared dependencies), so each
 *   has its own classes, JIT profile and compiled code.</li>
 *   <li>Four instances in the order A B B A: the instance created first runs up to 15% faster whatever its
 *   build (memory placement), so each build gets one early and one late instance.</li>
 *   <li>Rounds of 1M pairs run on each instance in turn (10 warm-up rounds, then the measured ones): machine
 *   noise hits both builds within a round and cancels in the per-round ratio.</li>
 *   <li>Reported: each instance's min/median, and the quartiles of the per-round ratio
 *   (mean of B's instances) / (mean of A's instances). Below 1: B is faster.</li>
 * </ol>
 * Usage: {@code java SameJvmAB.java MAX_SIZE CLASSES_A CLASSES_B LOOP_DIR DEP_CLASSPATH [ROUNDS]}; see run.sh.
 */
public final class SameJvmAB
{
    public static void main(final String[] args) throws Exception
    {
        final int maxSize = Integer.parseInt(args[0]);
        final String a = args[1];
        final String b = args[2];
        final String loopDir = args[3];
        final String[] deps = args[4].split(java.io.File.pathSeparator);
        final int rounds = args.length > 5 ? Integer.parseInt(args[5]) : 40;
        final String[] order = {a, b, b, a};
        final Object[] loops = new Object[order.length];
        final Method[] run = new Method[order.length];
        for (int i = 0; i < order.length; i++)
        {
            final List<URL> urls = new ArrayList<>();
            urls.add(Paths.get(loopDir).toUri().toURL());
            urls.add(Paths.get(order[i]).toUri().toURL());
            for (final String d : deps)
            {
                urls.add(Paths.get(d).toUri().toURL());
            }
            final URLClassLoader loader = new URLClassLoader(urls.toArray(new URL[0]), ClassLoader.getPlatformClassLoader());
            final Class<?> c = loader.loadClass("ChurnLoop");
            loops[i] = c.getConstructor(int.class).newInstance(maxSize);
            run[i] = c.getMethod("run", int.class);
        }
        final double[][] t = new double[order.length][rounds];
        for (int r = -10; r < rounds; r++)
        {
            for (int i = 0; i < order.length; i++)
            {
                final double ns = (double)run[i].invoke(loops[i], 1_000_000);
                if (r >= 0)
                {
                    t[i][r] = ns;
                }
            }
        }
        for (int i = 0; i < order.length; i++)
        {
            final double[] s = t[i].clone();
            Arrays.sort(s);
            System.out.printf("%s %-50s min %6.2f median %6.2f ns/pair%n", i == 0 || i == 3 ? "A" : "B", order[i], s[0],
                s[rounds / 2]);
        }
        final double[] q = new double[rounds];
        for (int r = 0; r < rounds; r++)
        {
            q[r] = (t[1][r] + t[2][r]) / (t[0][r] + t[3][r]);
        }
        Arrays.sort(q);
        System.out.printf("B / A per round: p25 %.3f median %.3f p75 %.3f (max size %d, %d rounds)%n", q[rounds / 4],
            q[rounds / 2], q[3 * rounds / 4], maxSize, rounds);
    }
}
