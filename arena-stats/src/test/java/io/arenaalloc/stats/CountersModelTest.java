package io.arenaalloc.stats;

import io.arenaalloc.core.ArenaConfig;
import io.arenaalloc.core.ArenaCounters;
import io.arenaalloc.core.ArenaLimitExceededException;
import io.arenaalloc.core.OffHeapArena;
import io.arenaalloc.core.SizeClasses;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.SplittableRandom;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * Model-based test: random operations on an arena, with a model that predicts every figure the operations
 * determine; after every few operations the snapshot must equal the model exactly.
 *
 * <p>Model: live blocks (address or handle -&gt; usable size, size class), pinned handles, and running totals of
 * allocations, frees, reallocations, requested bytes, limit failures, compaction steps, blocks and bytes moved.
 * Compaction on allocation failure is off, so every compaction step is one the test asked for.
 */
class CountersModelTest
{
    private static final long CHUNK = 256 << 10;

    private static final class Model
    {
        final Map<Long, Long> fixedUsable = new HashMap<>();
        final Map<Long, Long> handleUsable = new HashMap<>();
        final Set<Long> pinned = new HashSet<>();
        final long[] classLive = new long[SizeClasses.CLASS_COUNT];
        final Map<Long, Integer> classOf = new HashMap<>();
        long allocations;
        long frees;
        long reallocations;
        long requested;
        long live;
        long liveHighWater;
        long limitFailures;
        long compactSteps;
        long blocksMoved;
        long bytesMoved;
        long hugeBytes;

        void allocated(final long key, final long requestedSize, final long usable, final boolean huge)
        {
            allocations++;
            requested += requestedSize;
            live += usable;
            liveHighWater = Math.max(liveHighWater, live);
            if (huge)
            {
                hugeBytes += usable;
            }
            if (usable <= SizeClasses.SMALL_MAX)
            {
                final int cls = SizeClasses.classOf(usable);
                classLive[cls]++;
                classOf.put(key, cls);
            }
        }

        void freed(final long key, final long usable, final boolean huge)
        {
            frees++;
            live -= usable;
            if (huge)
            {
                hugeBytes -= usable;
            }
            final Integer cls = classOf.remove(key);
            if (cls != null)
            {
                classLive[cls]--;
            }
        }
    }

    private static long randomSize(final SplittableRandom rnd, final long max)
    {
        // log-uniform from 1 B to max
        final double log = rnd.nextDouble() * Math.log(max);
        return Math.max(1, Math.min(max, (long)Math.exp(log)));
    }

    private static long handleUsable(final long size)
    {
        return size <= SizeClasses.SMALL_MAX ? SizeClasses.classSize(SizeClasses.classOf(size)) :
            SizeClasses.granulesFor(size) << SizeClasses.GRANULE_SHIFT;
    }

    @ParameterizedTest
    @ValueSource(longs = {1, 2, 3, 4})
    void figuresMatchTheModelExactly(final long seed)
    {
        final SplittableRandom rnd = new SplittableRandom(seed);
        final Model m = new Model();
        final ArenaConfig config = ArenaConfig.builder().chunkSize(CHUNK).maxTotalBytes(16 * CHUNK)
            .compactOnAllocationFailure(false).fragmentationThreshold(0.05).build();
        try (OffHeapArena arena = OffHeapArena.create(config))
        {
            final ArenaStatsPublisher publisher = ArenaStatsPublisher.of(arena);
            for (int op = 0; op < 20_000; op++)
            {
                int kind = rnd.nextInt(100);
                if (kind >= 35 && kind < 75 && m.fixedUsable.size() + m.handleUsable.size() < 300)
                {
                    kind = rnd.nextInt(35); // keep a working set of about 300 blocks
                }
                if (kind < 20)
                {
                    allocateFixed(arena, rnd, m);
                }
                else if (kind < 35)
                {
                    allocateHandle(arena, rnd, m);
                }
                else if (kind < 75)
                {
                    freeOne(arena, rnd, m);
                }
                else if (kind < 85)
                {
                    reallocateFixed(arena, rnd, m);
                }
                else if (kind < 92)
                {
                    pinOrUnpin(arena, rnd, m);
                }
                else
                {
                    compact(arena, rnd, m);
                }
                if (op % 250 == 0)
                {
                    publisher.publish();
                    check(arena, publisher.snapshot(), m, "seed " + seed + " op " + op);
                }
            }
            publisher.publish();
            check(arena, publisher.snapshot(), m, "seed " + seed + " end");
            check(arena, ArenaStats.snapshot(arena), m, "seed " + seed + " ArenaStats.snapshot");
            // the seeds reach every kind of event the model predicts
            assertTrue(m.blocksMoved > 0 && m.limitFailures > 0 && m.reallocations > 0 && m.compactSteps > 0,
                () -> "seed " + seed + " coverage: " + publisher.snapshot());
            for (final long h : new ArrayList<>(m.pinned))
            {
                arena.unpin(h);
            }
        }
    }

    /** The rule the model follows for a reallocation in place: growing a medium block raises the high-water mark. */
    @Test
    void shouldRaiseTheLiveHighWaterWhenAMediumBlockGrowsInPlace()
    {
        try (OffHeapArena arena = OffHeapArena.create(ArenaConfig.builder().chunkSize(CHUNK).build()))
        {
            final long a = arena.allocate(10_000);
            final long before = ArenaStats.snapshot(arena).liveBytesHighWater();
            assertEquals(arena.usableSize(a), before, "one block: the high-water mark is its size");
            final long b = arena.reallocate(a, 20_000);
            assertEquals(a, b, "grown in place (the run after it is free)");
            final ArenaSnapshot s = ArenaStats.snapshot(arena);
            assertEquals(arena.usableSize(a), s.liveBytes());
            assertEquals(s.liveBytes(), s.liveBytesHighWater(), "raised by the growth, with no allocation event");
            arena.free(b);
        }
    }

    private static void allocateFixed(final OffHeapArena arena, final SplittableRandom rnd, final Model m)
    {
        final long size = randomSize(rnd, 3 * CHUNK / 4);
        try
        {
            final long address = arena.allocate(size);
            final long usable = arena.usableSize(address);
            m.fixedUsable.put(address, usable);
            m.allocated(address, size, usable, size > CHUNK / 2);
        }
        catch (final ArenaLimitExceededException ex)
        {
            m.limitFailures++;
        }
    }

    private static void allocateHandle(final OffHeapArena arena, final SplittableRandom rnd, final Model m)
    {
        final long size = randomSize(rnd, CHUNK / 4);
        try
        {
            final long handle = arena.allocateHandle(size);
            final long usable = handleUsable(size);
            m.handleUsable.put(handle, usable);
            m.allocated(handle, size, usable, false);
        }
        catch (final ArenaLimitExceededException ex)
        {
            m.limitFailures++;
        }
    }

    private static long pick(final SplittableRandom rnd, final Set<Long> keys)
    {
        final int i = rnd.nextInt(keys.size());
        int n = 0;
        for (final long k : keys)
        {
            if (n++ == i)
            {
                return k;
            }
        }
        throw new AssertionError();
    }

    private static void freeOne(final OffHeapArena arena, final SplittableRandom rnd, final Model m)
    {
        final boolean handle = rnd.nextBoolean() && m.handleUsable.size() > m.pinned.size();
        if (handle)
        {
            long h;
            do
            {
                h = pick(rnd, m.handleUsable.keySet());
            }
            while (m.pinned.contains(h));
            arena.free(h);
            m.freed(h, m.handleUsable.remove(h), false);
        }
        else if (!m.fixedUsable.isEmpty())
        {
            final long a = pick(rnd, m.fixedUsable.keySet());
            arena.free(a);
            final long usable = m.fixedUsable.remove(a);
            m.freed(a, usable, usable > CHUNK / 2);
        }
    }

    private static void reallocateFixed(final OffHeapArena arena, final SplittableRandom rnd, final Model m)
    {
        if (m.fixedUsable.isEmpty())
        {
            return;
        }
        final long a = pick(rnd, m.fixedUsable.keySet());
        final long oldUsable = m.fixedUsable.get(a);
        final long newSize = randomSize(rnd, 3 * CHUNK / 4);
        final long b;
        try
        {
            b = arena.reallocate(a, newSize);
        }
        catch (final ArenaLimitExceededException ex)
        {
            m.limitFailures++; // a reallocation refused at the limit is not counted as one (as allocations)
            return;
        }
        m.reallocations++;
        final long newUsable = arena.usableSize(b);
        if (b == a)
        {
            // in place: no allocation event, but a medium block grown in place raises the live bytes, and with them
            // the high-water mark when they pass it (the arena raises it on every increase of its live bytes)
            m.fixedUsable.put(a, newUsable);
            m.live += newUsable - oldUsable;
            m.liveHighWater = Math.max(m.liveHighWater, m.live);
            final Integer cls = m.classOf.remove(a);
            if (cls != null)
            {
                m.classLive[cls]--;
            }
            if (newUsable <= SizeClasses.SMALL_MAX)
            {
                final int c = SizeClasses.classOf(newUsable);
                m.classLive[c]++;
                m.classOf.put(a, c);
            }
            return;
        }
        m.fixedUsable.remove(a);
        m.fixedUsable.put(b, newUsable);
        m.allocated(b, newSize, newUsable, newUsable > CHUNK / 2);
        m.freed(a, oldUsable, oldUsable > CHUNK / 2);
    }

    private static void pinOrUnpin(final OffHeapArena arena, final SplittableRandom rnd, final Model m)
    {
        if (!m.pinned.isEmpty() && rnd.nextBoolean())
        {
            final long h = pick(rnd, m.pinned);
            arena.unpin(h);
            m.pinned.remove(h);
        }
        else if (m.handleUsable.size() > m.pinned.size())
        {
            long h;
            do
            {
                h = pick(rnd, m.handleUsable.keySet());
            }
            while (m.pinned.contains(h));
            arena.pin(h);
            m.pinned.add(h);
        }
    }

    private static void compact(final OffHeapArena arena, final SplittableRandom rnd, final Model m)
    {
        final long maxBytes = rnd.nextInt(4) == 0 ? Long.MAX_VALUE : 64 << 10;
        final boolean worth = arena.compactionWorthIt(maxBytes);
        final Map<Long, Long> before = new HashMap<>();
        for (final long h : m.handleUsable.keySet())
        {
            before.put(h, arena.resolve(h));
        }
        // mostly a roomy budget; sometimes one so short that a large block is moved in staged pieces across steps
        // (the next step's resolve() below reaches it, so such a move is given up unless it finishes in one step)
        final long maxNanos = rnd.nextInt(8) == 0 ? 20_000 : 10_000_000;
        final long moved = arena.compact(maxNanos, maxBytes);
        m.compactSteps += worth ? 1 : 0;
        long movedBlocks = 0;
        for (final Map.Entry<Long, Long> e : before.entrySet())
        {
            if (arena.resolve(e.getKey()) != e.getValue())
            {
                m.blocksMoved++;
                movedBlocks++;
                // bytes-moved counts whole blocks whose move finished; compact()'s return value also counts the
                // pieces of a staged move (finished or not), so the model takes the sizes of the blocks that moved
                m.bytesMoved += m.handleUsable.get(e.getKey());
            }
        }
        assertTrue(movedBlocks == 0 || moved > 0, () -> "compact() moved " + moved + " bytes, expected > 0 with blocks moved");
    }

    private static void check(final OffHeapArena arena, final ArenaSnapshot s, final Model m, final String where)
    {
        final long liveBlocks = m.fixedUsable.size() + m.handleUsable.size();
        assertEquals(m.allocations, s.allocations(), where + ": allocations");
        assertEquals(m.frees, s.frees(), where + ": frees");
        assertEquals(m.frees, s.localFrees(), where + ": frees-local");
        assertEquals(0, s.remoteFreesQueued(), where + ": remote-frees-queued");
        assertEquals(0, s.remoteFreesPending(), where + ": remote-frees-pending");
        assertEquals(m.reallocations, s.reallocations(), where + ": reallocations");
        assertEquals(liveBlocks, s.liveBlocks(), where + ": live-blocks");
        assertEquals(m.handleUsable.size(), s.liveHandles(), where + ": live-handles");
        assertEquals(m.live, s.liveBytes(), where + ": live-bytes");
        assertEquals(m.liveHighWater, s.liveBytesHighWater(), where + ": live-bytes-high-water");
        assertEquals(m.requested, s.requestedBytes(), where + ": requested-bytes");
        assertEquals(m.limitFailures, s.limitFailures(), where + ": limit-failures");
        assertEquals(m.compactSteps, s.compactSteps(), where + ": compact-steps");
        assertEquals(m.blocksMoved, s.blocksMoved(), where + ": blocks-moved");
        assertEquals(m.bytesMoved, s.bytesMoved(), where + ": bytes-moved");
        assertEquals(m.pinned.size(), s.pinnedBlocks(), where + ": pinned-blocks");
        // committed bytes: the arena's own figure, and the sum of the chunks the walk saw
        assertEquals(arena.committedBytes(), s.committedBytes(), where + ": committed-bytes");
        assertEquals(s.committedBytes(), s.regularCommittedBytes() + m.hugeBytes, where + ": regular + huge");
        assertEquals(s.regularCommittedBytes(), s.chunks() * CHUNK, where + ": chunks x chunkSize");
        assertTrue(s.committedHighWater() >= s.committedBytes(), where + ": committed-high-water");
        assertTrue(s.emptyChunks() <= s.chunks(), where + ": empty-chunks");
        // owner figures
        assertEquals(Math.round(arena.fragmentation() * ArenaFigures.PPM), s.figure(ArenaFigures.FRAGMENTATION_PPM),
            where + ": fragmentation");
        assertEquals(arena.largestFreeRun(), s.largestFreeRun(), where + ": largest-free-run");
        for (int c = 0; c < SizeClasses.CLASS_COUNT; c++)
        {
            assertEquals(m.classLive[c], s.classLiveBlocks(c), where + ": class " + SizeClasses.classSize(c) + " live");
            assertEquals(0, s.classCapacityBlocks(c) % SizeClasses.blocksPerSlab(c),
                where + ": class " + SizeClasses.classSize(c) + " capacity is whole slabs");
            assertTrue(s.classCapacityBlocks(c) >= s.classLiveBlocks(c), where + ": class capacity >= live");
        }
        assertTrue(s.publishes() > 0 && s.publishedAtMillis() > 0, where + ": published");
    }

    @Test
    void totalSumsCountersAndRecomputesFragmentation()
    {
        final ArenaConfig config = ArenaConfig.builder().chunkSize(CHUNK).build();
        try (OffHeapArena a = OffHeapArena.create(config); OffHeapArena b = OffHeapArena.create(config))
        {
            for (int i = 0; i < 100; i++)
            {
                a.allocate(100);
            }
            final long big = b.allocate(20_000);
            b.allocate(CHUNK); // huge
            b.free(big);
            final ArenaSnapshot sa = ArenaStats.snapshot(a);
            final ArenaSnapshot sb = ArenaStats.snapshot(b);
            final ArenaSnapshot total = ArenaStats.total(sa, sb);
            assertEquals(ArenaSnapshot.TOTAL_ID, total.arenaId());
            assertEquals(2, total.arenaCount());
            assertEquals(101 + 1, total.allocations());
            assertEquals(1, total.frees());
            assertEquals(sa.liveBytes() + sb.liveBytes(), total.liveBytes());
            assertEquals(sa.committedBytes() + sb.committedBytes(), total.committedBytes());
            assertEquals(Math.max(sa.largestFreeRun(), sb.largestFreeRun()), total.largestFreeRun());
            final double liveRegular = sa.regularCommittedBytes() * (1 - sa.fragmentation()) +
                sb.regularCommittedBytes() * (1 - sb.fragmentation());
            assertEquals(1 - liveRegular / (sa.regularCommittedBytes() + sb.regularCommittedBytes()),
                total.fragmentation(), 2e-6);
            assertEquals(Math.min(sa.publishedAtMillis(), sb.publishedAtMillis()), total.publishedAtMillis());
            assertEquals(1, total.hugeChunks());
            assertEquals(100, total.classLiveBlocks(SizeClasses.classOf(100)));
            final List<ArenaSnapshot> all = ArenaStats.snapshotsWithTotal(a, b);
            assertEquals(3, all.size());
            assertEquals(total.figure(ArenaCounters.ALLOCATIONS), all.get(2).allocations());
        }
    }

    @Test
    void exportedFileHoldsExactlyThePublishedFigures(@TempDir final Path dir) throws Exception
    {
        final Path file = dir.resolve("model.dat");
        try (OffHeapArena arena = OffHeapArena.create(ArenaConfig.builder().chunkSize(CHUNK).build());
            ArenaStatsExporter exporter = ArenaStatsExporter.builder().file(file).intervalMillis(0).maxCounters(256)
                .build())
        {
            final ArenaStatsPublisher publisher = ArenaStatsPublisher.builder(arena).name("model").build();
            exporter.register(publisher);
            final SplittableRandom rnd = new SplittableRandom(7);
            final List<Long> live = new ArrayList<>();
            for (int i = 0; i < 500; i++)
            {
                if (live.isEmpty() || rnd.nextInt(3) != 0)
                {
                    live.add(rnd.nextBoolean() ? arena.allocate(randomSize(rnd, 20_000)) :
                        arena.allocateHandle(randomSize(rnd, 20_000)));
                }
                else
                {
                    arena.free(live.remove(rnd.nextInt(live.size())));
                }
            }
            publisher.publish();
            exporter.publish();
            final long[] expected = new long[ArenaFigures.COUNT];
            publisher.copyFigures(expected);
            try (StatsFileReader reader = StatsFileReader.open(file))
            {
                final List<ArenaSnapshot> read = reader.read();
                assertEquals(1, read.size());
                assertEquals("model", read.get(0).name());
                assertEquals(arena.arenaId(), read.get(0).arenaId());
                assertArrayEquals(expected, read.get(0).figures(), () -> "file " + Arrays.toString(read.get(0).figures()));
                assertEquals(live.size(), read.get(0).liveBlocks());
                assertEquals(StatsFileReader.State.RUNNING, reader.liveness(System.currentTimeMillis()).state());
            }
        }
    }
}
