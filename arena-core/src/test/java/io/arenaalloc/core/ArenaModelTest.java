package io.arenaalloc.core;

import net.jqwik.api.ForAll;
import net.jqwik.api.Property;
import org.agrona.UnsafeApi;

import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.SplittableRandom;
import java.util.TreeMap;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * Randomized model-based test: 10 tries x 100,000 operations = 1,000,000 operations (allocate, zeroed,
 * aligned, reallocate, free, handles, handle reallocation, pins, compaction steps) against a plain
 * reference model. Every block is filled with a pattern, checked on free, after reallocate and after
 * every compaction step; {@code validate()} runs between batches and after every compaction step.
 * Set {@code -Darena.model.ops=N} to run N operations per try.
 */
class ArenaModelTest
{
    private static final int OPS = Integer.getInteger("arena.model.ops", 100_000);
    private static final java.util.concurrent.atomic.AtomicLong MOVED = new java.util.concurrent.atomic.AtomicLong();
    private static final java.util.concurrent.atomic.AtomicLong OPERATIONS = new java.util.concurrent.atomic.AtomicLong();

    @net.jqwik.api.lifecycle.AfterContainer
    static void compactionReallyMovedBlocks()
    {
        System.out.println("model test: " + OPERATIONS.get() + " operations, " + MOVED.get() + " blocks moved");
        assertTrue(MOVED.get() > 0, "the model test never saw a block move");
        assertTrue(OPERATIONS.get() >= 10L * OPS, "ran " + OPERATIONS.get() + " operations");
    }

    /** Reference model of one block. */
    private static final class Block
    {
        final long id; // address or handle
        final long size;
        final long seed;
        final boolean zeroed;
        final long alignment;

        Block(final long id, final long size, final long seed, final boolean zeroed, final long alignment)
        {
            this.id = id;
            this.size = size;
            this.seed = seed;
            this.zeroed = zeroed;
            this.alignment = alignment;
        }
    }

    @Property(tries = 10)
    void arenaAgreesWithTheModel(@ForAll final long seed)
    {
        final SplittableRandom rnd = new SplittableRandom(seed);
        final NativeMemorySource source = new NativeMemorySource();
        final boolean debug = rnd.nextInt(4) == 0;
        final List<Block> live = new ArrayList<>();
        try (OffHeapArena arena = OffHeapArena.create(ArenaConfig.builder()
            .chunkSize(rnd.nextBoolean() ? 1 << 20 : 256 << 10)
            .spareChunks(rnd.nextInt(3))
            .debug(debug)
            .memorySource(source)
            .build()))
        {
            for (int op = 0; op < OPS; op++)
            {
                final int r = rnd.nextInt(100);
                if (r < 40 || live.isEmpty())
                {
                    live.add(allocate(arena, rnd));
                }
                else if (r < 80)
                {
                    final Block b = live.remove(rnd.nextInt(live.size()));
                    check(arena, b, b.size, "free op " + op);
                    arena.free(b.id);
                }
                else if (r < 92)
                {
                    final int i = rnd.nextInt(live.size());
                    final Block b = live.get(i);
                    check(arena, b, b.size, "before reallocate op " + op);
                    final long newSize = size(rnd);
                    final long id = arena.reallocate(b.id, newSize);
                    if (b.id < 0)
                    {
                        assertEquals(b.id, id, "a handle survives reallocation");
                    }
                    final Block nb = new Block(id, newSize, b.seed, b.zeroed && newSize <= b.size, 1);
                    check(arena, nb, Math.min(b.size, newSize), "after reallocate op " + op);
                    final long s2 = rnd.nextLong();
                    final Block filled = new Block(id, newSize, s2, false, 1);
                    Patterns.fill(address(arena, filled), newSize, s2);
                    live.set(i, filled);
                }
                else if (r < 99)
                {
                    final Block b = live.get(rnd.nextInt(live.size()));
                    if (b.id < 0)
                    {
                        final long pinned = arena.pin(b.id);
                        assertEquals(arena.resolve(b.id), pinned);
                        check(arena, b, b.size, "pinned op " + op);
                        arena.unpin(b.id);
                    }
                }
                else
                {
                    final long[] before = new long[live.size()];
                    for (int i = 0; i < before.length; i++)
                    {
                        before[i] = address(arena, live.get(i));
                    }
                    arena.compact();
                    arena.validate();
                    for (int i = 0; i < before.length; i++)
                    {
                        final Block b = live.get(i);
                        if (address(arena, b) != before[i])
                        {
                            check(arena, b, b.size, "after a move in compaction op " + op);
                        }
                    }
                }
                if (op % 2000 == 0)
                {
                    arena.validate();
                    checkModel(arena, live);
                }
            }
            arena.validate();
            checkModel(arena, live);
            for (final Block b : live)
            {
                check(arena, b, b.size, "end");
                arena.free(b.id);
            }
            arena.validate();
            assertEquals(0, arena.liveBlocks());
            assertEquals(0, arena.liveBytes());
            MOVED.addAndGet(arena.counters().getOpaque(ArenaCounters.BLOCKS_MOVED));
            OPERATIONS.addAndGet(OPS);
        }
        assertEquals(0, source.reservedBytes(), "every byte went back to the source");
    }

    private static long size(final SplittableRandom rnd)
    {
        final int r = rnd.nextInt(1000);
        if (r < 700)
        {
            return 1 + rnd.nextInt(256);
        }
        if (r < 900)
        {
            return 1 + rnd.nextInt(4096);
        }
        if (r < 995)
        {
            return 4097 + rnd.nextInt(60_000);
        }
        return 100_000 + rnd.nextInt(700_000);
    }

    private static Block allocate(final OffHeapArena arena, final SplittableRandom rnd)
    {
        final long size = size(rnd);
        final long seed = rnd.nextLong();
        final int kind = rnd.nextInt(10);
        final Block b;
        switch (kind)
        {
            case 0:
                b = new Block(arena.allocateZeroed(size), size, seed, true, 1);
                break;
            case 1:
                final long alignment = 1L << rnd.nextInt(17);
                b = new Block(arena.allocateAligned(size, alignment), size, seed, false, alignment);
                break;
            case 2:
            case 3:
            case 4:
                b = new Block(arena.allocateHandle(size), size, seed, false, 1);
                break;
            case 5:
                b = new Block(arena.allocateHandleZeroed(size), size, seed, true, 1);
                break;
            default:
                b = new Block(arena.allocate(size), size, seed, false, 1);
        }
        final long address = address(arena, b);
        assertEquals(0, address % Math.max(16, b.alignment), "alignment " + b.alignment);
        if (b.zeroed)
        {
            for (long i = 0; i < size; i++)
            {
                if (UnsafeApi.getByte(address + i) != 0)
                {
                    throw new AssertionError("zeroed block not zero at " + i);
                }
            }
        }
        Patterns.fill(address, size, seed);
        return b;
    }

    private static long address(final OffHeapArena arena, final Block b)
    {
        return b.id < 0 ? arena.resolve(b.id) : b.id;
    }

    private static void check(final OffHeapArena arena, final Block b, final long bytes, final String when)
    {
        Patterns.check(address(arena, b), bytes, b.seed, when);
        if (b.id < 0)
        {
            assertEquals(b.size, arena.sizeOf(b.id), when);
        }
        else
        {
            assertTrue(arena.usableSize(b.id) >= b.size, when);
        }
    }

    /** Same live set, and no two live blocks overlap. */
    private static void checkModel(final OffHeapArena arena, final List<Block> live)
    {
        assertEquals(live.size(), arena.liveBlocks());
        final TreeMap<Long, Long> spans = new TreeMap<>();
        for (final Block b : live)
        {
            final long a = address(arena, b);
            spans.put(a, a + b.size);
        }
        assertEquals(live.size(), spans.size(), "two live blocks share an address");
        long end = 0;
        for (final Map.Entry<Long, Long> e : spans.entrySet())
        {
            assertTrue(e.getKey() >= end, "live blocks overlap at 0x" + Long.toHexString(e.getKey()));
            end = e.getValue();
        }
    }
}
