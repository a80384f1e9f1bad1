package io.arenaalloc.threads;

import io.arenaalloc.core.ArenaCounters;
import io.arenaalloc.core.OffHeapArena;
import org.agrona.concurrent.AgentRunner;
import org.agrona.concurrent.IdleStrategy;
import org.agrona.concurrent.NoOpIdleStrategy;
import org.agrona.concurrent.SleepingIdleStrategy;
import org.junit.jupiter.api.Test;

import java.util.SplittableRandom;
import java.util.concurrent.TimeUnit;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** Maintenance in idle time: the IdleStrategy decorator, the Agent, maintain(budget). */
class MaintenanceTest
{
    /** Medium blocks: their frees coalesce into runs, which is what the compactor can fill. */
    private static final long SIZE = 6000;

    /** Allocates handles over several chunks and frees three quarters of them at random. */
    private static long[] fragment(final ArenaAllocator alloc, final int n, final long size)
    {
        final long[] handles = new long[n];
        for (int i = 0; i < n; i++)
        {
            handles[i] = alloc.allocateHandle(size);
            Patterns.fill(alloc.pin(handles[i]), size, i);
            alloc.unpin(handles[i]);
        }
        final SplittableRandom rnd = new SplittableRandom(3);
        for (int i = 0; i < n; i++)
        {
            if (rnd.nextInt(4) != 0)
            {
                alloc.free(handles[i]);
                handles[i] = 0;
            }
        }
        return handles;
    }

    private static long firstLive(final long[] handles)
    {
        for (final long h : handles)
        {
            if (h != 0)
            {
                return h;
            }
        }
        throw new AssertionError("no live handle");
    }

    private static void checkAndFree(final ArenaAllocator alloc, final long[] handles, final long size)
    {
        for (int i = 0; i < handles.length; i++)
        {
            if (handles[i] != 0)
            {
                Patterns.check(alloc.pin(handles[i]), size, i, "handle " + i + " after compaction");
                alloc.unpin(handles[i]);
                alloc.free(handles[i]);
            }
        }
    }

    @Test
    void shouldFlushTheFreeCacheOfAnArenaThatAllocatedNothingSinceTheLastMaintenance()
    {
        try (ArenaAllocator alloc = TestAllocators.create(Policy.PER_THREAD))
        {
            final long keep = alloc.allocate(64);
            final OffHeapArena arena = alloc.arenaOf(keep);
            final long[] blocks = new long[20_000];
            for (int i = 0; i < blocks.length; i++)
            {
                blocks[i] = alloc.allocate(16 + (i * 37) % 4000);
                Patterns.fill(blocks[i], 16, i);
            }
            final long committedFull = arena.committedBytes();
            for (int i = 0; i < blocks.length; i++)
            {
                Patterns.check(blocks[i], 16, i, "before free");
                alloc.free(blocks[i]);
            }
            assertTrue(arena.freeCacheBlocks() > 0, "frees of small blocks went to the free cache");
            alloc.maintain(TimeUnit.MILLISECONDS.toNanos(5)); // notes the allocation count: the owner may be busy
            assertTrue(arena.freeCacheBlocks() > 0, "a busy arena keeps its cache");
            alloc.maintain(TimeUnit.MILLISECONDS.toNanos(5)); // nothing allocated since: idle
            assertEquals(0, arena.freeCacheBlocks(), "an idle arena's cache went back to its slabs");
            assertTrue(arena.committedBytes() < committedFull, "empty slabs and chunks went back: " +
                arena.committedBytes() + " < " + committedFull);
            arena.validate();
            alloc.free(keep);
        }
    }

    @Test
    void shouldCompactTheOwnersArenaInItsIdleTimeOnly()
    {
        try (ArenaAllocator alloc = TestAllocators.create(Policy.PER_THREAD))
        {
            final long[] handles = fragment(alloc, 800, SIZE);
            final OffHeapArena arena = alloc.arenaOf(firstLive(handles));
            final long committedBefore = arena.committedBytes();
            assertTrue(arena.compactionWorthIt());
            final IdleStrategy idle = alloc.idleStrategy(NoOpIdleStrategy.INSTANCE);

            final long steps = arena.counters().getOpaque(ArenaCounters.COMPACT_STEPS);
            idle.idle(1); // the loop did work: no maintenance
            assertEquals(steps, arena.counters().getOpaque(ArenaCounters.COMPACT_STEPS));

            for (int i = 0; i < 10_000 && arena.compactionWorthIt(); i++)
            {
                idle.idle(0);
            }
            assertTrue(arena.counters().getOpaque(ArenaCounters.BYTES_MOVED) > 0, "idle time compacted");
            assertTrue(arena.committedBytes() < committedBefore,
                "emptied chunks went back: " + arena.committedBytes() + " < " + committedBefore);
            assertTrue(alloc.idleStrategy(NoOpIdleStrategy.INSTANCE).alias().startsWith("maintaining-"));
            checkAndFree(alloc, handles, SIZE);
        }
    }

    @Test
    void shouldMoveBlocksLargerThanTheDefaultStepBudgetWhenTheIdleTimeAllows()
    {
        try (ArenaAllocator alloc = TestAllocators.create(Policy.PER_THREAD))
        {
            final long big = 40_000; // above the default 16 KiB step byte budget, below chunkSize / 2
            final long[] handles = fragment(alloc, 60, big);
            final OffHeapArena arena = alloc.arenaOf(firstLive(handles));
            for (int i = 0; i < 200 && arena.counters().getOpaque(ArenaCounters.BYTES_MOVED) == 0; i++)
            {
                alloc.maintain(1_000_000);
            }
            assertTrue(arena.counters().getOpaque(ArenaCounters.BYTES_MOVED) >= big, "a 40 KB block moved in idle time");
            checkAndFree(alloc, handles, big);
        }
    }

    @Test
    void shouldKeepMaintainWithinItsBudget()
    {
        try (ArenaAllocator alloc = TestAllocators.create(Policy.PER_THREAD))
        {
            final long[] handles = fragment(alloc, 1600, SIZE);
            final long budget = TimeUnit.MICROSECONDS.toNanos(50);
            // the calling thread's CPU time, not the wall clock: a maintain() that ignored its budget would burn CPU,
            // while a descheduled one or a GC pause (many ms on a shared CI core) does not
            final java.lang.management.ThreadMXBean cpu = java.lang.management.ManagementFactory.getThreadMXBean();
            long worst = 0;
            long worstWall = 0;
            for (int i = 0; i < 50; i++)
            {
                final long wallStart = System.nanoTime();
                final long start = cpu.getCurrentThreadCpuTime();
                alloc.maintain(budget);
                worst = Math.max(worst, cpu.getCurrentThreadCpuTime() - start);
                worstWall = Math.max(worstWall, System.nanoTime() - wallStart);
            }
            // one compaction step may overrun by the move of one block; the first calls run interpreted
            assertTrue(worst < TimeUnit.MILLISECONDS.toNanos(20),
                "worst maintain(50us) took " + worst + " ns of CPU time (" + worstWall + " ns wall)");
            checkAndFree(alloc, handles, SIZE);
        }
    }

    @Test
    void shouldRunAsAnAgentOnAnAgentRunnerAndMaintainStripes() throws Exception
    {
        try (ArenaAllocator alloc = TestAllocators.builder(Policy.STRIPED).stripes(1).build())
        {
            final long[] handles = fragment(alloc, 800, SIZE);
            final OffHeapArena stripe = alloc.stripesForTest()[0].arena;
            final long committedBefore = alloc.committedBytes();
            try (AgentRunner runner = new AgentRunner(new SleepingIdleStrategy(TimeUnit.MILLISECONDS.toNanos(1)),
                Throwable::printStackTrace, null, alloc.maintenanceAgent()))
            {
                AgentRunner.startOnThread(runner);
                final long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(10);
                while (stripe.counters().getOpaque(ArenaCounters.BYTES_MOVED) == 0 && System.nanoTime() < deadline)
                {
                    Thread.sleep(1);
                }
            }
            assertTrue(stripe.counters().getOpaque(ArenaCounters.BYTES_MOVED) > 0, "the agent compacted the stripe");
            assertTrue(alloc.committedBytes() <= committedBefore);
            checkAndFree(alloc, handles, SIZE);
        }
    }

    @Test
    void shouldMaintainStripesAtMostOncePerPeriodFromDutyCyclesButOnEveryExplicitCall()
    {
        try (ArenaAllocator alloc = TestAllocators.builder(Policy.STRIPED).stripes(2)
            .maintenancePeriodNanos(TimeUnit.HOURS.toNanos(1)).build())
        {
            final int[] maintained = new int[1];
            alloc.setMaintenanceListener((arena, now) -> maintained[0]++);
            final MaintenanceAgent agent = alloc.maintenanceAgent();
            final IdleStrategy idle = alloc.idleStrategy(new NoOpIdleStrategy());
            agent.doWork();
            assertEquals(2, maintained[0], "the first duty cycle is due: both stripes");
            for (int i = 0; i < 100; i++)
            {
                agent.doWork();
                idle.idle(0);
            }
            assertEquals(2, maintained[0], "a busy loop of agent and idle strategy within the period: no stripe lock taken");
            alloc.maintain();
            alloc.maintain(0);
            assertEquals(6, maintained[0], "every explicit maintain() maintains both stripes");
        }
    }

    @Test
    void shouldReturnZeroWorkWhenThereIsNothingToDo()
    {
        try (ArenaAllocator alloc = TestAllocators.create(Policy.PER_THREAD))
        {
            alloc.free(alloc.allocate(64)); // into this thread's cache
            alloc.maintain(0); // the cache was busy since the last look: kept
            assertEquals(1, alloc.maintain(0), "idle since the last look: its block goes home");
            assertEquals(0, alloc.maintain(1_000_000));
            assertEquals(0, alloc.maintenanceAgent().doWork() > 0 ? 1 : 0);
        }
    }
}
