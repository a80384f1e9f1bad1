package io.arenaalloc.bench.workload;

import java.util.concurrent.TimeUnit;

import io.arenaalloc.bench.subject.Subject;
import io.arenaalloc.bench.subject.Subjects;
import org.agrona.UnsafeApi;
import org.jctools.queues.SpscArrayQueue;
import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.BenchmarkMode;
import org.openjdk.jmh.annotations.Group;
import org.openjdk.jmh.annotations.GroupThreads;
import org.openjdk.jmh.annotations.Level;
import org.openjdk.jmh.annotations.Mode;
import org.openjdk.jmh.annotations.OutputTimeUnit;
import org.openjdk.jmh.annotations.Param;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.Setup;
import org.openjdk.jmh.annotations.State;
import org.openjdk.jmh.annotations.TearDown;
import org.openjdk.jmh.infra.Control;
import org.openjdk.jmh.infra.ThreadParams;

/**
 * Workloads {@code handoff} and {@code handoff@T} (xmalloc-style producer/consumer).
 *
 * <p>A JMH thread group is one <em>pair</em>: a producer thread allocates blocks (log-uniform
 * 16-256 B, 8 bytes written) and hands them to a consumer thread, which frees them. Blocks travel in
 * pre-allocated {@link Token}s over a JCTools {@link SpscArrayQueue}; a second SPSC queue returns
 * empty tokens, which bounds the blocks in flight to {@link #IN_FLIGHT} per pair and keeps the
 * hand-off free of garbage. Plain {@code handoff} is one pair (1 producer + 1 consumer);
 * {@code handoff@T} runs T independent pairs (2T threads) against one shared allocator instance.
 *
 * <p>A thread that finds its queue empty spins ({@link Thread#onSpinWait()}), then yields, and gives
 * up only when JMH ends the measurement ({@link Control#stopMeasurement}), so each counted producer
 * operation is exactly one block allocated and handed over. Reported: {@code throughput} = producer
 * operations per microsecond summed over all pairs (Mops/s of blocks passing from one thread to
 * another), and {@code alloc} = Java heap bytes per block.
 */
@BenchmarkMode(Mode.Throughput)
@OutputTimeUnit(TimeUnit.MICROSECONDS)
public class HandoffBenchmark
{
    /** Blocks in flight per pair (tokens per pair). */
    public static final int IN_FLIGHT = 1024;

    /** JMH label of the producer method: its score is the workload's throughput. */
    public static final String PRODUCER_LABEL = "produce";

    private static final int SPINS_BEFORE_YIELD = 64;

    /** A slot number travelling between the two threads of a pair. */
    static final class Token
    {
        final int slot;

        Token(final int slot)
        {
            this.slot = slot;
        }
    }

    /** One producer/consumer pair: the allocator, the two queues, the tokens. */
    @State(Scope.Group)
    public static class Pair
    {
        /** Subject name from the contract (the suite runs one subject per fork). */
        @Param({"arena", "arena-striped", "netty-pooled", "netty-adaptive", "malloc", "allocate-direct", "jemalloc", "rpmalloc"})
        public String subject;

        Subject allocator;
        SpscArrayQueue<Token> full;
        SpscArrayQueue<Token> empty;

        /** Build the subject and queues; every token starts empty. */
        @Setup(Level.Trial)
        public void setUp()
        {
            allocator = Subjects.create(subject, IN_FLIGHT, true);
            allocator.attachThread();
            full = new SpscArrayQueue<>(IN_FLIGHT);
            empty = new SpscArrayQueue<>(IN_FLIGHT);
            for (int i = 0; i < IN_FLIGHT; i++)
            {
                empty.offer(new Token(i));
            }
        }

        /** Free the blocks still in flight and close the subject. */
        @TearDown(Level.Trial)
        public void tearDown()
        {
            if (allocator != null)
            {
                allocator.attachThread();
                allocator.close();
                allocator = null;
            }
        }
    }

    /** Producer's private size stream. */
    @State(Scope.Thread)
    public static class Producer
    {
        int[] sizes;
        int cursor;

        /** Attach the thread and generate the sizes (seed differs per pair, same for every subject). */
        @Setup(Level.Trial)
        public void setUp(final Pair pair, final ThreadParams threadParams)
        {
            setUp(pair, threadParams.getGroupIndex());
        }

        void setUp(final Pair pair, final int pairIndex)
        {
            pair.allocator.attachThread();
            sizes = WorkloadData.sizes(
                WorkloadData.SEED + pairIndex, WorkloadData.SEQUENCE_LENGTH,
                WorkloadData.MIN_SIZE, WorkloadData.SMALL_MAX_SIZE);
        }
    }

    /** Consumer's per-thread preparation. */
    @State(Scope.Thread)
    public static class Consumer
    {
        /** Attach the thread to the subject. */
        @Setup(Level.Trial)
        public void setUp(final Pair pair)
        {
            pair.allocator.attachThread();
        }
    }

    /**
     * Take an empty token, allocate a block into its slot, write 8 bytes, pass it to the consumer.
     *
     * @return the block address, or 0 when the measurement ended while waiting.
     */
    @Benchmark
    @Group("handoff")
    @GroupThreads(1)
    public long produce(final Pair pair, final Producer producer, final Control control)
    {
        Token token;
        int spins = 0;
        while ((token = pair.empty.relaxedPoll()) == null)
        {
            if (control.stopMeasurement)
            {
                return 0;
            }
            spins = idle(spins);
        }
        final int c = producer.cursor++ & WorkloadData.SEQUENCE_MASK;
        final long address = pair.allocator.allocate(token.slot, producer.sizes[c]);
        UnsafeApi.putLong(address, c);
        pair.full.offer(token);
        return address;
    }

    /**
     * Take a full token, free its block, return the token to the producer.
     *
     * @return the slot freed, or -1 when the measurement ended while waiting.
     */
    @Benchmark
    @Group("handoff")
    @GroupThreads(1)
    public int consume(final Pair pair, final Consumer consumer, final Control control)
    {
        Token token;
        int spins = 0;
        while ((token = pair.full.relaxedPoll()) == null)
        {
            if (control.stopMeasurement)
            {
                return -1;
            }
            spins = idle(spins);
        }
        pair.allocator.free(token.slot);
        pair.empty.offer(token);
        return token.slot;
    }

    private static int idle(final int spins)
    {
        if (spins < SPINS_BEFORE_YIELD)
        {
            Thread.onSpinWait();
        }
        else
        {
            Thread.yield();
        }
        return spins + 1;
    }
}
