package io.arenaalloc.threads;

import io.arenaalloc.core.ArenaConfig;
import io.arenaalloc.core.NativeMemorySource;
import org.junit.jupiter.api.Test;

import java.util.SplittableRandom;
import java.util.concurrent.ArrayBlockingQueue;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicReference;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * Larson's pattern with every byte checked: threads churn their own sets of small blocks (free a random one, check its
 * pattern first, allocate a replacement, fill it) and swap sets through an exchange slot, so most frees are of blocks
 * another thread allocated and go through the freeing thread's {@link ThreadBlockCache}; now and then a thread
 * maintains (its idle cache goes home) or flushes its cache. At the end every block is checked and freed, every cache
 * flushed, and the arenas and the memory source must hold nothing.
 *
 * The second test is a pipeline: producers that own arenas hand blocks to consumers that own none, so every
 * consumer free is a remote free, which the producer parks in its own cache when it drains before an allocation
 * ({@link ThreadBlockCache} step 5) and reuses; the producers churn sets of their own medium blocks beside it (never
 * parked, so every park counted is of a remote free).
 *
 * <p>Runs {@code arena.stress.seconds} seconds: 2 by default (CI), minutes on request, e.g.
 * {@code mvn -pl arena-threads test -Dtest=ThreadCacheStressTest -Darena.test.jvmArgs=-Darena.stress.seconds=300}.
 */
class ThreadCacheStressTest
{
    private static final long SECONDS = Long.getLong("arena.stress.seconds", 2);
    private static final int THREADS = 3;
    private static final int SET = 512;
    private static final int ROUND = 700;
    /** The producers' own blocks in the pipeline test: MEDIUM .. 2 x MEDIUM bytes, above the small classes. */
    private static final int MEDIUM = 5000;

    /** One set: a block address, its size and its pattern seed per slot. */
    private static final class BlockSet
    {
        final long[] address = new long[SET];
        final int[] size = new int[SET];
        final long[] seed = new long[SET];
    }

    @Test
    void shouldKeepEveryByteWhileBlocksChangeThreadsThroughTheirCaches() throws Exception
    {
        final NativeMemorySource source = new NativeMemorySource();
        final ArenaAllocator alloc = TestAllocators.builder(Policy.PER_THREAD).threadCacheBytes(16 << 10)
            .arenaConfig(ArenaConfig.builder().chunkSize(TestAllocators.CHUNK).memorySource(source).spareChunks(0).build())
            .build();
        final AtomicReference<BlockSet> exchange = new AtomicReference<>(filled(alloc, new SplittableRandom(99), -1));
        final AtomicReference<Throwable> failure = new AtomicReference<>();
        final BlockSet[] last = new BlockSet[THREADS];
        final long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(SECONDS);
        final Thread[] threads = new Thread[THREADS];
        for (int t = 0; t < THREADS; t++)
        {
            final int id = t;
            threads[t] = new Thread(() ->
            {
                try
                {
                    final SplittableRandom random = new SplittableRandom(id);
                    BlockSet set = filled(alloc, random, id);
                    long ops = 0;
                    while (System.nanoTime() - deadline < 0)
                    {
                        final int slot = random.nextInt(SET);
                        Patterns.check(set.address[slot], set.size[slot], set.seed[slot], "thread " + id + " op " + ops);
                        alloc.free(set.address[slot]);
                        final int size = 16 + random.nextInt(1009);
                        final long a = alloc.allocate(size);
                        final long seed = random.nextLong();
                        Patterns.fill(a, size, seed);
                        set.address[slot] = a;
                        set.size[slot] = size;
                        set.seed[slot] = seed;
                        if (++ops % ROUND == 0)
                        {
                            set = exchange.getAndSet(set);
                        }
                        if (ops % 5_000 == 0)
                        {
                            alloc.maintain(0); // twice in a row with no churn between would send the cache home
                        }
                        if (ops % 20_011 == 0)
                        {
                            alloc.flushThreadCache();
                        }
                    }
                    last[id] = set;
                    alloc.flushThreadCache();
                }
                catch (final Throwable ex)
                {
                    failure.compareAndSet(null, ex);
                }
            }, "churner-" + t);
            threads[t].start();
        }
        for (final Thread t : threads)
        {
            t.join();
        }
        assertNull(failure.get(), () -> String.valueOf(failure.get()));
        assertTrue(alloc.counters().get(AllocatorCounters.THREAD_CACHE_REUSED) > 0, "the caches were used");
        final BlockSet spare = exchange.get();
        for (final BlockSet set : new BlockSet[] {last[0], last[1], last[2], spare})
        {
            for (int i = 0; i < SET; i++)
            {
                Patterns.check(set.address[i], set.size[i], set.seed[i], "at the end, slot " + i);
                alloc.free(set.address[i]);
            }
        }
        alloc.flushThreadCache();
        for (int i = 0; i < 4 && alloc.liveBytes() != 0; i++)
        {
            alloc.maintain(1_000_000); // ended threads: their arenas drain and close
        }
        assertEquals(0, alloc.liveBytes(), "every block came home");
        alloc.close();
        assertEquals(0, source.reservedBytes(), "every byte went back to the memory source");
    }

    @Test
    void shouldKeepEveryByteWhileOwnersParkTheRemoteFreesOfThreadsWithoutAnArena() throws Exception
    {
        final NativeMemorySource source = new NativeMemorySource();
        final ArenaAllocator alloc = TestAllocators.builder(Policy.PER_THREAD).threadCacheBytes(16 << 10)
            .drainInterval(8)
            .arenaConfig(ArenaConfig.builder().chunkSize(TestAllocators.CHUNK).memorySource(source).spareChunks(0)
                .build())
            .build();
        final BlockingQueue<long[]> handoff = new ArrayBlockingQueue<>(4096); // {address, size, seed}
        final AtomicReference<Throwable> failure = new AtomicReference<>();
        final long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(SECONDS);
        final int producers = 2;
        final int consumers = 2;
        final AtomicInteger producersDone = new AtomicInteger();
        final Thread[] threads = new Thread[producers + consumers];
        for (int t = 0; t < producers; t++)
        {
            final int id = t;
            threads[t] = new Thread(() ->
            {
                try
                {
                    final SplittableRandom random = new SplittableRandom(100 + id);
                    final BlockSet own = new BlockSet();
                    for (int i = 0; i < SET; i++)
                    {
                        own.size[i] = MEDIUM + random.nextInt(MEDIUM);
                        own.address[i] = alloc.allocate(own.size[i]);
                        own.seed[i] = random.nextLong();
                        Patterns.fill(own.address[i], own.size[i], own.seed[i]);
                    }
                    long ops = 0;
                    while (System.nanoTime() - deadline < 0)
                    {
                        final int size = 16 + random.nextInt(1009);
                        final long a = alloc.allocate(size);
                        final long seed = random.nextLong();
                        Patterns.fill(a, size, seed);
                        while (!handoff.offer(new long[] {a, size, seed}, 1, TimeUnit.MILLISECONDS))
                        {
                            if (failure.get() != null)
                            {
                                return;
                            }
                        }
                        final int slot = random.nextInt(SET);
                        Patterns.check(own.address[slot], own.size[slot], own.seed[slot],
                            "producer " + id + " op " + ops);
                        alloc.free(own.address[slot]);
                        own.size[slot] = MEDIUM + random.nextInt(MEDIUM);
                        own.address[slot] = alloc.allocate(own.size[slot]);
                        own.seed[slot] = random.nextLong();
                        Patterns.fill(own.address[slot], own.size[slot], own.seed[slot]);
                        if (++ops % 5_000 == 0)
                        {
                            alloc.maintain(0); // drains into the arena, not the cache
                        }
                        if (ops % 20_011 == 0)
                        {
                            alloc.flushThreadCache();
                        }
                    }
                    for (int i = 0; i < SET; i++)
                    {
                        Patterns.check(own.address[i], own.size[i], own.seed[i], "producer " + id + " at the end");
                        alloc.free(own.address[i]);
                    }
                    alloc.flushThreadCache();
                }
                catch (final Throwable ex)
                {
                    failure.compareAndSet(null, ex);
                }
                finally
                {
                    producersDone.incrementAndGet();
                }
            }, "producer-" + t);
        }
        for (int t = 0; t < consumers; t++)
        {
            final int id = t;
            threads[producers + t] = new Thread(() ->
            {
                try
                {
                    long ops = 0;
                    while (true)
                    {
                        final long[] b = handoff.poll(1, TimeUnit.MILLISECONDS);
                        if (b == null)
                        {
                            if (producersDone.get() == producers && handoff.isEmpty() || failure.get() != null)
                            {
                                return;
                            }
                            continue;
                        }
                        Patterns.check(b[0], b[1], b[2], "consumer " + id + " op " + ops++);
                        alloc.free(b[0]); // a thread without an arena: a remote free to the producer
                    }
                }
                catch (final Throwable ex)
                {
                    failure.compareAndSet(null, ex);
                }
            }, "consumer-" + t);
        }
        for (final Thread t : threads)
        {
            t.start();
        }
        for (final Thread t : threads)
        {
            t.join();
        }
        assertNull(failure.get(), () -> String.valueOf(failure.get()));
        assertTrue(alloc.counters().get(AllocatorCounters.REMOTE_FREES_BATCHED) > 0, "remote frees");
        assertTrue(alloc.counters().get(AllocatorCounters.THREAD_CACHE_PARKED) > 0,
            "remote frees parked by the owners");
        assertTrue(alloc.counters().get(AllocatorCounters.THREAD_CACHE_REUSED) > 0, "and reused");
        for (int i = 0; i < 4 && alloc.liveBytes() != 0; i++)
        {
            alloc.maintain(1_000_000); // ended threads: their arenas drain and close
        }
        assertEquals(0, alloc.liveBytes(), "every block came home");
        alloc.close();
        assertEquals(0, source.reservedBytes(), "every byte went back to the memory source");
    }

    private static BlockSet filled(final ArenaAllocator alloc, final SplittableRandom random, final int thread)
    {
        final BlockSet set = new BlockSet();
        for (int i = 0; i < SET; i++)
        {
            set.size[i] = 16 + random.nextInt(1009);
            set.address[i] = alloc.allocate(set.size[i]);
            set.seed[i] = thread * 1_000_003L + i;
            Patterns.fill(set.address[i], set.size[i], set.seed[i]);
        }
        return set;
    }
}
