import io.arenaalloc.bench.subject.Subject;
import io.arenaalloc.bench.subject.Subjects;
import io.arenaalloc.bench.workload.LarsonBenchmark;
import io.arenaalloc.bench.workload.WorkloadData;
import org.agrona.UnsafeApi;

import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CyclicBarrier;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * A diagnostic, not a benchmark of record: the {@code larson} workload ({@link LarsonBenchmark}'s sets, streams,
 * round and exchange) for several subjects in ONE JVM with the SAME worker threads, alternating subjects every
 * {@code PHASE_MS}: on this shared 2-core machine a multi-thread run's speed depends on where the host puts the two
 * vCPUs, and that changes over minutes, so only subjects measured seconds apart are compared. Every subject has its
 * own copy of the loop (generated, {@code LoopN}), so each call site sees one subject. Prints per cycle the Mops/s of
 * each subject and the ratio of the first to the others, then the median ratio over the cycles after warm-up.
 * <pre>
 *   mvn -q -o package -DskipTests
 *   java --add-exports java.base/jdk.internal.misc=ALL-UNNAMED -cp bench/target/arena-bench.jar \
 *     tools/larson-interleave/LarsonInterleave.java arena,jemalloc 1000 20
 * </pre>
 * {@code -Dround=1000000000}: no set is ever exchanged (every free is the owner's), {@code -Dthreads=N}, {@code -Dwarmup=C}.
 * A subject may carry system properties, set while it is built: {@code 'arena[arena.threads.threadCacheBytes=0]'}.
 * The four LoopN classes are identical on purpose (one JIT profile each).
 */
public final class LarsonInterleave
{
    static final int SET = LarsonBenchmark.SET_SIZE;
    static final int ROUND = Integer.getInteger("round", LarsonBenchmark.ROUND);
    static final int THREADS = Integer.getInteger("threads", 2);
    static final int WARMUP = Integer.getInteger("warmup", 3);

    static final class Worker
    {
        int[] indexes;
        int[] sizes;
        int set;
        int base;
        int inRound;
        long cursor;
    }

    static final class Phase
    {
        volatile boolean stop;
        AtomicInteger exchange;
    }

    public static void main(final String[] args) throws Exception
    {
        final String[] names = args[0].split(",");
        final long phaseMs = Long.parseLong(args[1]);
        final int cycles = Integer.parseInt(args[2]);
        if (names.length > 4)
        {
            throw new IllegalArgumentException("at most 4 subjects");
        }
        final Subject[] subjects = new Subject[names.length];
        final AtomicInteger[] exchanges = new AtomicInteger[names.length];
        final Worker[][] workers = new Worker[names.length][THREADS];
        for (int i = 0; i < names.length; i++)
        {
            subjects[i] = create(names[i]);
            subjects[i].attachThread();
            fill(subjects[i], THREADS);
            exchanges[i] = new AtomicInteger(THREADS);
        }
        final Phase phase = new Phase();
        final int[] current = new int[1];
        final long[][] ops = new long[THREADS][16];
        final CyclicBarrier start = new CyclicBarrier(THREADS + 1);
        final CyclicBarrier end = new CyclicBarrier(THREADS + 1);
        final Thread[] threads = new Thread[THREADS];
        for (int t = 0; t < THREADS; t++)
        {
            final int id = t;
            threads[t] = new Thread(() ->
            {
                try
                {
                    for (int i = 0; i < names.length; i++)
                    {
                        subjects[i].attachThread();
                        final Worker w = new Worker();
                        w.indexes = WorkloadData.indexes(WorkloadData.SEED + id, WorkloadData.SEQUENCE_LENGTH, SET);
                        w.sizes = WorkloadData.sizes(WorkloadData.SEED + id, WorkloadData.SEQUENCE_LENGTH,
                            WorkloadData.MIN_SIZE, LarsonBenchmark.MAX_SIZE);
                        w.set = id;
                        w.base = id * SET;
                        fill(subjects[i], id);
                        workers[i][id] = w;
                    }
                    while (true)
                    {
                        start.await();
                        final int i = current[0];
                        if (i < 0)
                        {
                            return;
                        }
                        ops[id][0] = run(i, subjects[i], workers[i][id], phase);
                        end.await();
                    }
                }
                catch (final Exception ex)
                {
                    throw new RuntimeException(ex);
                }
            }, "larson-" + t);
            threads[t].start();
        }
        final List<double[]> ratios = new ArrayList<>();
        for (int cycle = 0; cycle < cycles; cycle++)
        {
            final double[] mops = new double[names.length];
            final StringBuilder line = new StringBuilder("cycle " + cycle + ":");
            for (int k = 0; k < names.length; k++)
            {
                // alternate the order so that neither subject always follows the other
                final int i = (cycle & 1) == 0 ? k : names.length - 1 - k;
                current[0] = i;
                phase.exchange = exchanges[i];
                phase.stop = false;
                start.await();
                final long t0 = System.nanoTime();
                Thread.sleep(phaseMs);
                phase.stop = true;
                end.await();
                final long t1 = System.nanoTime();
                long total = 0;
                for (int t = 0; t < THREADS; t++)
                {
                    total += ops[t][0];
                }
                mops[i] = total * 1e3 / (t1 - t0);
            }
            for (int i = 0; i < names.length; i++)
            {
                line.append(String.format(" %s %.1f", names[i], mops[i]));
            }
            final double[] r = new double[names.length];
            for (int i = 1; i < names.length; i++)
            {
                r[i] = mops[0] / mops[i];
                line.append(String.format("  %s/%s %.3f", names[0], names[i], r[i]));
            }
            System.out.println(line);
            if (cycle >= WARMUP)
            {
                ratios.add(r);
            }
        }
        current[0] = -1;
        start.await();
        for (final Thread t : threads)
        {
            t.join();
        }
        for (int i = 1; i < names.length; i++)
        {
            final double[] v = new double[ratios.size()];
            for (int c = 0; c < v.length; c++)
            {
                v[c] = ratios.get(c)[i];
            }
            java.util.Arrays.sort(v);
            System.out.printf("median %s/%s over %d cycles: %.3f (min %.3f, max %.3f)%n", names[0], names[i], v.length,
                v[v.length / 2], v[0], v[v.length - 1]);
        }
        for (final Subject s : subjects)
        {
            s.attachThread();
            s.close();
        }
    }

    static long run(final int i, final Subject s, final Worker w, final Phase p)
    {
        switch (i)
        {
                case 0: return Loop0.run(s, w, p);
                case 1: return Loop1.run(s, w, p);
                case 2: return Loop2.run(s, w, p);
                case 3: return Loop3.run(s, w, p);
            default: throw new IllegalStateException();
        }
    }

    /** {@code name} or {@code name[key=value;key=value]}: the system properties are set while it is built. */
    static Subject create(final String spec)
    {
        final int open = spec.indexOf('[');
        if (open < 0)
        {
            return Subjects.create(spec, (THREADS + 1) * SET, true);
        }
        final String[] props = spec.substring(open + 1, spec.length() - 1).split(";");
        for (final String kv : props)
        {
            System.setProperty(kv.substring(0, kv.indexOf('=')), kv.substring(kv.indexOf('=') + 1));
        }
        try
        {
            return Subjects.create(spec.substring(0, open), (THREADS + 1) * SET, true);
        }
        finally
        {
            for (final String kv : props)
            {
                System.clearProperty(kv.substring(0, kv.indexOf('=')));
            }
        }
    }

    static void fill(final Subject s, final int set)
    {
        final int[] prefill = WorkloadData.prefillSizes(WorkloadData.SEED + set, SET, WorkloadData.MIN_SIZE,
            LarsonBenchmark.MAX_SIZE);
        for (int i = 0; i < SET; i++)
        {
            UnsafeApi.putLong(s.allocate(set * SET + i, prefill[i]), i);
        }
    }

    static final class Loop0
    {
        static long run(final Subject s, final Worker w, final Phase p)
        {
            long c = w.cursor;
            final int[] index = w.indexes;
            final int[] sizes = w.sizes;
            int base = w.base;
            int inRound = w.inRound;
            final AtomicInteger exchange = p.exchange;
            long ops = 0;
            while (!p.stop)
            {
                for (int k = 0; k < 1024; k++)
                {
                    final int q = (int)(c++ & WorkloadData.SEQUENCE_MASK);
                    final int slot = base + index[q];
                    s.free(slot);
                    UnsafeApi.putLong(s.allocate(slot, sizes[q]), q);
                    if (++inRound == ROUND)
                    {
                        inRound = 0;
                        w.set = exchange.getAndSet(w.set);
                        base = w.set * SET;
                    }
                }
                ops += 1024;
            }
            w.cursor = c;
            w.base = base;
            w.inRound = inRound;
            return ops;
        }
    }
    static final class Loop1
    {
        static long run(final Subject s, final Worker w, final Phase p)
        {
            long c = w.cursor;
            final int[] index = w.indexes;
            final int[] sizes = w.sizes;
            int base = w.base;
            int inRound = w.inRound;
            final AtomicInteger exchange = p.exchange;
            long ops = 0;
            while (!p.stop)
            {
                for (int k = 0; k < 1024; k++)
                {
                    final int q = (int)(c++ & WorkloadData.SEQUENCE_MASK);
                    final int slot = base + index[q];
                    s.free(slot);
                    UnsafeApi.putLong(s.allocate(slot, sizes[q]), q);
                    if (++inRound == ROUND)
                    {
                        inRound = 0;
                        w.set = exchange.getAndSet(w.set);
                        base = w.set * SET;
                    }
                }
                ops += 1024;
            }
            w.cursor = c;
            w.base = base;
            w.inRound = inRound;
            return ops;
        }
    }
    static final class Loop2
    {
        static long run(final Subject s, final Worker w, final Phase p)
        {
            long c = w.cursor;
            final int[] index = w.indexes;
            final int[] sizes = w.sizes;
            int base = w.base;
            int inRound = w.inRound;
            final AtomicInteger exchange = p.exchange;
            long ops = 0;
            while (!p.stop)
            {
                for (int k = 0; k < 1024; k++)
                {
                    final int q = (int)(c++ & WorkloadData.SEQUENCE_MASK);
                    final int slot = base + index[q];
                    s.free(slot);
                    UnsafeApi.putLong(s.allocate(slot, sizes[q]), q);
                    if (++inRound == ROUND)
                    {
                        inRound = 0;
                        w.set = exchange.getAndSet(w.set);
                        base = w.set * SET;
                    }
                }
                ops += 1024;
            }
            w.cursor = c;
            w.base = base;
            w.inRound = inRound;
            return ops;
        }
    }
    static final class Loop3
    {
        static long run(final Subject s, final Worker w, final Phase p)
        {
            long c = w.cursor;
            final int[] index = w.indexes;
            final int[] sizes = w.sizes;
            int base = w.base;
            int inRound = w.inRound;
            final AtomicInteger exchange = p.exchange;
            long ops = 0;
            while (!p.stop)
            {
                for (int k = 0; k < 1024; k++)
                {
                    final int q = (int)(c++ & WorkloadData.SEQUENCE_MASK);
                    final int slot = base + index[q];
                    s.free(slot);
                    UnsafeApi.putLong(s.allocate(slot, sizes[q]), q);
                    if (++inRound == ROUND)
                    {
                        inRound = 0;
                        w.set = exchange.getAndSet(w.set);
                        base = w.set * SET;
                    }
                }
                ops += 1024;
            }
            w.cursor = c;
            w.base = base;
            w.inRound = inRound;
            return ops;
        }
    }
}
