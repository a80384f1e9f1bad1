package io.arenaalloc.core;

import org.agrona.UnsafeApi;
import org.junit.jupiter.api.Test;

import java.util.ArrayList;
import java.util.List;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** {@link FreeMark} kept by an arena with {@code freeMarks}, and the {@link SlabMap} other threads read. */
class FreeMarkTest
{
    private static final class Chunks implements ChunkListener
    {
        final List<long[]> chunks = new ArrayList<>();

        public void onChunkAdded(final OffHeapArena arena, final long base, final long size)
        {
            chunks.add(new long[] {base, size});
        }

        public void onChunkRemoved(final OffHeapArena arena, final long base, final long size)
        {
            chunks.removeIf(c -> c[0] == base);
        }

        long baseOf(final long address)
        {
            for (final long[] c : chunks)
            {
                if (address >= c[0] && address < c[0] + c[1])
                {
                    return c[0];
                }
            }
            throw new AssertionError("no chunk holds 0x" + Long.toHexString(address));
        }
    }

    private static OffHeapArena arena(final boolean freeMarks, final boolean debug, final ChunkListener listener)
    {
        return OffHeapArena.create(ArenaConfig.builder().chunkSize(1 << 20).spareChunks(0).freeMarks(freeMarks)
            .debug(debug).chunkListener(listener).build());
    }

    @Test
    void shouldNeverMarkAUserSpaceAddressWithZero()
    {
        for (long a = 16; a < (1L << 48); a = a * 3 + 16)
        {
            assertNotEquals(0, FreeMark.of(a), "mark of 0x" + Long.toHexString(a));
            assertNotEquals(FreeMark.of(a), FreeMark.of(a + 16), "marks of neighbouring blocks differ");
        }
    }

    @Test
    void shouldMarkEveryBlockOfANewSlabAndClearTheMarkOfAnAllocatedOne()
    {
        try (OffHeapArena arena = arena(true, false, ChunkListener.NONE))
        {
            final long keeper = arena.allocate(4000); // the arena never empties (it would give its chunk back)
            final long a = arena.allocate(48);
            assertEquals(0, UnsafeApi.getLong(a), "an allocated block's first word is cleared");
            assertFalse(FreeMark.isMarked(a));
            for (int i = 1; i < 16; i++)
            {
                assertTrue(FreeMark.isMarked(a + 48L * i), "block " + i + " of the new slab is not live: marked");
            }
            UnsafeApi.putLong(a, 42);
            arena.free(a);
            assertTrue(FreeMark.isMarked(a), "a freed block carries its mark");
            final long again = arena.allocate(48);
            assertEquals(a, again, "the free cache hands the block out again");
            assertEquals(0, UnsafeApi.getLong(again), "and its mark is cleared");
            arena.free(again);
            arena.free(keeper);
            arena.validate();
        }
    }

    @Test
    void shouldRejectAFreeOfABlockThatCarriesItsMarkAndChangeNothing()
    {
        try (OffHeapArena arena = arena(true, false, ChunkListener.NONE))
        {
            final long a = arena.allocate(100);
            final long b = arena.allocate(100);
            FreeMark.mark(a); // what a thread cache does when it keeps a block of this arena
            final long live = arena.liveBlocks();
            final InvalidBlockException ex = assertThrows(InvalidBlockException.class, () -> arena.free(a));
            assertTrue(ex.getMessage().contains("address=0x" + Long.toHexString(a)), ex.getMessage());
            assertTrue(ex.getMessage().contains("free mark") && ex.getMessage().contains("double free"), ex.getMessage());
            assertEquals(live, arena.liveBlocks(), "nothing changed");
            arena.validate(); // still live in the arena's metadata
            final InvalidBlockException size = assertThrows(InvalidBlockException.class, () -> arena.usableSize(a),
                "free for its user: no size for it");
            assertTrue(size.getMessage().contains("usableSize") && size.getMessage().contains("free mark"), size.getMessage());
            assertThrows(InvalidBlockException.class, () -> arena.reallocate(a, 50), "nor a reallocation in place");
            assertThrows(InvalidBlockException.class, () -> arena.reallocate(a, 5000), "nor a move");
            assertEquals(live, arena.liveBlocks(), "nothing changed");
            FreeMark.clear(a); // the cache gives it back
            arena.free(a);
            arena.free(b);
            assertEquals(0, arena.liveBlocks());
        }
    }

    @Test
    void shouldFreeAMarkedBlockAThreadCacheGivesBackAndRejectAnyOther()
    {
        try (OffHeapArena arena = arena(true, false, ChunkListener.NONE))
        {
            final long keeper = arena.allocate(4000);
            final long a = arena.allocate(32);
            final long b = arena.allocate(32);
            final InvalidBlockException unmarked = assertThrows(InvalidBlockException.class, () -> arena.freeMarked(a));
            assertTrue(unmarked.getMessage().contains("carries no free mark"), unmarked.getMessage());
            assertEquals(3, arena.liveBlocks(), "nothing changed");
            FreeMark.mark(a); // a thread cache kept it and now sends it home, still marked
            arena.freeMarked(a);
            assertEquals(2, arena.liveBlocks());
            assertTrue(FreeMark.isMarked(a), "free now, so still marked");
            assertThrows(InvalidBlockException.class, () -> arena.freeMarked(a), "given back twice");
            assertThrows(InvalidBlockException.class, () -> arena.free(a), "freed after it came home");
            assertThrows(InvalidBlockException.class, () -> arena.freeMarked(keeper), "a live block without its mark");
            FreeMark.mark(b + 16); // a mark word inside a live block: not a block start
            final InvalidBlockException inside = assertThrows(InvalidBlockException.class, () -> arena.freeMarked(b + 16));
            assertTrue(inside.getMessage().contains("0x" + Long.toHexString(b + 16)), inside.getMessage());
            assertThrows(InvalidBlockException.class, () -> arena.freeMarked(keeper + (1L << 40)), "a foreign address");
            assertEquals(2, arena.liveBlocks(), "nothing changed");
            final long again = arena.allocate(32);
            assertEquals(a, again, "the freed block is reused first");
            assertFalse(FreeMark.isMarked(again), "allocation clears the mark");
            assertThrows(InvalidBlockException.class, () -> arena.freeMarked(again), "live again, unmarked");
            arena.free(again);
            assertEquals(2, arena.liveBlocks());
            arena.free(b);
            arena.free(keeper);
            arena.validate();
        }
        try (OffHeapArena arena = arena(false, false, ChunkListener.NONE))
        {
            final long a = arena.allocate(32);
            assertThrows(IllegalStateException.class, () -> arena.freeMarked(a), "an arena without free marks");
            arena.free(a);
        }
    }

    @Test
    void shouldLeaveBlocksAloneWithoutFreeMarksAndInDebugMode()
    {
        try (OffHeapArena arena = arena(false, false, ChunkListener.NONE))
        {
            final long keeper = arena.allocate(4000);
            final long a = arena.allocate(64);
            UnsafeApi.putLong(a, 7);
            arena.free(a);
            assertEquals(7, UnsafeApi.getLong(a), "no mark: the freed block's bytes are untouched");
            FreeMark.mark(a);
            assertEquals(a, arena.allocate(64));
            assertTrue(FreeMark.isMarked(a), "no mark is cleared either");
            arena.free(a);
            arena.free(keeper);
        }
        try (OffHeapArena arena = arena(true, true, ChunkListener.NONE))
        {
            // the keeper holds the chunk: with no spare chunks an emptied chunk goes back to the
            // memory source at once, and reading it then reads memory that is no longer ours
            final long keeper = arena.allocate(4000);
            final long a = arena.allocate(64);
            arena.free(a);
            assertEquals(OffHeapArena.POISON_BYTE, UnsafeApi.getByte(a), "debug mode poisons the whole block");
            assertFalse(FreeMark.isMarked(a));
            arena.free(keeper);
        }
    }

    @Test
    void shouldMapEveryBlockStartOfAFixedSlabToItsClassAndNothingElse()
    {
        final Chunks chunks = new Chunks();
        try (OffHeapArena arena = arena(true, false, chunks))
        {
            final long[] blocks = new long[SizeClasses.CLASS_COUNT];
            for (int cls = 0; cls < SizeClasses.CLASS_COUNT; cls++)
            {
                blocks[cls] = arena.allocate(SizeClasses.classSize(cls));
            }
            final long medium = arena.allocate(10_000);
            final long handle = arena.allocateHandle(64);
            for (int cls = 0; cls < SizeClasses.CLASS_COUNT; cls++)
            {
                final int size = SizeClasses.classSize(cls);
                final long a = blocks[cls];
                final long base = chunks.baseOf(a);
                final SlabMap map = arena.slabMapOf(base);
                assertEquals(cls, map.blockClassAt(base, a), "class " + cls);
                assertEquals(cls, map.blockClassAt(base, a + size), "the next block of the slab, class " + cls);
                assertEquals(-1, map.blockClassAt(base, a + 8), "inside a block of class " + cls);
                if (size > 16)
                {
                    assertEquals(-1, map.blockClassAt(base, a + 16), "16 bytes into a block of class " + cls);
                }
                final long last = a + (long)(SizeClasses.blocksPerSlab(cls) - 1) * size;
                assertEquals(cls, map.blockClassAt(base, last), "last block of class " + cls);
                if (SizeClasses.slabBytes(cls) - (long)SizeClasses.blocksPerSlab(cls) * size >= SizeClasses.QUANTUM)
                {
                    assertEquals(-1, map.blockClassAt(base, last + size), "the tail of the slab of class " + cls);
                }
            }
            long base = chunks.baseOf(medium);
            SlabMap map = arena.slabMapOf(base);
            assertEquals(-1, map.blockClassAt(base, medium), "a medium block");
            assertEquals(-1, map.blockClassAt(base, base - 16), "below the chunk");
            assertEquals(-1, map.blockClassAt(base, base + (1 << 20)), "past the chunk");
            assertEquals(null, arena.slabMapOf(base + 4096), "no chunk starts there");
            final long moving = arena.resolve(handle);
            base = chunks.baseOf(moving);
            map = arena.slabMapOf(base);
            assertEquals(-1, map.blockClassAt(base, moving), "a movable slab's block");
            for (final long a : blocks)
            {
                arena.free(a);
            }
            arena.free(medium);
            arena.free(handle);
            arena.validate();
        }
    }

    @Test
    void shouldRoundTripEverySlabMapEntryField()
    {
        final SlabMap map = new SlabMap(Chunk.SLAB_OFFSET_LIMIT);
        for (int cls = 0; cls < SizeClasses.CLASS_COUNT; cls++)
        {
            map.tag(0, Chunk.SLAB_OFFSET_LIMIT, cls);
            for (int g = 0; g < Chunk.SLAB_OFFSET_LIMIT; g++)
            {
                final int e = map.entry(g);
                assertEquals(cls, (e >>> SlabMap.CLASS_SHIFT) - 1, "class of entry " + g);
                assertEquals(g, e & SlabMap.OFFSET_MASK, "offset of entry " + g);
            }
            map.untag(0, Chunk.SLAB_OFFSET_LIMIT);
            assertEquals(0, map.entry(Chunk.SLAB_OFFSET_LIMIT - 1));
        }
    }
}
