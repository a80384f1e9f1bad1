package io.arenaalloc.core;

import org.agrona.UnsafeApi;
import org.agrona.concurrent.UnsafeBuffer;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Set;

import static org.assertj.core.api.Assertions.assertThat;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

class FixedBlocksTest
{
    private static OffHeapArena arena(final NativeMemorySource source)
    {
        return OffHeapArena.create(ArenaConfig.builder().chunkSize(1 << 20).memorySource(source).spareChunks(0).build());
    }

    @ParameterizedTest
    @ValueSource(longs = {1, 15, 16, 17, 100, 128, 129, 1000, 4096, 4097, 10_000, 65_536, 300_000, 524_288, 524_289, 3_000_000})
    void shouldAllocateUsableAlignedDisjointBlocksOfEverySizeRange(final long size)
    {
        final NativeMemorySource source = new NativeMemorySource();
        try (OffHeapArena arena = arena(source))
        {
            final List<long[]> blocks = new ArrayList<>();
            for (int i = 0; i < 20; i++)
            {
                final long a = arena.allocate(size);
                assertThat(a % 16).isZero();
                assertThat(arena.usableSize(a)).isGreaterThanOrEqualTo(size);
                Patterns.fill(a, size, i);
                blocks.add(new long[] {a, i});
            }
            blocks.sort((x, y) -> Long.compare(x[0], y[0]));
            for (int i = 1; i < blocks.size(); i++)
            {
                assertThat(blocks.get(i)[0]).isGreaterThanOrEqualTo(blocks.get(i - 1)[0] + size);
            }
            arena.validate();
            for (final long[] b : blocks)
            {
                Patterns.check(b[0], size, b[1], "size " + size);
                arena.free(b[0]);
            }
            arena.validate();
            assertEquals(0, arena.liveBytes());
        }
        assertEquals(0, source.reservedBytes());
    }

    @Test
    void shouldRoundSmallSizesToTheirClass()
    {
        try (OffHeapArena arena = OffHeapArena.create())
        {
            assertEquals(16, arena.usableSize(arena.allocate(1)));
            assertEquals(160, arena.usableSize(arena.allocate(129)));
            assertEquals(4096, arena.usableSize(arena.allocate(4000)));
            assertEquals(4352, arena.usableSize(arena.allocate(4097)));
        }
    }

    @Test
    void shouldZeroAllocateZeroed()
    {
        try (OffHeapArena arena = OffHeapArena.create())
        {
            final long dirty = arena.allocate(5000);
            UnsafeApi.setMemory(dirty, 5000, (byte)0x7F);
            arena.free(dirty);
            final long a = arena.allocateZeroed(5000);
            for (int i = 0; i < 5000; i++)
            {
                assertEquals(0, UnsafeApi.getByte(a + i), "byte " + i);
            }
        }
    }

    @ParameterizedTest
    @ValueSource(longs = {1, 8, 16, 32, 64, 128, 256, 512, 4096, 65_536, 1 << 20})
    void shouldAlignToEveryPowerOfTwoUpToChunkSize(final long alignment)
    {
        final NativeMemorySource source = new NativeMemorySource();
        try (OffHeapArena arena = arena(source))
        {
            for (final long size : new long[] {1, 48, 100, 3000, 5000, 100_000, 700_000})
            {
                final long a = arena.allocateAligned(size, alignment);
                assertThat(a % alignment).as("size %d alignment %d", size, alignment).isZero();
                assertThat(arena.usableSize(a)).isGreaterThanOrEqualTo(size);
                Patterns.fill(a, size, size);
            }
            arena.validate();
        }
        assertEquals(0, source.reservedBytes());
    }

    @Test
    void shouldReallocateInPlaceWhenTheNextRunIsFree()
    {
        try (OffHeapArena arena = OffHeapArena.create(ArenaConfig.builder().chunkSize(1 << 20).build()))
        {
            final long a = arena.allocate(10_000);
            Patterns.fill(a, 10_000, 7);
            assertEquals(a, arena.reallocate(a, 40_000), "grows into the free run after it");
            Patterns.check(a, 10_000, 7, "after grow");
            assertEquals(a, arena.reallocate(a, 8_000), "shrinks in place");
            Patterns.check(a, 8_000, 7, "after shrink");
            final long blocker = arena.allocate(8_192); // takes the run right after a (best fit)
            assertThat(blocker).isEqualTo(a + 8_192);
            final long moved = arena.reallocate(a, 100_000);
            assertThat(moved).isNotEqualTo(a);
            Patterns.check(moved, 8_000, 7, "after move");
            arena.validate();
            final long small = arena.allocate(100);
            assertEquals(small, arena.reallocate(small, 110), "same class stays");
            arena.validate();
        }
    }

    @Test
    void shouldViewBlockThroughFlyweightWithoutCopy()
    {
        try (OffHeapArena arena = OffHeapArena.create())
        {
            final UnsafeBuffer view = new UnsafeBuffer(0, 0);
            final long a = arena.allocate(100);
            arena.wrap(view, a).putLong(8, 0xCAFEBABEL);
            assertEquals(0xCAFEBABEL, UnsafeApi.getLong(a + 8));
            assertEquals(arena.usableSize(a), view.capacity());
            assertThrows(InvalidBlockException.class, () -> arena.wrap(view, a + 16));
        }
    }

    @Test
    void shouldResetEveryBlockAtOnceAndKeepSpares()
    {
        final NativeMemorySource source = new NativeMemorySource();
        try (OffHeapArena arena = OffHeapArena.create(
            ArenaConfig.builder().chunkSize(1 << 20).memorySource(source).spareChunks(2).build()))
        {
            final List<Long> blocks = new ArrayList<>();
            for (int i = 0; i < 10_000; i++)
            {
                blocks.add(arena.allocate(1 + (i * 37) % 3000));
            }
            final long handle = arena.allocateHandle(100);
            arena.allocate(900_000);
            assertThat(arena.committedBytes()).isGreaterThan(3L << 20);
            arena.reset();
            arena.validate();
            assertEquals(0, arena.liveBytes());
            assertEquals(0, arena.liveBlocks());
            assertEquals(2L << 20, arena.committedBytes(), "two spare chunks kept");
            assertThrows(StaleHandleException.class, () -> arena.resolve(handle));
            assertThrows(InvalidBlockException.class, () -> arena.free(blocks.get(0)));
            final Set<Long> again = new HashSet<>();
            for (int i = 0; i < 1000; i++)
            {
                again.add(arena.allocate(64));
            }
            assertEquals(1000, again.size());
            arena.validate();
        }
        assertEquals(0, source.reservedBytes());
    }

    @Test
    void shouldServeAndGiveBackCallerOwnedRegion()
    {
        final long length = 3L << 20;
        final long raw = UnsafeApi.allocateMemory(length + 256);
        final long region = (raw + 255) & -256L;
        try (OffHeapArena arena = OffHeapArena.create(ArenaConfig.builder().chunkSize(1 << 20).build()))
        {
            arena.addRegion(region, length);
            final long a = arena.allocate(1000);
            final long b = arena.allocate(200_000);
            assertThat(a).isBetween(region, region + length);
            assertThat(b).isBetween(region, region + length);
            assertEquals(0, arena.committedBytes(), "a region is not committed from a source");
            arena.validate();
            final IllegalStateException busy = assertThrows(IllegalStateException.class, () -> arena.removeRegion(region));
            assertThat(busy.getMessage()).contains("live blocks");
            arena.free(a);
            arena.free(b);
            arena.removeRegion(region);
            arena.validate();
            final long c = arena.allocate(1000);
            assertThat(c < region || c >= region + length).isTrue();
        }
        finally
        {
            UnsafeApi.freeMemory(raw);
        }
    }

    @Test
    void shouldReportWalkAndOverhead()
    {
        try (OffHeapArena arena = OffHeapArena.create(ArenaConfig.builder().chunkSize(1 << 20).build()))
        {
            final long a = arena.allocate(5000);
            final long h = arena.allocateHandle(100);
            final long[] seen = new long[4];
            arena.walk((address, size, inUse, movable) ->
            {
                if (address == a)
                {
                    seen[0] = size;
                    seen[1] = inUse ? 1 : 0;
                }
                if (address == arena.resolve(h))
                {
                    seen[2] = movable ? 1 : 0;
                }
                seen[3] += size;
            });
            assertEquals(5120, seen[0]);
            assertEquals(1, seen[1]);
            assertEquals(1, seen[2]);
            final OffHeapArena.Overhead o = arena.overhead();
            assertEquals(16, o.smallestBlock);
            assertEquals(512 << 10, o.largestRegularBlock);
            assertEquals(0, o.headerBytesPerBlock);
            assertThat(o.metadataBytesPerChunk).isBetween(40_000L, 60_000L);
            assertEquals(2, o.chunks);
        }
    }

    @Test
    void shouldReturnEveryByteToTheSourceOnClose()
    {
        final NativeMemorySource source = new NativeMemorySource();
        final OffHeapArena arena = arena(source);
        for (int i = 0; i < 5000; i++)
        {
            arena.allocate(1 + i * 97 % 70_000);
            arena.allocateHandle(1 + i * 31 % 9000);
        }
        arena.allocate(5 << 20);
        assertThat(source.reservedBytes()).isEqualTo(arena.committedBytes()).isGreaterThan(10L << 20);
        arena.close();
        assertEquals(0, source.reservedBytes());
        assertEquals(0, arena.committedBytes());
    }

    @Test
    void shouldKeepNoMoreThanTheSpareChunksOnceEveryBlockIsFreed()
    {
        final NativeMemorySource source = new NativeMemorySource();
        try (OffHeapArena arena = OffHeapArena.create(
            ArenaConfig.builder().chunkSize(256 << 10).memorySource(source).spareChunks(1).build()))
        {
            final long[] blocks = new long[40_000];
            final long[] handles = new long[20_000];
            for (int i = 0; i < blocks.length; i++)
            {
                blocks[i] = arena.allocate(1 + (i * 53) % 4096); // every size class, many chunks
            }
            for (int i = 0; i < handles.length; i++)
            {
                handles[i] = arena.allocateHandle(1 + (i * 31) % 4096);
            }
            assertThat(arena.committedBytes()).isGreaterThan(40L << 20);
            for (final long b : blocks)
            {
                arena.free(b);
            }
            for (final long h : handles)
            {
                arena.free(h);
            }
            arena.validate();
            assertEquals(0, arena.liveBytes());
            assertThat(arena.committedBytes()).as("one spare per heap at most").isLessThanOrEqualTo(2L * (256 << 10));
        }
        assertEquals(0, source.reservedBytes());
    }

    @Test
    void shouldKeepTheSlabsOfTheLastChunkWhenABurstEnds()
    {
        try (OffHeapArena arena = OffHeapArena.create(ArenaConfig.builder().chunkSize(1 << 20).spareChunks(1).build()))
        {
            final long a = arena.allocate(64);
            arena.free(a);
            final long[] slabBlocks = {0};
            arena.walk((address, size, inUse, movable) -> slabBlocks[0] += size == 64 ? 1 : 0);
            assertThat(slabBlocks[0]).as("the empty slab stays while its chunk stands in for the spare").isGreaterThan(0);
            assertEquals(a, arena.allocate(64), "the next burst reuses the same slab");
            arena.validate();
        }
    }
    @ParameterizedTest
    @ValueSource(longs = {0, 16 << 10, 4 << 20})
    void shouldHoldNoMoreFreedMediumBytesThanTheMediumFreeCacheLimit(final long limit)
    {
        final NativeMemorySource source = new NativeMemorySource();
        try (OffHeapArena arena = OffHeapArena.create(ArenaConfig.builder().chunkSize(1 << 20).memorySource(source)
            .spareChunks(0).mediumFreeCacheBytes(limit).build()))
        {
            final long keep = arena.allocate(100);
            final long[] blocks = new long[12];
            for (int i = 0; i < blocks.length; i++)
            {
                blocks[i] = arena.allocate(8192); // 32 granules: the same length, one stack of the medium cache
                Patterns.fill(blocks[i], 8192, i);
            }
            for (final long b : blocks)
            {
                arena.free(b);
            }
            final long cachedBytes = arena.freeCacheBlocks() * 8192L;
            assertThat(cachedBytes).as("cached medium bytes").isLessThanOrEqualTo(limit);
            if (limit >= 8192L * Heap.MEDIUM_CACHE_SLOTS)
            {
                assertEquals(blocks.length, arena.freeCacheBlocks(), "all fit under the limit and in one stack");
                assertEquals(blocks[blocks.length - 1], arena.allocate(8000), "LIFO: the newest freed block of the length");
            }
            arena.validate();
            arena.free(keep);
        }
        assertEquals(0, source.reservedBytes(), "closing returns every byte");
    }

    @Test
    void shouldHandTheMostRecentlyFreedBlockOfAClassToTheNextAllocation()
    {
        final NativeMemorySource source = new NativeMemorySource();
        try (OffHeapArena arena = arena(source))
        {
            final long keep = arena.allocate(100);
            final long a = arena.allocate(48);
            final long b = arena.allocate(48);
            arena.free(a);
            arena.free(b);
            assertEquals(2, arena.freeCacheBlocks());
            arena.validate();
            assertEquals(b, arena.allocate(40), "LIFO: the newest free block of the class comes back first");
            assertEquals(a, arena.allocate(33));
            assertEquals(0, arena.freeCacheBlocks());
            arena.validate();
            arena.free(keep);
        }
        assertEquals(0, source.reservedBytes());
    }

    @Test
    void shouldTreatABlockInTheFreeCacheAsFreed()
    {
        final NativeMemorySource source = new NativeMemorySource();
        try (OffHeapArena arena = arena(source))
        {
            final long keep = arena.allocate(100);
            final long a = arena.allocate(64);
            arena.free(a);
            final InvalidBlockException twice = assertThrows(InvalidBlockException.class, () -> arena.free(a));
            assertThat(twice.getMessage()).contains("address=0x" + Long.toHexString(a));
            assertThrows(InvalidBlockException.class, () -> arena.usableSize(a));
            assertThrows(InvalidBlockException.class, () -> arena.reallocate(a, 10));
            final List<long[]> seen = new ArrayList<>();
            arena.walk((address, size, inUse, movable) -> seen.add(new long[] {address, inUse ? 1 : 0}));
            assertThat(seen.stream().filter(e -> e[0] == a).findFirst().orElseThrow()[1]).as("a cached block walks as free")
                .isZero();
            assertThat(seen.stream().filter(e -> e[0] == keep).findFirst().orElseThrow()[1]).isEqualTo(1);
            assertEquals(1, arena.freeCacheBlocks());
            arena.validate();
            arena.free(keep);
            assertEquals(0, arena.freeCacheBlocks(), "an empty arena flushes its free cache");
        }
        assertEquals(0, source.reservedBytes());
    }

    @Test
    void shouldGiveChunksBackWhenTheFreeCacheIsFlushed()
    {
        final NativeMemorySource source = new NativeMemorySource();
        try (OffHeapArena arena = arena(source))
        {
            final long keep = arena.allocate(5000); // a medium block: the arena never empties
            final long[] blocks = new long[30_000];
            for (int i = 0; i < blocks.length; i++)
            {
                blocks[i] = arena.allocate(16 + (i * 37) % 4000);
                Patterns.fill(blocks[i], 16, i);
            }
            final long full = arena.committedBytes();
            for (int i = 0; i < blocks.length; i++)
            {
                Patterns.check(blocks[i], 16, i, "before free");
                arena.free(blocks[i]);
            }
            arena.validate();
            assertThat(arena.freeCacheBlocks()).isBetween(1, SizeClasses.CLASS_COUNT * Heap.CACHE_SLOTS);
            final int cached = arena.freeCacheBlocks();
            assertEquals(cached, arena.flushFreeCache());
            assertEquals(0, arena.freeCacheBlocks());
            arena.validate();
            assertThat(arena.committedBytes()).as("everything but the chunk of the one medium block went back")
                .isLessThanOrEqualTo(1 << 20).isLessThan(full);
            arena.free(keep);
        }
        assertEquals(0, source.reservedBytes());
    }
    @Test
    void shouldCacheFreedMediumBlocksByLengthAndRejectTheirDoubleFree()
    {
        final NativeMemorySource source = new NativeMemorySource();
        try (OffHeapArena arena = arena(source))
        {
            final long keep = arena.allocate(64);
            final long a = arena.allocate(10_000); // 40 granules
            final long b = arena.allocate(20_000); // 79 granules
            Patterns.fill(a, 10_000, 1);
            arena.free(a);
            arena.free(b);
            assertEquals(2, arena.freeCacheBlocks());
            arena.validate();
            assertThrows(InvalidBlockException.class, () -> arena.free(a));
            assertThrows(InvalidBlockException.class, () -> arena.usableSize(b));
            arena.validate();
            final long c = arena.allocate(9_000); // 36 granules: no cached block of 36 .. 38, from the free runs
            assertThat(c).isNotEqualTo(a).isNotEqualTo(b);
            final long e = arena.allocate(74 * 256); // 74 granules: 74 .. 78 may serve, b (79) is one too long
            assertThat(e).isNotEqualTo(a).isNotEqualTo(b);
            assertEquals(a, arena.allocate(9_900), "39 granules: the cached block of 40, at most 1/16 longer");
            assertEquals(10_240, arena.usableSize(a), "its usable size is its own");
            Patterns.fill(a, 10_240, 2);
            assertEquals(1, arena.freeCacheBlocks());
            assertEquals(1, arena.flushFreeCache());
            arena.validate();
            final long d = arena.allocate(20_000);
            assertEquals(b, d, "after the flush, the best fit is the run the block left");
            Patterns.check(a, 10_240, 2, "the 40-granule block taken for 39");
            arena.free(a);
            assertEquals(a, arena.allocate(10_100), "the cached block of exactly 40 granules");
            arena.free(a);
            arena.free(c);
            arena.free(d);
            arena.free(e);
            arena.free(keep);
            assertEquals(0, arena.freeCacheBlocks());
            arena.validate();
        }
        assertEquals(0, source.reservedBytes());
    }
}
