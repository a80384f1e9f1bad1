package io.arenaalloc.bench.workload;

import static org.junit.jupiter.api.Assertions.assertTrue;

import java.lang.management.ManagementFactory;

import io.arenaalloc.bench.subject.Subjects;
import org.junit.jupiter.api.Test;

/**
 * Proves the measured code of every workload creates no garbage of its own: driven directly (no
 * JMH) against {@code malloc}, which allocates nothing on the Java heap, the calling thread's
 * allocated-bytes counter must not move by more than a few bytes over 200,000 operations.
 */
class HarnessGarbageTest
{
    private static final int OPS = 200_000;
    private static final long TOLERANCE_BYTES = 1024; // < 0.005 B/op: the counter itself, nothing per op

    private static final com.sun.management.ThreadMXBean THREADS =
        (com.sun.management.ThreadMXBean)ManagementFactory.getThreadMXBean();

    private static long allocatedBytes()
    {
        return THREADS.getThreadAllocatedBytes(Thread.currentThread().getId());
    }

    private static void assertNoGarbage(final String what, final Runnable ops)
    {
        ops.run(); // warm up: class loading, interpreter profiles, JIT
        ops.run();
        final long before = allocatedBytes();
        ops.run();
        final long garbage = allocatedBytes() - before;
        assertTrue(garbage <= TOLERANCE_BYTES, what + " allocated " + garbage + " bytes in " + OPS + " ops");
    }

    @Test
    void churn()
    {
        for (final String workload : new String[] {"churn-small", "churn-mixed"})
        {
            final ChurnBenchmark bench = new ChurnBenchmark();
            bench.workload = workload;
            bench.subject = Subjects.MALLOC;
            bench.setUp();
            try
            {
                assertNoGarbage(workload, () ->
                {
                    long sink = 0;
                    for (int i = 0; i < OPS; i++)
                    {
                        sink += bench.churn();
                    }
                    assertTrue(sink != 0);
                });
            }
            finally
            {
                bench.tearDown();
            }
        }
    }

    @Test
    void access()
    {
        // the arena's resolve, pin and unpin promise zero garbage too, so this covers the whole op
        final AccessBenchmark bench = new AccessBenchmark();
        bench.setUp();
        try
        {
            assertNoGarbage("access", () ->
            {
                long sink = 0;
                for (int i = 0; i < OPS; i++)
                {
                    sink += bench.raw() + bench.arenaResolve() + bench.arenaPin();
                }
                assertTrue(sink != 0);
            });
        }
        finally
        {
            bench.tearDown();
        }
    }

    @Test
    void latency()
    {
        final LatencyBenchmark bench = new LatencyBenchmark();
        bench.subject = Subjects.MALLOC;
        bench.setUp();
        try
        {
            assertNoGarbage("latency", () ->
            {
                long sink = 0;
                for (int i = 0; i < OPS; i++)
                {
                    bench.freeNext();
                    sink += bench.allocate();
                }
                assertTrue(sink != 0);
            });
        }
        finally
        {
            bench.tearDown();
        }
    }

    @Test
    void handoffOnOneThread()
    {
        final HandoffBenchmark bench = new HandoffBenchmark();
        final HandoffBenchmark.Pair pair = new HandoffBenchmark.Pair();
        pair.subject = Subjects.MALLOC;
        pair.setUp();
        final HandoffBenchmark.Producer producer = new HandoffBenchmark.Producer();
        producer.setUp(pair, 0);
        final HandoffBenchmark.Consumer consumer = new HandoffBenchmark.Consumer();
        consumer.setUp(pair);
        final org.openjdk.jmh.infra.Control control = new org.openjdk.jmh.infra.Control();
        try
        {
            assertNoGarbage("handoff", () ->
            {
                long sink = 0;
                for (int i = 0; i < OPS; i++)
                {
                    sink += bench.produce(pair, producer, control);
                    sink += bench.consume(pair, consumer, control);
                }
                assertTrue(sink != 0);
            });
        }
        finally
        {
            pair.tearDown();
        }
    }

    @Test
    void larsonOnOneThread()
    {
        final LarsonBenchmark bench = new LarsonBenchmark();
        final LarsonBenchmark.Shared shared = new LarsonBenchmark.Shared();
        shared.subject = Subjects.MALLOC;
        shared.setUp(1);
        final LarsonBenchmark.Worker worker = new LarsonBenchmark.Worker();
        worker.setUp(shared, 0);
        try
        {
            assertNoGarbage("larson", () ->
            {
                long sink = 0;
                for (int i = 0; i < OPS; i++)
                {
                    sink += bench.churn(shared, worker);
                }
                assertTrue(sink != 0);
            });
        }
        finally
        {
            shared.tearDown();
        }
    }
}
