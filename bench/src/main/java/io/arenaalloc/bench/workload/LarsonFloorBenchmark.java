package io.arenaalloc.bench.workload;

import java.util.concurrent.TimeUnit;

import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.BenchmarkMode;
import org.openjdk.jmh.annotations.Fork;
import org.openjdk.jmh.annotations.Measurement;
import org.openjdk.jmh.annotations.Mode;
import org.openjdk.jmh.annotations.OutputTimeUnit;
import org.openjdk.jmh.annotations.Threads;
import org.openjdk.jmh.annotations.Warmup;

/**
 * A diagnostic, not part of the contract suite: how much of {@code larson} is the set exchange, per subject, in one
 * run. Issue 4 holds the arena's {@code larson} to at least jemalloc's throughput; this benchmark measures the
 * ceiling any remote-free protocol could reach, the same loop with no exchange (every free is of a block the
 * freeing thread allocated), beside the real workload.
 *
 * <h2>Methods (two threads, {@link LarsonBenchmark}'s states, streams and sets)</h2>
 * <pre>
 *   exchange     LarsonBenchmark.churn exactly: swap sets every ROUND ops, so about half the frees are of
 *                blocks another thread allocated
 *   noExchange   the same op without the swap: every free is the allocating thread's own
 * </pre>
 * Ratios to read from one run: {@code arena noExchange / jemalloc exchange} is the most the arena can reach on
 * this workload if a remote free cost exactly what a local one costs; {@code jemalloc noExchange / jemalloc
 * exchange} is what the exchange costs jemalloc, whose thread cache reuses a block freed by another thread at
 * once. See docs/larson.md.
 * <pre>
 *   java -cp bench/target/arena-bench.jar org.openjdk.jmh.Main LarsonFloor -p subject=arena,jemalloc,rpmalloc
 * </pre>
 */
@BenchmarkMode(Mode.Throughput)
@OutputTimeUnit(TimeUnit.MICROSECONDS)
@Warmup(iterations = 3, time = 1)
@Measurement(iterations = 5, time = 1)
@Fork(value = 3, jvmArgsAppend = {"--add-exports", "java.base/jdk.internal.misc=ALL-UNNAMED", "-Xms1g", "-Xmx1g"})
@Threads(2)
public class LarsonFloorBenchmark
{
    /** {@link LarsonBenchmark#churn}: the workload as the suite runs it. */
    @Benchmark
    public long exchange(final LarsonBenchmark.Shared shared, final LarsonBenchmark.Worker worker)
    {
        return LarsonBenchmark.op(shared, worker, true);
    }

    /** The same op with no set exchange: no free is remote. */
    @Benchmark
    public long noExchange(final LarsonBenchmark.Shared shared, final LarsonBenchmark.Worker worker)
    {
        return LarsonBenchmark.op(shared, worker, false);
    }
}
