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
    void slabGranuleFieldsFillTheMetaInt()
    {
        assertEquals(SizeClasses.GRANULE / SizeClasses.QUANTUM, Chunk.START_BITS);
        assertEquals(Chunk.TAG_KIND_SHIFT, Chunk.START_BITS + Chunk.SLAB_OFFSET_BITS + Chunk.SLAB_CLASS_BITS);
        assertTrue(SizeClasses.CLASS_COUNT <= 1 << Chunk.SLAB_CLASS_BITS, "every class fits");
        assertTrue(SizeClasses.MAX_SLAB_BYTES / SizeClasses.GRANULE <= Chunk.SLAB_OFFSET_LIMIT, "every offset fits");
    }

    @Property(tries = 1000)
    void slabGranuleMetaKeepsClassOffsetAndStartBitsApart(
        @ForAll @IntRange(min = 0, max = SizeClasses.CLASS_COUNT - 1) final int cls,
        @ForAll @IntRange(min = 0, max = Chunk.SLAB_OFFSET_LIMIT - 1) final int offset,
        @ForAll @IntRange(min = 0, max = (1 << 16) - 1) final int starts,
        @ForAll @IntRange(min = 0, max = 3) final int granule)
    {
        final Chunk c = new Chunk(0, Chunk.KIND_REGULAR, 1L << 30, ChunkMap.MIN_CHUNK_BYTES, null);
        final int tag = Chunk.slabTag(cls, offset);
        c.setTag(granule, tag);
        final long granuleOffset = (long)granule << SizeClasses.GRANULE_SHIFT;
        for (int q = 0; q < Chunk.START_BITS; q++)
        {
            if ((starts & (1 << q)) != 0)
            {
                c.setStart(c.base + granuleOffset + (long)q * SizeClasses.QUANTUM);
            }
        }
        assertEquals(tag, c.tag(granule), "the tag survives the start bits");
        assertEquals(Chunk.TAG_SLAB, Chunk.tagKind(c.tag(granule)));
        assertEquals(cls, Chunk.slabClassOf(c.meta[granule]));
        assertEquals(offset, Chunk.slabOffsetOf(c.meta[granule]));
        assertEquals(Integer.bitCount(starts), c.startCount(granule));
        for (int q = 0; q < Chunk.START_BITS; q++)
        {
            final long address = c.base + granuleOffset + (long)q * SizeClasses.QUANTUM;
            assertEquals((starts & (1 << q)) != 0, c.isStart(address), "quantum " + q);
            assertTrue(!c.isStart(address + 8), "an address inside a quantum is never a start");
        }
        for (int g = 0; g < 4; g++)
        {
            if (g != granule)
            {
                assertEquals(0, c.meta[g], "granule " + g + " is untouched");
            }
        }
    }

    @Property(tries = 300)
    void everyGranuleOfASlabFindsItsSlab(
        @ForAll @IntRange(min = 1, max = Chunk.SLAB_OFFSET_LIMIT) final int granules,
        @ForAll @IntRange(min = 0, max = SizeClasses.CLASS_COUNT - 1) final int cls,
        @ForAll @IntRange(min = 0, max = Integer.MAX_VALUE) final int slabId,
        @ForAll @IntRange(min = 0, max = 64) final int head)
    {
        final Chunk c = new Chunk(0, Chunk.KIND_REGULAR, 1L << 30, ChunkMap.MIN_CHUNK_BYTES, null);
        c.tagSlab(head, granules, cls, slabId);
        for (int i = 0; i < granules; i++)
        {
            assertEquals(slabId, c.slabIdAt(head + i), "granule " + i);
            assertEquals(cls, Chunk.slabClassOf(c.tag(head + i)));
            assertEquals(i, Chunk.slabOffsetOf(c.tag(head + i)));
            assertEquals(0, c.startCount(head + i), "a new slab has no live block");
        }
        assertEquals(0, c.tag(head + granules), "the granule after the slab is untouched");
    }

    @Property(tries = 1000)
    void otherTagsKeepTheirWholeValueAndHaveNoStartBits(
        @ForAll @IntRange(min = 0, max = 5) final int kind,
        @ForAll @IntRange(min = 0, max = (1 << 29) - 1) final int value,
        @ForAll @IntRange(min = 0, max = 3) final int granule)
    {
        final int tag = kind == 4 ? 0 : (kind << Chunk.TAG_KIND_SHIFT) | value; // kind 4 is SLAB: tested above
        final Chunk c = new Chunk(0, Chunk.KIND_REGULAR, 1L << 30, ChunkMap.MIN_CHUNK_BYTES, null);
        c.setTag(granule, tag);
        assertEquals(tag, c.tag(granule));
        assertEquals(0, c.startCount(granule), "the value's low bits are not start bits");
        final long granuleOffset = (long)granule << SizeClasses.GRANULE_SHIFT;
        for (int q = 0; q < Chunk.START_BITS; q++)
        {
            assertTrue(!c.isStart(c.base + granuleOffset + (long)q * SizeClasses.QUANTUM), "quantum " + q);
        }
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
        // a pooled Chunk object comes back with another base: the lookup cache must not remember the old one
        final Chunk moved = chunks.get(0);
        final long oldBase = moved.base;
        moved.base = base + (1L << 30);
        map.register(moved);
        assertEquals(null, map.find(oldBase));
        assertEquals(moved, map.find(moved.base + 1));
    }
}
