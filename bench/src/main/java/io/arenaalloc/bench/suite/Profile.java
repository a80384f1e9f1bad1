package io.arenaalloc.bench.suite;

import java.util.LinkedHashMap;
import java.util.Map;

/**
 * How long and how often each (workload, subject) is measured.
 *
 * <p>{@link #QUICK}: 1 fork; single-thread workloads 2 x 1 s warm-up + 3 x 1 s measurement,
 * multi-thread workloads 2 x 0.5 s + 3 x 0.5 s, scaling-only variants ({@code handoff@2}, {@code larson@1}, ...)
 * 1 x 0.5 s + 3 x 0.3 s; the whole suite fits in 5 minutes on 2 cores.
 * {@link #FULL}: 3 forks of 5 x 1 s warm-up + 5 x 1 s measurement everywhere (15 samples), for
 * published numbers. {@link #SMOKE}: no fork (runs inside the calling JVM), no warm-up, one
 * 100 ms iteration: proves that every benchmark runs, not how fast.
 *
 * <p>Single-shot workloads: {@code frag} is one invocation per fork (a fresh JVM per sample:
 * quick 1 fork, full 3, smoke in-process) at {@link #fragLiveMiB()} MiB live with a
 * {@link #fragIdleMillis()} ms idle phase; {@code compact} runs {@link #compactTiming()} sessions
 * (each iteration one session of {@code measurementMillis}) on a {@link #compactLiveMiB()} MiB heap.
 */
public enum Profile
{
    /** The README's main command. */
    QUICK("quick", 1, new Timing(2, 1000, 3, 1000), new Timing(2, 500, 3, 500), new Timing(1, 500, 3, 300),
        1, 256, 500, new Timing(1, 500, 3, 500), 64),
    /** Published numbers. */
    FULL("full", 3, new Timing(5, 1000, 5, 1000), new Timing(5, 1000, 5, 1000), new Timing(5, 1000, 5, 1000),
        3, 256, 1000, new Timing(3, 1000, 5, 1000), 64),
    /** CI smoke test: one tiny in-process iteration. */
    SMOKE("smoke", 0, new Timing(0, 0, 1, 100), new Timing(0, 0, 1, 100), new Timing(0, 0, 1, 100),
        0, 16, 20, new Timing(0, 0, 1, 100), 8);

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
    private final Timing scaling;
    private final int fragForks;
    private final int fragLiveMiB;
    private final int fragIdleMillis;
    private final Timing compactTiming;
    private final int compactLiveMiB;

    Profile(final String label, final int forks, final Timing singleThread, final Timing multiThread,
        final Timing scaling, final int fragForks, final int fragLiveMiB, final int fragIdleMillis, final Timing compactTiming,
        final int compactLiveMiB)
    {
        this.label = label;
        this.forks = forks;
        this.singleThread = singleThread;
        this.multiThread = multiThread;
        this.scaling = scaling;
        this.fragForks = fragForks;
        this.fragLiveMiB = fragLiveMiB;
        this.fragIdleMillis = fragIdleMillis;
        this.compactTiming = compactTiming;
        this.compactLiveMiB = compactLiveMiB;
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

    /**
     * @return timing of the scaling variants that are not also a plain workload ({@code handoff@T} for
     * T != 1, {@code larson@T} for T != 2): quick mode gives them 1 x 0.5 s warm-up + 3 x 0.3 s to stay
     * inside its 5 minutes; elsewhere the same as {@link #timing(boolean) timing(true)}.
     */
    public Timing scalingTiming()
    {
        return scaling;
    }

    /** @return JMH forks of one workload kind; 0 runs in the calling JVM. */
    public int forks(final WorkloadKind kind)
    {
        return kind == WorkloadKind.FRAG ? fragForks : forks;
    }

    /** @return iterations of one workload kind ({@code frag}: 1 single shot; {@code compact}: its sessions). */
    public Timing timing(final WorkloadKind kind)
    {
        switch (kind)
        {
            case FRAG:
                return new Timing(0, 0, 1, 0);
            case COMPACT:
                return compactTiming;
            default:
                return timing(kind.multiThreaded());
        }
    }

    /** @return live MiB of {@code frag}'s fill and refill. */
    public int fragLiveMiB()
    {
        return fragLiveMiB;
    }

    /** @return length of {@code frag}'s idle phase, ms. */
    public int fragIdleMillis()
    {
        return fragIdleMillis;
    }

    /** @return {@code compact}'s warm-up and measured sessions (one session per iteration). */
    public Timing compactTiming()
    {
        return compactTiming;
    }

    /** @return live MiB of {@code compact}'s movable heap. */
    public int compactLiveMiB()
    {
        return compactLiveMiB;
    }

    /** @return settings for results.json. */
    public Map<String, Object> describe()
    {
        final Map<String, Object> settings = new LinkedHashMap<>();
        settings.put("forks", forks);
        settings.put("single-thread", singleThread.toString());
        settings.put("multi-thread", multiThread.toString());
        settings.put("scaling variants", scaling.toString());
        settings.put("frag", fragForks + " fork(s) x 1 single shot, " + fragLiveMiB + " MiB live, " + fragIdleMillis +
            " ms idle");
        settings.put("compact", compactTiming.warmupIterations() + "+" + compactTiming.measurementIterations() +
            " sessions of " + compactTiming.measurementMillis() + " ms, " + compactLiveMiB + " MiB live");
        return settings;
    }
}
