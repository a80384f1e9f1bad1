import io.arenaalloc.bench.subject.Subject;
import io.arenaalloc.bench.subject.Subjects;
import io.arenaalloc.bench.workload.WorkloadData;
import org.agrona.UnsafeApi;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.concurrent.atomic.AtomicLong;

/**
 * A diagnostic, not a benchmark of record: the {@code handoff} workload's shape (one producer allocates a block of
 * 16-256 B, log-uniform from {@link WorkloadData}, writes 8 bytes and hands it over; one consumer frees it; at most
 * 1024 blocks in flight) for several subjects in ONE JVM with the SAME two threads, alternating subjects every
 * {@code PHASE_MS}, as tools/larson-interleave does for larson: on this shared 2-core machine a multi-thread run's
 * speed depends on where the host puts the two vCPUs, so only subjects measured seconds apart are compared. Its two
 * rings are plain SPSC rings, slower than the JMH benchmark's JCTools queues: the hand-over costs every subject the
 * same, so absolute figures are lower than JMH's and ratios sit closer to 1. Each subject gets its own copy of the
 * loops ({@code LoopN}: one JIT profile per call site). Prints
 * per cycle each subject's Mops/s (blocks handed over) and the ratio of the first to the others, then the medians.
 * A subject may carry system properties that are set while it is built, e.g.
 * {@code 'arena[arena.threads.threadCacheBytes=131072]'}, to compare settings of one allocator in the same JVM.
 * <pre>
 *   mvn -q -o package -DskipTests
 *   java --add-exports java.base/jdk.internal.misc=ALL-UNNAMED -cp bench/target/arena-bench.jar \
 *     tools/handoff-interleave/HandoffInterleave.java arena,jemalloc,netty-adaptive 1000 20
 * </pre>
 */
public final class HandoffInterleave
{
    static final int SLOTS = 1024;
    static final int MASK = SLOTS - 1;
    static final int WARMUP = Integer.getInteger("warmup", 3);

    /** A single-producer single-consumer ring of slot numbers (ordered puts, acquire-ish reads via volatile). */
    static final class Ring
    {
        final int[] values = new int[SLOTS];
        final AtomicLong head = new AtomicLong();
        final AtomicLong tail = new AtomicLong();

        boolean offer(final int v)
        {
            final long t = tail.get();
            if (t - head.get() == SLOTS)
            {
                return false;
            }
            values[(int)t & MASK] = v;
            tail.lazySet(t + 1);
            return true;
        }

        int poll()
        {
            final long h = head.get();
            if (h == tail.get())
            {
                return -1;
            }
            final int v = values[(int)h & MASK];
            head.lazySet(h + 1);
            return v;
        }
    }

    static final class Phase
    {
        volatile boolean stop;
        volatile boolean producerDone;
        volatile int subject = -1;
        volatile long epoch;
    }

    /** {@code name} or {@code name[key=value;key=value]}: the system properties are set while it is built. */
    static Subject create(final String spec)
    {
        final int open = spec.indexOf('[');
        if (open < 0)
        {
            return Subjects.create(spec, SLOTS, true);
        }
        final String[] props = spec.substring(open + 1, spec.length() - 1).split(";");
        for (final String kv : props)
        {
            System.setProperty(kv.substring(0, kv.indexOf('=')), kv.substring(kv.indexOf('=') + 1));
        }
        try
        {
            return Subjects.create(spec.substring(0, open), SLOTS, true);
        }
        finally
        {
            for (final String kv : props)
            {
                System.clearProperty(kv.substring(0, kv.indexOf('=')));
            }
        }
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
        for (int i = 0; i < names.length; i++)
        {
            subjects[i] = create(names[i]);
        }
        final int[] sizes = WorkloadData.sizes(WorkloadData.SEED, WorkloadData.SEQUENCE_LENGTH, WorkloadData.MIN_SIZE,
            WorkloadData.SMALL_MAX_SIZE);
        final Ring full = new Ring();
        final Ring empty = new Ring();
        for (int s = 0; s < SLOTS; s++)
        {
            empty.offer(s);
        }
        final Phase phase = new Phase();
        final long[] produced = new long[16];
        final AtomicLong producerEpoch = new AtomicLong();
        final AtomicLong consumerEpoch = new AtomicLong();
        final Thread producer = new Thread(() ->
        {
            for (int i = 0; i < names.length; i++)
            {
                subjects[i].attachThread();
            }
            long seen = 0;
            long cursor = 0;
            while (true)
            {
                while (phase.epoch == seen)
                {
                    Thread.onSpinWait();
                }
                seen = phase.epoch;
                final int i = phase.subject;
                if (i < 0)
                {
                    return;
                }
                final long[] r = run(i, true, subjects[i], full, empty, sizes, cursor, phase);
                produced[0] = r[0];
                cursor = r[1];
                phase.producerDone = true;
                producerEpoch.set(seen);
            }
        }, "producer");
        final Thread consumer = new Thread(() ->
        {
            for (int i = 0; i < names.length; i++)
            {
                subjects[i].attachThread();
            }
            long seen = 0;
            while (true)
            {
                while (phase.epoch == seen)
                {
                    Thread.onSpinWait();
                }
                seen = phase.epoch;
                final int i = phase.subject;
                if (i < 0)
                {
                    return;
                }
                run(i, false, subjects[i], full, empty, sizes, 0, phase);
                consumerEpoch.set(seen);
            }
        }, "consumer");
        producer.start();
        consumer.start();
        final List<double[]> ratios = new ArrayList<>();
        for (int cycle = 0; cycle < cycles; cycle++)
        {
            final double[] mops = new double[names.length];
            final StringBuilder line = new StringBuilder("cycle " + cycle + ":");
            for (int k = 0; k < names.length; k++)
            {
                final int i = (cycle & 1) == 0 ? k : names.length - 1 - k;
                phase.stop = false;
                phase.producerDone = false;
                phase.subject = i;
                final long t0 = System.nanoTime();
                final long e = phase.epoch + 1;
                phase.epoch = e;
                Thread.sleep(phaseMs);
                phase.stop = true;
                while (producerEpoch.get() != e)
                {
                    Thread.onSpinWait();
                }
                final long t1 = System.nanoTime();
                while (consumerEpoch.get() != e)
                {
                    Thread.onSpinWait();
                }
                mops[i] = produced[0] * 1e3 / (t1 - t0);
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
        phase.subject = -1;
        phase.epoch = phase.epoch + 1;
        producer.join();
        consumer.join();
        for (int i = 1; i < names.length; i++)
        {
            final double[] v = new double[ratios.size()];
            for (int c = 0; c < v.length; c++)
            {
                v[c] = ratios.get(c)[i];
            }
            Arrays.sort(v);
            System.out.printf("median %s/%s over %d cycles: %.3f (min %.3f, max %.3f)%n", names[0], names[i], v.length,
                v[v.length / 2], v[0], v[v.length - 1]);
        }
        for (final Subject s : subjects)
        {
            s.attachThread();
            s.close();
        }
    }

    static long[] run(final int i, final boolean produce, final Subject s, final Ring full, final Ring empty,
        final int[] sizes, final long cursor, final Phase p)
    {
        switch (i)
        {
            case 0: return produce ? Loop0.produce(s, full, empty, sizes, cursor, p) : Loop0.consume(s, full, empty, p);
            case 1: return produce ? Loop1.produce(s, full, empty, sizes, cursor, p) : Loop1.consume(s, full, empty, p);
            case 2: return produce ? Loop2.produce(s, full, empty, sizes, cursor, p) : Loop2.consume(s, full, empty, p);
            case 3: return produce ? Loop3.produce(s, full, empty, sizes, cursor, p) : Loop3.consume(s, full, empty, p);
            default: throw new IllegalStateException();
        }
    }

    /** The loops for subject 0; identical to the others on purpose (one JIT profile each). */
    static final class Loop0
    {
        static long[] produce(final Subject s, final Ring full, final Ring empty, final int[] sizes, long c,
            final Phase p)
        {
            long ops = 0;
            while (!p.stop)
            {
                final int slot = empty.poll();
                if (slot < 0)
                {
                    Thread.onSpinWait();
                    continue;
                }
                UnsafeApi.putLong(s.allocate(slot, sizes[(int)(c++ & WorkloadData.SEQUENCE_MASK)]), c);
                while (!full.offer(slot))
                {
                    Thread.onSpinWait();
                }
                ops++;
            }
            return new long[] {ops, c};
        }

        static long[] consume(final Subject s, final Ring full, final Ring empty, final Phase p)
        {
            while (true)
            {
                final int slot = full.poll();
                if (slot < 0)
                {
                    if (p.producerDone && full.head.get() == full.tail.get())
                    {
                        return null; // emptiness read again after producerDone: no block is left behind
                    }
                    Thread.onSpinWait();
                    continue;
                }
                s.free(slot);
                while (!empty.offer(slot))
                {
                    Thread.onSpinWait();
                }
            }
        }
    }

    /** The loops for subject 1; identical to the others on purpose (one JIT profile each). */
    static final class Loop1
    {
        static long[] produce(final Subject s, final Ring full, final Ring empty, final int[] sizes, long c,
            final Phase p)
        {
            long ops = 0;
            while (!p.stop)
            {
                final int slot = empty.poll();
                if (slot < 0)
                {
                    Thread.onSpinWait();
                    continue;
                }
                UnsafeApi.putLong(s.allocate(slot, sizes[(int)(c++ & WorkloadData.SEQUENCE_MASK)]), c);
                while (!full.offer(slot))
                {
                    Thread.onSpinWait();
                }
                ops++;
            }
            return new long[] {ops, c};
        }

        static long[] consume(final Subject s, final Ring full, final Ring empty, final Phase p)
        {
            while (true)
            {
                final int slot = full.poll();
                if (slot < 0)
                {
                    if (p.producerDone && full.head.get() == full.tail.get())
                    {
                        return null; // emptiness read again after producerDone: no block is left behind
                    }
                    Thread.onSpinWait();
                    continue;
                }
                s.free(slot);
                while (!empty.offer(slot))
                {
                    Thread.onSpinWait();
                }
            }
        }
    }

    /** The loops for subject 2; identical to the others on purpose (one JIT profile each). */
    static final class Loop2
    {
        static long[] produce(final Subject s, final Ring full, final Ring empty, final int[] sizes, long c,
            final Phase p)
        {
            long ops = 0;
            while (!p.stop)
            {
                final int slot = empty.poll();
                if (slot < 0)
                {
                    Thread.onSpinWait();
                    continue;
                }
                UnsafeApi.putLong(s.allocate(slot, sizes[(int)(c++ & WorkloadData.SEQUENCE_MASK)]), c);
                while (!full.offer(slot))
                {
                    Thread.onSpinWait();
                }
                ops++;
            }
            return new long[] {ops, c};
        }

        static long[] consume(final Subject s, final Ring full, final Ring empty, final Phase p)
        {
            while (true)
            {
                final int slot = full.poll();
                if (slot < 0)
                {
                    if (p.producerDone && full.head.get() == full.tail.get())
                    {
                        return null; // emptiness read again after producerDone: no block is left behind
                    }
                    Thread.onSpinWait();
                    continue;
                }
                s.free(slot);
                while (!empty.offer(slot))
                {
                    Thread.onSpinWait();
                }
            }
        }
    }

    /** The loops for subject 3; identical to the others on purpose (one JIT profile each). */
    static final class Loop3
    {
        static long[] produce(final Subject s, final Ring full, final Ring empty, final int[] sizes, long c,
            final Phase p)
        {
            long ops = 0;
            while (!p.stop)
            {
                final int slot = empty.poll();
                if (slot < 0)
                {
                    Thread.onSpinWait();
                    continue;
                }
                UnsafeApi.putLong(s.allocate(slot, sizes[(int)(c++ & WorkloadData.SEQUENCE_MASK)]), c);
                while (!full.offer(slot))
                {
                    Thread.onSpinWait();
                }
                ops++;
            }
            return new long[] {ops, c};
        }

        static long[] consume(final Subject s, final Ring full, final Ring empty, final Phase p)
        {
            while (true)
            {
                final int slot = full.poll();
                if (slot < 0)
                {
                    if (p.producerDone && full.head.get() == full.tail.get())
                    {
                        return null; // emptiness read again after producerDone: no block is left behind
                    }
                    Thread.onSpinWait();
                    continue;
                }
                s.free(slot);
                while (!empty.offer(slot))
                {
                    Thread.onSpinWait();
                }
            }
        }
    }
}
