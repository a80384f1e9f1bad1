package io.arenaalloc.threads;

import io.arenaalloc.core.ArenaConfig;
import org.agrona.concurrent.BackoffIdleStrategy;
import org.agrona.concurrent.IdleStrategy;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;

import java.util.ArrayList;
import java.util.List;
import java.util.SplittableRandom;
import java.util.concurrent.ArrayBlockingQueue;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.atomic.AtomicReference;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * Producers allocate fixed and movable blocks, fill them with patterns and hand them to consumers, who
 * check and free them (remote frees); producers also free some of their own; producer threads end and are
 * replaced every generation (their arenas are orphaned, then adopted or reclaimed); maintenance compacts
 * alongside (producers idle through {@link MaintainingIdleStrategy}, plus the background thread). Debug
 * arenas (guard bytes, poisoning, periodic validation) catch overlaps and writes after free.
 *
 * <p>Runs {@code arena.stress.seconds} seconds per policy: 2 by default (CI), minutes on request, e.g.
 * {@code mvn -pl arena-threads test -Dtest=StressTest -Darena.test.jvmArgs=-Darena.stress.seconds=300}.
 */
class StressTest
{
    private static final long SECONDS = Long.getLong("arena.stress.seconds", 2);
    private static final int PRODUCERS = 2;
    private static final int CONSUMERS = 2;
    private static final long GENERATION_NANOS = TimeUnit.MILLISECONDS.toNanos(400);

    /** A block in flight: id (address or handle), size, pattern seed. */
    private static final class Block
    {
        final long id;
        final long size;
        final long seed;

        Block(final long id, final long size, final long seed)
        {
            this.id = id;
            this.size = size;
            this.seed = seed;
        }
    }

    @ParameterizedTest
    @EnumSource(Policy.class)
    void shouldKeepEveryPatternAndLoseNothingUnderChurn(final Policy policy) throws Exception
    {
        final List<Throwable> remoteErrors = new CopyOnWriteArrayList<>();
        final ArenaAllocator alloc = ArenaAllocator.builder()
            .policy(policy)
            .stripes(2)
            .backgroundMaintenance(true)
            .maintenancePeriodNanos(TimeUnit.MILLISECONDS.toNanos(1))
            .livenessScanNanos(TimeUnit.MILLISECONDS.toNanos(1))
            .maintenanceBudgetNanos(50_000)
            .maxTotalBytes(1L << 30)
            .limitWaitNanos(TimeUnit.SECONDS.toNanos(5))
            .errorHandler(remoteErrors::add)
            .arenaConfig(ArenaConfig.builder().chunkSize(1 << 20).debug(true).debugValidateEveryLog2(14)
                .fragmentationThreshold(0.1).build())
            .build();
        final ArrayBlockingQueue<Block> handoff = new ArrayBlockingQueue<>(2048);
        final AtomicBoolean stop = new AtomicBoolean();
        final AtomicReference<Throwable> failure = new AtomicReference<>();
        final AtomicLong produced = new AtomicLong();
        final AtomicLong consumed = new AtomicLong();
        final AtomicLong generations = new AtomicLong();
        final long end = System.nanoTime() + TimeUnit.SECONDS.toNanos(SECONDS);

        final List<Thread> threads = new ArrayList<>();
        for (int p = 0; p < PRODUCERS; p++)
        {
            final int index = p;
            threads.add(new Thread(() ->
            {
                // each generation is a new thread: the previous one's arena is orphaned with blocks in flight
                long seed = index;
                while (!stop.get() && failure.get() == null && System.nanoTime() < end)
                {
                    final long generationSeed = seed++;
                    final Thread generation = new Thread(
                        () -> produce(alloc, handoff, generationSeed, end, stop, failure, produced), "producer-" + index);
                    generation.start();
                    try
                    {
                        generation.join();
                    }
                    catch (final InterruptedException ex)
                    {
                        return;
                    }
                    generations.incrementAndGet();
                }
            }, "producer-parent-" + p));
        }
        for (int c = 0; c < CONSUMERS; c++)
        {
            final long seed = 100 + c;
            threads.add(new Thread(() -> consume(alloc, handoff, seed, stop, failure, consumed), "consumer-" + c));
        }
        threads.forEach(Thread::start);
        for (int i = 0; i < PRODUCERS; i++)
        {
            threads.get(i).join();
        }
        stop.set(true);
        for (int i = PRODUCERS; i < threads.size(); i++)
        {
            threads.get(i).join();
        }
        assertNull(failure.get(), () -> "failure: " + failure.get());
        Block left;
        while ((left = handoff.poll()) != null)
        {
            check(alloc, left, "left over");
            alloc.free(left.id);
            consumed.incrementAndGet();
        }
        assertEquals(produced.get(), consumed.get(), "every handed-off block was checked and freed");

        // the producers have ended: their arenas are reclaimed once the remote frees are applied
        final long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(20);
        while (alloc.liveBytes() != 0 && System.nanoTime() < deadline)
        {
            alloc.maintain(1_000_000);
            Thread.sleep(1);
        }
        System.out.println("StressTest " + policy + " " + SECONDS + " s: produced=" + produced.get() + ", producer generations=" +
            generations.get() + ", " + alloc.counters());
        try
        {
            assertEquals(0, alloc.liveBytes(), "nothing is lost: " + alloc + " " + alloc.counters());
            assertTrue(remoteErrors.isEmpty(), () -> "remote free errors: " + remoteErrors);
            assertTrue(produced.get() > 1000, "produced=" + produced.get());
            assertTrue(generations.get() >= PRODUCERS, "generations=" + generations.get());
            if (policy == Policy.PER_THREAD)
            {
                assertTrue(alloc.counters().get(AllocatorCounters.ARENAS_ORPHANED) >= 1, alloc.counters().toString());
                assertTrue(alloc.counters().get(AllocatorCounters.REMOTE_FREES_BATCHED) > 0, alloc.counters().toString());
            }
        }
        finally
        {
            alloc.close();
        }
        assertEquals(0, alloc.committedBytes());
    }

    private static long randomSize(final SplittableRandom rnd)
    {
        final int r = rnd.nextInt(100);
        if (r < 2)
        {
            return (600 << 10) + rnd.nextInt(200 << 10); // huge (above chunkSize / 2)
        }
        return 16L << rnd.nextInt(11); // log-uniform 16 .. 16 KiB
    }

    private static void produce(
        final ArenaAllocator alloc,
        final ArrayBlockingQueue<Block> handoff,
        final long seed,
        final long end,
        final AtomicBoolean stop,
        final AtomicReference<Throwable> failure,
        final AtomicLong produced)
    {
        try
        {
            final SplittableRandom rnd = new SplittableRandom(seed);
            final IdleStrategy idle = alloc.idleStrategy(new BackoffIdleStrategy(10, 10, 1_000, 100_000));
            final Block[] own = new Block[64];
            final long generationEnd = Math.min(end, System.nanoTime() + GENERATION_NANOS);
            while (!stop.get() && failure.get() == null && System.nanoTime() < generationEnd)
            {
                final long size = randomSize(rnd);
                final boolean movable = rnd.nextInt(3) == 0;
                final long id = movable ? alloc.allocateHandle(size) : alloc.allocate(size);
                final Block b = new Block(id, size, rnd.nextLong());
                if (movable)
                {
                    final long address = alloc.pin(id);
                    if (alloc.policy() == Policy.PER_THREAD && alloc.resolve(id) != address)
                    {
                        throw new AssertionError("the owner resolves to the pinned address");
                    }
                    Patterns.fill(address, size, b.seed);
                    alloc.unpin(id);
                }
                else
                {
                    Patterns.fill(id, size, b.seed);
                }
                if (rnd.nextInt(4) == 0)
                {
                    // keep some for a while and free them locally
                    final int slot = rnd.nextInt(own.length);
                    if (own[slot] != null)
                    {
                        check(alloc, own[slot], "own");
                        alloc.free(own[slot].id);
                    }
                    own[slot] = b;
                    continue;
                }
                while (!handoff.offer(b))
                {
                    if (stop.get() || failure.get() != null)
                    {
                        alloc.free(b.id);
                        return;
                    }
                    idle.idle(0); // idle time: drain remote frees, compact this thread's arena
                }
                produced.incrementAndGet();
                idle.idle(1);
            }
            for (final Block b : own)
            {
                if (b != null)
                {
                    check(alloc, b, "own at the end");
                    alloc.free(b.id);
                }
            }
        }
        catch (final Throwable ex)
        {
            failure.compareAndSet(null, ex);
        }
    }

    private static void consume(
        final ArenaAllocator alloc,
        final ArrayBlockingQueue<Block> handoff,
        final long seed,
        final AtomicBoolean stop,
        final AtomicReference<Throwable> failure,
        final AtomicLong consumed)
    {
        try
        {
            final SplittableRandom rnd = new SplittableRandom(seed);
            final Block[] held = new Block[32];
            while (failure.get() == null)
            {
                final Block b = handoff.poll(1, TimeUnit.MILLISECONDS);
                if (b == null)
                {
                    if (stop.get())
                    {
                        break;
                    }
                    continue;
                }
                check(alloc, b, "received");
                // hold some blocks a while: they stay valid across the owner's compaction and thread end
                final int slot = rnd.nextInt(held.length);
                final Block old = held[slot];
                held[slot] = b;
                if (old != null)
                {
                    check(alloc, old, "held");
                    alloc.free(old.id);
                    consumed.incrementAndGet();
                }
            }
            for (final Block b : held)
            {
                if (b != null)
                {
                    check(alloc, b, "held at the end");
                    alloc.free(b.id);
                    consumed.incrementAndGet();
                }
            }
        }
        catch (final Throwable ex)
        {
            failure.compareAndSet(null, ex);
        }
    }

    private static void check(final ArenaAllocator alloc, final Block b, final String what)
    {
        if (b.id < 0)
        {
            final long address = alloc.pin(b.id);
            try
            {
                Patterns.check(address, b.size, b.seed, what + " handle");
            }
            finally
            {
                alloc.unpin(b.id);
            }
        }
        else
        {
            Patterns.check(b.id, b.size, b.seed, what + " block");
        }
    }
}
