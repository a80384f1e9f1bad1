package io.arenaalloc.stats;

import io.arenaalloc.core.ArenaConfig;
import io.arenaalloc.core.ArenaCounters;
import io.arenaalloc.threads.AllocatorCounters;
import io.arenaalloc.threads.AllocatorLimitExceededException;
import io.arenaalloc.threads.ArenaAllocator;
import io.arenaalloc.threads.Policy;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.SplittableRandom;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.TimeUnit;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * Model-based test of the figures of an {@link ArenaAllocator} as the counters file carries them: random local
 * allocations and frees on the owner thread, batches of remote frees from a second platform thread, maintenance,
 * and squeezes against the global limit; at every checkpoint the file's allocator and arena figures equal the model.
 *
 * <p>Model: live blocks (address -&gt; usable size), remote frees sent but not applied, and the running totals the
 * operations determine. Checkpoints follow a {@code maintain()}, which applies every remote free sent (the freer's
 * writes are complete before the owner goes on), so "queued" and "applied" are both the number sent. Automatic
 * drains are pushed out of reach ({@code drainInterval} at its maximum), and squeezes start with nothing pending, so
 * no remote free is applied at a moment the model does not know. Remote frees go to one arena, so the freer opens a
 * new batch exactly when it has none open: at its first free and after each batch it filled.
 */
class AllocatorCountersModelTest
{
    private static final long CHUNK = 256 << 10;
    private static final long LIMIT = 32 * CHUNK;
    private static final int BATCH = 8;
    private static final long SQUEEZE_BLOCK = 100_000;

    private static final class Model
    {
        final List<long[]> live = new ArrayList<>(); // {address, usable}
        long allocations;
        long localFrees;
        long requested;
        long liveBytes;
        long liveHighWater;
        long sent;
        long applied;
        long batches;
        int openFill;
        long limitFailures;
        boolean freerRegistered;

        void allocated(final long address, final long size, final long usable)
        {
            live.add(new long[] {address, usable});
            allocations++;
            requested += size;
            liveBytes += usable;
            liveHighWater = Math.max(liveHighWater, liveBytes);
        }

        long[] take(final int index)
        {
            final long[] b = live.get(index);
            live.set(index, live.get(live.size() - 1));
            live.remove(live.size() - 1);
            return b;
        }

        void freedLocally(final long[] b)
        {
            localFrees++;
            liveBytes -= b[1];
        }

        void sentRemote(final long[] b)
        {
            sent++;
            freerRegistered = true;
            if (openFill == 0)
            {
                batches++;
            }
            openFill = (openFill + 1) % BATCH;
        }

        /** A maintain (or a limit's relief) applied every remote free sent. */
        void drained(final List<long[]> pending)
        {
            for (final long[] b : pending)
            {
                liveBytes -= b[1];
            }
            applied = sent;
            pending.clear();
        }
    }

    private static ArenaAllocator allocator(final long limitWaitNanos)
    {
        return ArenaAllocator.builder()
            .policy(Policy.PER_THREAD)
            .backgroundMaintenance(false)
            .livenessScanNanos(0)
            .drainInterval(1 << 20)
            .remoteFreeBatchSize(BATCH)
            .threadCacheBytes(0) // the model counts the arenas' own allocations and frees, which a cache would skip
            .maxTotalBytes(LIMIT)
            .limitWaitNanos(limitWaitNanos)
            .arenaConfig(ArenaConfig.builder().chunkSize(CHUNK).build())
            .build();
    }

    @ParameterizedTest
    @ValueSource(longs = {1, 2, 3})
    void exportedFiguresMatchTheModel(final long seed, @TempDir final Path dir) throws Exception
    {
        final SplittableRandom rnd = new SplittableRandom(seed);
        final Model m = new Model();
        final List<long[]> pending = new ArrayList<>();
        final ExecutorService freer = Executors.newSingleThreadExecutor(r -> new Thread(r, "remote-freer"));
        final Path file = dir.resolve("model.dat");
        int checkpoints = 0;
        int squeezes = 0;
        try (ArenaAllocator alloc = allocator(0);
            ArenaStatsExporter exporter = ArenaStatsExporter.builder().file(file).intervalMillis(0).maxCounters(512)
                .build())
        {
            final AllocatorStatsPublisher publisher = AllocatorStatsPublisher.of(alloc, "model");
            exporter.register(publisher);
            try (StatsFileReader reader = StatsFileReader.open(file))
            {
                for (int op = 0; op < 3_000; op++)
                {
                    if (op == 1_500 && squeezes == 0)
                    {
                        squeeze(alloc, m, pending);
                        squeezes++;
                        continue;
                    }
                    final int dice = rnd.nextInt(100);
                    if (dice < 45 && m.live.size() < 200)
                    {
                        final long size = 16 + rnd.nextInt(16 << rnd.nextInt(11));
                        final long a = alloc.allocate(size);
                        m.allocated(a, size, alloc.usableSize(a));
                    }
                    else if (dice < 75 && !m.live.isEmpty())
                    {
                        final long[] b = m.take(rnd.nextInt(m.live.size()));
                        alloc.free(b[0]);
                        m.freedLocally(b);
                    }
                    else if (dice < 88 && !m.live.isEmpty())
                    {
                        final int k = 1 + rnd.nextInt(Math.min(20, m.live.size()));
                        final long[] addresses = new long[k];
                        for (int i = 0; i < k; i++)
                        {
                            final long[] b = m.take(rnd.nextInt(m.live.size()));
                            addresses[i] = b[0];
                            pending.add(b);
                            m.sentRemote(b);
                        }
                        freer.submit(() ->
                        {
                            for (final long a : addresses)
                            {
                                alloc.free(a);
                            }
                        }).get(30, TimeUnit.SECONDS);
                    }
                    else if (dice < 98)
                    {
                        alloc.maintain(1_000_000);
                        m.drained(pending);
                        check(m, exporter, reader, publisher);
                        checkpoints++;
                    }
                    else
                    {
                        squeeze(alloc, m, pending);
                        squeezes++;
                    }
                }
                alloc.maintain(1_000_000);
                m.drained(pending);
                check(m, exporter, reader, publisher);
            }
            for (final long[] b : m.live)
            {
                alloc.free(b[0]);
            }
        }
        finally
        {
            freer.shutdownNow();
        }
        assertTrue(checkpoints >= 100, "checkpoints=" + checkpoints);
        assertTrue(m.sent >= 500 && m.limitFailures >= 2, "sent=" + m.sent + " limitFailures=" + m.limitFailures);
    }

    /** Starts with nothing pending; fills to the global limit with medium blocks, fails twice, frees them again. */
    private static void squeeze(final ArenaAllocator alloc, final Model m, final List<long[]> pending)
    {
        alloc.maintain(1_000_000);
        m.drained(pending);
        final List<long[]> big = new ArrayList<>();
        while (true)
        {
            try
            {
                final long a = alloc.allocate(SQUEEZE_BLOCK);
                m.allocated(a, SQUEEZE_BLOCK, alloc.usableSize(a));
                big.add(m.take(m.live.size() - 1));
            }
            catch (final AllocatorLimitExceededException ex)
            {
                m.limitFailures++;
                break;
            }
        }
        assertThrows(AllocatorLimitExceededException.class, () -> alloc.allocate(SQUEEZE_BLOCK));
        m.limitFailures++;
        for (final long[] b : big)
        {
            alloc.free(b[0]);
            m.freedLocally(b);
        }
    }

    private static void check(final Model m, final ArenaStatsExporter exporter, final StatsFileReader reader,
        final AllocatorStatsPublisher publisher)
    {
        exporter.publish();
        final List<AllocatorSnapshot> allocators = reader.readAllocators();
        assertEquals(1, allocators.size());
        final AllocatorSnapshot g = allocators.get(0);
        assertEquals("model", g.name());
        assertEquals(1, g.arenas().size(), () -> g.arenas().toString());
        final ArenaSnapshot a = g.arenas().get(0);
        final String where = "model: sent=" + m.sent + " allocations=" + m.allocations + "; file: " + g + " / " + a;

        // allocator figures
        assertEquals(m.freerRegistered ? 2 : 1, g.threadsRegistered(), where);
        assertEquals(1, g.arenasCreated(), where);
        assertEquals(1, g.arenasOpen(), where);
        assertEquals(0, g.arenasClosed(), where);
        assertEquals(m.sent, g.remoteFreesBatched(), where);
        assertEquals(m.batches, g.batchesPublished(), where);
        assertEquals(0, g.batchesOverflowed(), where);
        assertEquals(0, g.singleFrees(), where);
        assertEquals(0, g.remoteFreeErrors(), where);
        assertEquals(m.limitFailures, g.limitFailures(), where);
        assertEquals(0, g.limitWaits(), where);
        assertEquals(0, g.maintenanceRuns(), where);
        assertEquals(LIMIT, g.budgetLimitBytes(), where);
        assertEquals(a.committedBytes(), g.budgetCommittedBytes(), where);

        // the arena's figures
        assertEquals("model/arena-" + a.arenaId(), a.name());
        assertEquals(m.allocations, a.allocations(), where);
        assertEquals(m.localFrees + m.applied, a.frees(), where);
        assertEquals(m.localFrees, a.localFrees(), where);
        assertEquals(m.sent, a.remoteFreesQueued(), where);
        assertEquals(m.applied, a.remoteFreesApplied(), where);
        assertEquals(0, a.remoteFreesPending(), where);
        assertEquals(m.live.size(), a.liveBlocks(), where);
        assertEquals(m.liveBytes, a.liveBytes(), where);
        assertEquals(m.requested, a.requestedBytes(), where);
        assertEquals(m.liveHighWater, a.liveBytesHighWater(), where);
        assertEquals(0, a.limitFailures(), where + ": the arena has no limit of its own; the global budget refused");
        assertEquals(0, a.limitWaits(), where + ": no limitWaitNanos, nothing waits");

        // the total over the allocator's arenas, and the in-process snapshot, say the same
        assertEquals(m.allocations, g.arenaTotal().allocations(), where);
        final AllocatorSnapshot direct = publisher.snapshot();
        for (int f = 0; f < AllocatorFigures.COUNT; f++)
        {
            assertEquals(g.figure(f), direct.figure(f), AllocatorFigures.name(f));
        }
        assertEquals(a.liveBytes(), direct.arenas().get(0).figure(ArenaCounters.LIVE_BYTES));
    }

    /** Back-pressure: a wait that ends in a failure, and a wait that a remote free relieves. */
    @Test
    void limitWaitsAndFailuresAreExported(@TempDir final Path dir) throws Exception
    {
        // long enough that the late free below lands inside the second wait even after a slow moment on a CI core
        final long wait = TimeUnit.SECONDS.toNanos(1);
        final Path file = dir.resolve("waits.dat");
        try (ArenaAllocator alloc = allocator(wait);
            ArenaStatsExporter exporter = ArenaStatsExporter.builder().file(file).intervalMillis(0).maxCounters(512)
                .build())
        {
            exporter.register(AllocatorStatsPublisher.of(alloc, "waits"));
            final List<Long> blocks = new ArrayList<>();
            while (true)
            {
                try
                {
                    blocks.add(alloc.allocate(SQUEEZE_BLOCK)); // the last try waits 1 s, then fails
                }
                catch (final AllocatorLimitExceededException ex)
                {
                    assertTrue(ex.waitedNanos() >= wait, "waited=" + ex.waitedNanos());
                    break;
                }
            }
            final long victim = blocks.remove(0);
            final Thread late = new Thread(() ->
            {
                // free only once the owner waits (its second counted wait), not after a fixed sleep, which a slow
                // owner could outlast and then allocate without waiting
                final long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(30);
                while (alloc.counters().get(AllocatorCounters.LIMIT_WAITS) < 2 && System.nanoTime() < deadline)
                {
                    java.util.concurrent.locks.LockSupport.parkNanos(50_000);
                }
                alloc.free(victim); // a remote free: the waiting owner drains it and goes on
            }, "late-freer");
            late.start();
            blocks.add(alloc.allocate(SQUEEZE_BLOCK));
            late.join();

            exporter.publish();
            try (StatsFileReader reader = StatsFileReader.open(file))
            {
                final AllocatorSnapshot g = reader.readAllocators().get(0);
                assertEquals(2, g.limitWaits(), g::toString);
                assertEquals(1, g.limitFailures(), g::toString);
                assertEquals(1, g.remoteFreesBatched(), g::toString);
                assertEquals(1, g.batchesPublished(), g::toString);
                final ArenaSnapshot a = g.arenas().get(0);
                // per arena: both waits were for the owner's arena (the global budget refused them)
                assertEquals(2, a.limitWaits(), a::toString);
                assertEquals(0, a.limitFailures(), a::toString);
                assertEquals(2, g.arenaTotal().limitWaits(), g::toString);
                assertEquals(2, a.figure(ArenaFigures.idOf("limit-waits")), a::toString);
                assertTrue(ArenaStatsReporter.formatLine(a).endsWith("; limit waits 2, failures 0"),
                    ArenaStatsReporter.formatLine(a));
                assertEquals(1, a.remoteFreesApplied(), a::toString);
                assertEquals(blocks.size(), a.liveBlocks(), a::toString);
                assertEquals(blocks.size() + 1, a.allocations(), a::toString);
                assertTrue(g.toString().contains("; limit waits 2, failures 1;"), g::toString);
            }
            for (final long b : blocks)
            {
                alloc.free(b);
            }
        }
    }
}
