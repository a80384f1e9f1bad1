package io.arenaalloc.core;

import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.function.Executable;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

import static org.assertj.core.api.Assertions.assertThat;
import static org.junit.jupiter.api.Assertions.assertThrows;

/** Every kind of bad input gets a clear exception that names the value, and changes nothing. */
class BadInputTest
{
    private OffHeapArena arena;
    private long small;
    private long medium;
    private long huge;
    private long handle;

    @BeforeEach
    void setUp()
    {
        arena = OffHeapArena.create(ArenaConfig.builder().chunkSize(1 << 20).maxTotalBytes(8L << 20).build());
        small = arena.allocate(100);
        medium = arena.allocate(20_000);
        huge = arena.allocate(700_000);
        handle = arena.allocateHandle(64);
    }

    @AfterEach
    void tearDown()
    {
        arena.close();
    }

    private <T extends Throwable> T rejects(final Class<T> type, final Executable call, final String... messageParts)
    {
        final ArenaState before = new ArenaState(arena);
        final T ex = assertThrows(type, call);
        for (final String part : messageParts)
        {
            assertThat(ex.getMessage()).contains(part);
        }
        ArenaState.assertUnchanged(before, arena);
        return ex;
    }

    @ParameterizedTest
    @ValueSource(longs = {0, -1, -4096, Long.MIN_VALUE, OffHeapArena.MAX_REQUEST + 1, Long.MAX_VALUE})
    void shouldRejectBadSizes(final long size)
    {
        rejects(IllegalArgumentException.class, () -> arena.allocate(size), "size=" + size, "expected 1..");
        rejects(IllegalArgumentException.class, () -> arena.allocateZeroed(size), "size=" + size);
        rejects(IllegalArgumentException.class, () -> arena.allocateHandle(size), "size=" + size);
        rejects(IllegalArgumentException.class, () -> arena.allocateAligned(size, 64), "size=" + size);
        rejects(IllegalArgumentException.class, () -> arena.reallocate(small, size), "newSize=" + size);
        rejects(IllegalArgumentException.class, () -> arena.reallocate(handle, size), "newSize=" + size);
    }

    @ParameterizedTest
    @ValueSource(longs = {0, -8, 3, 24, 100, (1 << 20) * 2L})
    void shouldRejectBadAlignment(final long alignment)
    {
        rejects(IllegalArgumentException.class, () -> arena.allocateAligned(64, alignment), "alignment=" + alignment,
            "power of two");
    }

    @Test
    void shouldRejectForeignAddress()
    {
        final long foreign = org.agrona.UnsafeApi.allocateMemory(64);
        try
        {
            rejects(InvalidBlockException.class, () -> arena.free(foreign), "address=0x" + Long.toHexString(foreign),
                "not allocated by arena");
            rejects(InvalidBlockException.class, () -> arena.usableSize(foreign), "not allocated by arena");
            rejects(InvalidBlockException.class, () -> arena.reallocate(foreign, 10), "not allocated by arena");
        }
        finally
        {
            org.agrona.UnsafeApi.freeMemory(foreign);
        }
        rejects(InvalidBlockException.class, () -> arena.free(0), "address=0x0");
    }

    @Test
    void shouldRejectAddressInsideABlock()
    {
        rejects(InvalidBlockException.class, () -> arena.free(small + 16), "not the start of a live block");
        rejects(InvalidBlockException.class, () -> arena.free(medium + 256), "not the start of a live block");
        rejects(InvalidBlockException.class, () -> arena.free(medium + 8), "not the start of a live block");
        rejects(InvalidBlockException.class, () -> arena.free(huge + 4096), "not the start of a live block");
    }

    @Test
    void shouldRejectDoubleFree()
    {
        for (final long address : new long[] {small, medium, huge})
        {
            arena.free(address);
            rejects(InvalidBlockException.class, () -> arena.free(address), "address=0x" + Long.toHexString(address));
        }
    }

    @Test
    void shouldRejectStaleHandle()
    {
        arena.free(handle);
        rejects(StaleHandleException.class, () -> arena.free(handle), "stale", "double free");
        rejects(StaleHandleException.class, () -> arena.resolve(handle), "stale");
        rejects(StaleHandleException.class, () -> arena.pin(handle), "stale");
        rejects(StaleHandleException.class, () -> arena.sizeOf(handle), "stale");
        rejects(StaleHandleException.class, () -> arena.reallocate(handle, 10), "stale");
        final long reused = arena.allocateHandle(64); // same slot, next generation
        assertThat(HandleTable.indexOf(reused)).isEqualTo(HandleTable.indexOf(handle));
        rejects(StaleHandleException.class, () -> arena.free(handle), "generation " + HandleTable.generationOf(handle));
    }

    @Test
    void shouldRejectHandleOfAnotherArenaAndNeverIssuedSlot()
    {
        try (OffHeapArena other = OffHeapArena.create())
        {
            final long foreignHandle = other.allocateHandle(32);
            rejects(InvalidBlockException.class, () -> arena.free(foreignHandle), "belongs to arena " + other.arenaId());
        }
        final long neverIssued = HandleTable.handle(arena.arenaId(), 0, 1 << 20);
        rejects(StaleHandleException.class, () -> arena.resolve(neverIssued), "never issued");
    }

    @Test
    void shouldRejectFreeingMovableBlockByAddress()
    {
        final long address = arena.resolve(handle);
        rejects(InvalidBlockException.class, () -> arena.free(address), "movable", "handle");
    }

    @Test
    void shouldRejectFreeOrReallocateOfPinnedHandle()
    {
        arena.pin(handle);
        rejects(IllegalStateException.class, () -> arena.free(handle), "pinned (pins=1)");
        rejects(IllegalStateException.class, () -> arena.reallocate(handle, 1000), "pinned");
        arena.unpin(handle);
        rejects(IllegalStateException.class, () -> arena.unpin(handle), "not pinned");
    }

    @Test
    void shouldReportExhaustedLimitWithRequestLimitAndUsage()
    {
        final ArenaLimitExceededException ex =
            rejects(ArenaLimitExceededException.class, () -> arena.allocate(7L << 20), "size=" + (7L << 20),
                "maxTotalBytes=" + (8L << 20));
        assertThat(ex.requestedBytes()).isEqualTo(7L << 20);
        assertThat(ex.limitBytes()).isEqualTo(8L << 20);
        assertThat(ex.committedBytes()).isEqualTo(arena.committedBytes());
        // medium requests: fill up with chunks until the limit refuses one
        assertThrows(ArenaLimitExceededException.class, () ->
        {
            while (true)
            {
                arena.allocate(400_000);
            }
        });
        assertThrows(ArenaLimitExceededException.class, () ->
        {
            while (true)
            {
                arena.allocateHandle(400_000);
            }
        });
        arena.validate();
        final ArenaState before = new ArenaState(arena);
        assertThrows(ArenaLimitExceededException.class, () -> arena.allocate(400_000));
        assertThrows(ArenaLimitExceededException.class, () -> arena.allocateHandle(400_000));
        ArenaState.assertUnchanged(before, arena);
    }

    @Test
    void shouldRejectEveryCallAfterClose()
    {
        arena.close();
        final String closed = "is closed";
        assertThat(assertThrows(IllegalStateException.class, () -> arena.allocate(8)).getMessage()).contains(closed);
        assertThat(assertThrows(IllegalStateException.class, () -> arena.allocateHandle(8)).getMessage()).contains(closed);
        assertThat(assertThrows(IllegalStateException.class, () -> arena.free(small)).getMessage()).contains(closed);
        assertThat(assertThrows(IllegalStateException.class, () -> arena.reallocate(small, 9)).getMessage()).contains(closed);
        assertThat(assertThrows(IllegalStateException.class, () -> arena.usableSize(small)).getMessage()).contains(closed);
        assertThat(assertThrows(IllegalStateException.class, () -> arena.resolve(handle)).getMessage()).contains(closed);
        assertThat(assertThrows(IllegalStateException.class, () -> arena.sizeOf(handle)).getMessage()).contains(closed);
        assertThat(assertThrows(IllegalStateException.class, () -> arena.pin(handle)).getMessage()).contains(closed);
        assertThat(assertThrows(IllegalStateException.class, () -> arena.unpin(handle)).getMessage()).contains(closed);
        assertThat(assertThrows(IllegalStateException.class, () -> arena.pinned(handle)).getMessage()).contains(closed);
        assertThat(assertThrows(IllegalStateException.class, () -> arena.compact()).getMessage()).contains(closed);
        assertThat(assertThrows(IllegalStateException.class, () -> arena.reset()).getMessage()).contains(closed);
        assertThat(assertThrows(IllegalStateException.class, () -> arena.validate()).getMessage()).contains(closed);
        arena.close(); // idempotent
    }

    @Test
    void shouldRejectBadConfiguration()
    {
        assertThat(assertThrows(IllegalArgumentException.class, () -> ArenaConfig.builder().chunkSize(3 << 20))
            .getMessage()).contains("chunkSize=" + (3 << 20), "power of two");
        assertThat(assertThrows(IllegalArgumentException.class, () -> ArenaConfig.builder().chunkSize(4096))
            .getMessage()).contains("chunkSize=4096");
        assertThat(assertThrows(IllegalArgumentException.class, () -> ArenaConfig.builder().maxTotalBytes(0))
            .getMessage()).contains("maxTotalBytes=0");
        assertThat(assertThrows(IllegalArgumentException.class,
            () -> ArenaConfig.builder().chunkSize(1 << 20).maxTotalBytes(1000).build()).getMessage())
            .contains("maxTotalBytes=1000", "chunkSize");
        assertThat(assertThrows(IllegalArgumentException.class, () -> ArenaConfig.builder().spareChunks(-1))
            .getMessage()).contains("spareChunks=-1");
        assertThat(assertThrows(IllegalArgumentException.class, () -> ArenaConfig.builder().mediumFreeCacheBytes(-1))
            .getMessage()).contains("mediumFreeCacheBytes=-1", "expected 0.." + ArenaConfig.MAX_MEDIUM_FREE_CACHE_BYTES);
        assertThat(assertThrows(IllegalArgumentException.class,
            () -> ArenaConfig.builder().mediumFreeCacheBytes(ArenaConfig.MAX_MEDIUM_FREE_CACHE_BYTES + 1)).getMessage())
            .contains("mediumFreeCacheBytes=" + (ArenaConfig.MAX_MEDIUM_FREE_CACHE_BYTES + 1));
        assertThat(assertThrows(IllegalArgumentException.class, () -> ArenaConfig.builder().fragmentationThreshold(1.5))
            .getMessage()).contains("fragmentationThreshold=1.5");
        assertThat(assertThrows(IllegalArgumentException.class, () -> ArenaConfig.builder().arenaId(1 << 16))
            .getMessage()).contains("arenaId=" + (1 << 16));
        assertThat(assertThrows(IllegalArgumentException.class, () -> ArenaConfig.builder().memorySource(null))
            .getMessage()).contains("memorySource=null");
    }

    @Test
    void shouldRejectBadRegions()
    {
        rejects(IllegalArgumentException.class, () -> arena.addRegion(4097, 1 << 20), "address=0x1001", "aligned");
        rejects(IllegalArgumentException.class, () -> arena.addRegion(1 << 20, 1000), "length=1000");
        final long chunkBase = medium & -4096L;
        rejects(IllegalArgumentException.class, () -> arena.addRegion(chunkBase, 1 << 20), "overlaps");
        rejects(IllegalArgumentException.class, () -> arena.removeRegion(small), "expected the start address of a region");
    }

    @Test
    void shouldRejectTakenArenaId()
    {
        final int id = arena.arenaId();
        assertThat(assertThrows(IllegalStateException.class,
            () -> OffHeapArena.create(ArenaConfig.builder().arenaId(id).build())).getMessage())
            .contains("arenaId=" + id, "taken");
    }
}
