package io.arenaalloc.core;

import org.junit.jupiter.api.Test;

import java.util.SplittableRandom;

import static org.junit.jupiter.api.Assertions.assertEquals;

class RandomOpsSmokeTest
{
    @Test
    void shouldSurviveRandomFixedAndHandleOperationsWithPatternsIntact()
    {
        final NativeMemorySource source = new NativeMemorySource();
        final SplittableRandom rnd = new SplittableRandom(42);
        final int slots = 2000;
        final long[] ids = new long[slots];
        final long[] sizes = new long[slots];
        final long[] seeds = new long[slots];
        try (OffHeapArena arena = OffHeapArena.create(ArenaConfig.builder().chunkSize(1 << 20).memorySource(source).build()))
        {
            for (int op = 0; op < 200_000; op++)
            {
                final int i = rnd.nextInt(slots);
                if (ids[i] != 0)
                {
                    final long addr = ids[i] < 0 ? arena.resolve(ids[i]) : ids[i];
                    Patterns.check(addr, sizes[i], seeds[i], "before free/realloc op " + op);
                    if (rnd.nextInt(4) == 0)
                    {
                        final long newSize = randomSize(rnd);
                        if (Boolean.getBoolean("vv") && op > 150) System.out.println("op " + op + " realloc " + ids[i] + " size " + sizes[i] + " -> " + newSize + " usable " + (ids[i] > 0 ? arena.usableSize(ids[i]) : -1));
                        ids[i] = arena.reallocate(ids[i], newSize);
                        final long a2 = ids[i] < 0 ? arena.resolve(ids[i]) : ids[i];
                        Patterns.check(a2, Math.min(sizes[i], newSize), seeds[i], "after realloc op " + op);
                        sizes[i] = newSize;
                        seeds[i] = rnd.nextLong();
                        Patterns.fill(a2, newSize, seeds[i]);
                        continue;
                    }
                    arena.free(ids[i]);
                    ids[i] = 0;
                }
                else
                {
                    final long size = randomSize(rnd);
                    final int kind = rnd.nextInt(4);
                    ids[i] = kind == 0 ? arena.allocateHandle(size) :
                        kind == 1 ? arena.allocateAligned(size, 1L << rnd.nextInt(13)) : arena.allocate(size);
                    sizes[i] = size;
                    seeds[i] = rnd.nextLong();
                    Patterns.fill(ids[i] < 0 ? arena.resolve(ids[i]) : ids[i], size, seeds[i]);
                }
                if (op % 5000 == 0 || Boolean.getBoolean("vv"))
                {
                    arena.validate();
                    arena.compact(1_000_000, Long.MAX_VALUE);
                    arena.validate();
                }
            }
            for (int i = 0; i < slots; i++)
            {
                if (ids[i] != 0)
                {
                    Patterns.check(ids[i] < 0 ? arena.resolve(ids[i]) : ids[i], sizes[i], seeds[i], "final");
                    arena.free(ids[i]);
                }
            }
            arena.validate();
            assertEquals(0, arena.liveBlocks());
        }
        assertEquals(0, source.reservedBytes());
    }

    static long randomSize(final SplittableRandom rnd)
    {
        final int r = rnd.nextInt(100);
        if (r < 60)
        {
            return 1 + rnd.nextInt(512);
        }
        if (r < 90)
        {
            return 1 + rnd.nextInt(64 << 10);
        }
        if (r < 98)
        {
            return 1 + rnd.nextInt(400 << 10);
        }
        return (512 << 10) + rnd.nextInt(1 << 20);
    }
}
