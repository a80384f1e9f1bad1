package io.arenaalloc.bench.suite;

import java.util.LinkedHashMap;
import java.util.Map;

/**
 * How long and how often each (workload, subject) is measured.
 *
 * <p>{@link #QUICK}: 1 fork; single-thread workloads 2 x 1 s warm-up + 3 x 1 s measurement,
 * multi-thread workloads 2 x 0.5 s + 3 x 0.5 s; the whole suite fits in 5 minutes on 2 cores.
 * {@link #FULL}: 3 forks of 5 x 1 s warm-up + 5 x 1 s measurement everywhere (15 samples), for
 * published numbers. {@link #SMOKE}: no fork (runs inside the calling JVM), no warm-up, one
 * 100 ms iteration: proves that every benchmark runs, not how fast.
 */
public enum Profile
{
    /** The README's main command. */
    QUICK("quick", 1, new Timing(2, 1000, 3, 1000), new Timing(2, 500, 3, 500)),
    /** Published numbers. */
    FULL("full", 3, new Timing(5, 1000, 5, 1000), new Timing(5, 1000, 5, 1000)),
    /** CI smoke test: one tiny in-process iteration. */
    SMOKE("smoke", 0, new Timing(0, 0, 1, 100), new Timing(0, 0, 1, 100));

    /**
     * Iterations and iteration lengths.
     *
     * @param warmupIterations      warm-up iterations per fork.
     * @param warmupMillis          length of one warm-up iteration.
     * @param measurementIterations measurement iterations per fork.
     * @param measurementMillis     length of one measurement iteration.
     */
    public record Timing(int warmupIterations, int warmupMillis, int measurementIterations, int measurementMillis)
    {
        /** @return seconds one fork spends iterating (without JVM start and set-up). */
        public double iteratingSeconds()
        {
            return (warmupIterations * (double)warmupMillis + measurementIterations * (double)measurementMillis) / 1000;
        }

        @Override
        public String toString()
        {
            return warmupIterations + "x" + warmupMillis + "ms warmup, " +
                measurementIterations + "x" + measurementMillis + "ms measurement";
        }
    }

    private final String label;
    private final int forks;
    private final Timing singleThread;
    private final Timing multiThread;

    Profile(final String label, final int forks, final Timing singleThread, final Timing multiThread)
    {
        this.label = label;
        this.forks = forks;
        this.singleThread = singleThread;
        this.multiThread = multiThread;
    }

    /** @return the mode name written to results.json. */
    public String label()
    {
        return label;
    }

    /** @return JMH forks per (workload, subject); 0 runs in the calling JVM. */
    public int forks()
    {
        return forks;
    }

    /** @return timing of one workload kind. */
    public Timing timing(final boolean multiThreaded)
    {
        return multiThreaded ? multiThread : singleThread;
    }

    /** @return settings for results.json. */
    public Map<String, Object> describe()
    {
        final Map<String, Object> settings = new LinkedHashMap<>();
        settings.put("forks", forks);
        settings.put("single-thread", singleThread.toString());
        settings.put("multi-thread", multiThread.toString());
        return settings;
    }
}
