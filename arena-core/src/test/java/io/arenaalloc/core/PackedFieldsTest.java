package io.arenaalloc.core;

import net.jqwik.api.ForAll;
import net.jqwik.api.Property;
import net.jqwik.api.constraints.IntRange;
import org.junit.jupiter.api.Test;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** Every packed word round-trips every field, at the edges of each width. */
class PackedFieldsTest
{
    @Property(tries = 2000)
    void handleWordRoundTrips(
        @ForAll @IntRange(min = 0, max = 32767) final int arenaId,
        @ForAll @IntRange(min = 0, max = (1 << 20) - 1) final int generation,
        @ForAll @IntRange(min = 0, max = (1 << 28) - 1) final int index)
    {
        final long h = HandleTable.handle(arenaId, generation, index);
        assertTrue(HandleTable.isHandle(h), "handles are negative");
        assertEquals(arenaId, HandleTable.arenaIdOf(h));
        assertEquals(generation, HandleTable.generationOf(h));
        assertEquals(index, HandleTable.indexOf(h));
    }

    @Property(tries = 2000)
    void stateWordRoundTrips(
        @ForAll @IntRange(min = 0, max = 32767) final int arenaId,
        @ForAll @IntRange(min = 0, max = (1 << 20) - 1) final int generation,
        @ForAll final boolean live, @ForAll final boolean moving,
        @ForAll @IntRange(min = 0, max = (1 << 20) - 1) final int pins)
    {
        final long s = HandleTable.state(arenaId, generation, live, moving, pins);
        assertEquals(arenaId, HandleTable.stateArenaId(s));
        assertEquals(generation, HandleTable.stateGeneration(s));
        assertEquals(live, HandleTable.stateLive(s));
        assertEquals(moving, HandleTable.stateMoving(s));
        assertEquals(pins, HandleTable.statePins(s));
    }

    @Property(tries = 2000)
    void handleIsCurrentExactlyWhenItsSlotIsLiveInTheSameArenaAndGeneration(
        @ForAll @IntRange(min = 0, max = 32767) final int arenaId,
        @ForAll @IntRange(min = 0, max = (1 << 20) - 1) final int generation,
        @ForAll @IntRange(min = 0, max = (1 << 28) - 1) final int index,
        @ForAll @IntRange(min = 0, max = 32767) final int stateArenaId,
        @ForAll @IntRange(min = 0, max = (1 << 20) - 1) final int stateGeneration,
        @ForAll final boolean live, @ForAll final boolean moving,
        @ForAll @IntRange(min = 0, max = (1 << 20) - 1) final int pins)
    {
        final long h = HandleTable.handle(arenaId, generation, index);
        final long s = HandleTable.state(stateArenaId, stateGeneration, live, moving, pins);
        final boolean expected = live && arenaId == stateArenaId && generation == stateGeneration;
        assertEquals(expected, ((s ^ h) & HandleTable.CURRENT_MASK) == 0);
        final long same = HandleTable.state(arenaId, generation, true, moving, pins);
        assertTrue(((same ^ h) & HandleTable.CURRENT_MASK) == 0, "MOVING and pins never change currency");
        assertTrue((((same | HandleTable.COPYING) ^ h) & HandleTable.CURRENT_MASK) == 0, "nor does COPYING");
        assertEquals(pins, HandleTable.statePins(same | HandleTable.COPYING), "COPYING is outside the pin count");
        assertTrue(HandleTable.stateCopying(same | HandleTable.COPYING) && !HandleTable.stateCopying(same));
    }

    @Test
    void widthsAddUpToOneWord()
    {
        assertEquals(63, HandleTable.ARENA_ID_BITS + HandleTable.GENERATION_BITS + HandleTable.INDEX_BITS);
        assertEquals(HandleTable.MAX_GENERATION, (1 << HandleTable.GENERATION_BITS) - 1);
        assertEquals(ArenaConfig.MAX_ARENA_ID, (1 << HandleTable.ARENA_ID_BITS) - 1);
    }

    @Property(tries = 1000)
    void chunkTagRoundTrips(@ForAll @IntRange(min = 1, max = 4) final int kind,
        @ForAll @IntRange(min = 0, max = (1 << 29) - 1) final int value)
    {
        final int tag = (kind << Chunk.TAG_KIND_SHIFT) | value;
        assertEquals(kind << Chunk.TAG_KIND_SHIFT, Chunk.tagKind(tag));
        assertEquals(value, Chunk.tagValue(tag));
    }

    @Test
    void sizeClassLookupIsTheSmallestClassThatFits()
    {
        for (int size = 1; size <= SizeClasses.SMALL_MAX; size++)
        {
            final int cls = SizeClasses.classOf(size);
            assertTrue(SizeClasses.classSize(cls) >= size, "size " + size);
            assertTrue(cls == 0 || SizeClasses.classSize(cls - 1) < size, "size " + size);
        }
    }

    @Test
    void blockIndexIsExactForEveryOffsetOfEverySlab()
    {
        for (int cls = 0; cls < SizeClasses.CLASS_COUNT; cls++)
        {
            final int cs = SizeClasses.classSize(cls);
            for (long offset = 0; offset < SizeClasses.slabBytes(cls); offset++)
            {
                assertEquals(offset / cs, SizeClasses.blockIndex(cls, offset), "class " + cs + " offset " + offset);
            }
            assertTrue(SizeClasses.blocksPerSlab(cls) <= SizeClasses.MAX_SLAB_WORDS * 64);
        }
    }

    @Test
    void binLowerBoundIsTheFirstLengthOfEachBin()
    {
        for (int n = 1; n < (1 << 22); n += n < 4096 ? 1 : 97)
        {
            final int bin = FreeRunIndex.binOf(n);
            assertTrue(FreeRunIndex.binLowerBound(bin) <= n, "n=" + n);
            assertTrue(FreeRunIndex.binLowerBound(bin + 1) > n, "n=" + n);
        }
    }

    @Test
    void chunkMapFindsEveryChunkAndNothingElse()
    {
        final ChunkMap map = new ChunkMap(16);
        final java.util.List<Chunk> chunks = new java.util.ArrayList<>();
        long base = 1L << 30;
        final java.util.SplittableRandom rnd = new java.util.SplittableRandom(3);
        for (int id = 0; id < 300; id++)
        {
            final long size = ChunkMap.MIN_CHUNK_BYTES + 4096L * rnd.nextInt(600);
            final Chunk c = new Chunk(id, Chunk.KIND_HUGE, base, size, null);
            map.register(c);
            chunks.add(c);
            base += size + (rnd.nextBoolean() ? 0 : 4096L * rnd.nextInt(100));
        }
        for (final Chunk c : chunks)
        {
            assertEquals(c, map.find(c.base));
            assertEquals(c, map.find(c.base + c.size - 1));
            assertEquals(c, map.find(c.base + c.size / 2));
            final Chunk after = map.find(c.base + c.size);
            assertTrue(after == null || after.base == c.base + c.size);
            final Chunk before = map.find(c.base - 1);
            assertTrue(before == null || before.base + before.size == c.base);
        }
        for (final Chunk c : chunks)
        {
            if (c.id % 2 == 0)
            {
                map.unregister(c);
            }
        }
        for (final Chunk c : chunks)
        {
            assertEquals(c.id % 2 == 0 ? null : c, map.find(c.base + c.size / 3));
        }
    }
}
