package io.arenaalloc.core;

import org.agrona.UnsafeApi;
import org.junit.jupiter.api.Test;

import static org.assertj.core.api.Assertions.assertThat;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

class DebugModeTest
{
    private static OffHeapArena debugArena()
    {
        return OffHeapArena.create(ArenaConfig.builder().chunkSize(1 << 20).debug(true).debugValidateEveryLog2(4).build());
    }

    @Test
    void shouldDetectAWritePastTheEndOnFreeAndLeaveTheBlockLive()
    {
        try (OffHeapArena arena = debugArena())
        {
            for (final long size : new long[] {10, 3000, 50_000, 700_000})
            {
                final long a = arena.allocate(size);
                final long usable = arena.usableSize(a);
                UnsafeApi.putByte(a + usable, (byte)1); // one byte too far
                final ArenaCorruptionException ex = assertThrows(ArenaCorruptionException.class, () -> arena.free(a));
                assertThat(ex.getMessage()).contains("guard byte 0", "0x" + Long.toHexString(a), "past the end");
                final ArenaCorruptionException v = assertThrows(ArenaCorruptionException.class, arena::validate);
                assertThat(v.getMessage()).contains("guard");
                UnsafeApi.putByte(a + usable, OffHeapArena.GUARD_BYTE); // repair, then it frees fine
                arena.free(a);
                arena.validate();
            }
        }
    }

    @Test
    void shouldDetectAWritePastTheEndOnReallocateAndLeaveTheArenaAsItWas()
    {
        try (OffHeapArena arena = debugArena())
        {
            final long a = arena.allocate(100);
            final long h = arena.allocateHandle(100);
            final long usable = arena.usableSize(a);
            UnsafeApi.putByte(a + usable, (byte)1);
            final long handleUsable = arena.usableSizeOfHandleForTest(h) - OffHeapArena.GUARD_BYTES;
            UnsafeApi.putByte(arena.resolve(h) + handleUsable, (byte)1);
            final ArenaState before = new ArenaState(arena);
            final long address = arena.resolve(h);
            assertThat(assertThrows(ArenaCorruptionException.class, () -> arena.reallocate(a, 5000)).getMessage())
                .contains("guard byte 0", "0x" + Long.toHexString(a));
            assertThat(assertThrows(ArenaCorruptionException.class, () -> arena.reallocate(h, 5000)).getMessage())
                .contains("guard byte 0", "0x" + Long.toHexString(address));
            UnsafeApi.putByte(a + usable, OffHeapArena.GUARD_BYTE); // repair before the snapshot's validate
            UnsafeApi.putByte(address + handleUsable, OffHeapArena.GUARD_BYTE);
            ArenaState.assertUnchanged(before, arena);
            assertEquals(address, arena.resolve(h));
            arena.free(arena.reallocate(a, 5000));
            arena.free(arena.reallocate(h, 5000));
        }
    }

    @Test
    void shouldPoisonFreedMemory()
    {
        try (OffHeapArena arena = debugArena())
        {
            final long keep = arena.allocate(100); // keeps the slab alive
            final long a = arena.allocate(100);
            UnsafeApi.setMemory(a, 100, (byte)0x11);
            arena.free(a);
            for (int i = 0; i < 100; i++)
            {
                assertEquals(OffHeapArena.POISON_BYTE, UnsafeApi.getByte(a + i));
            }
            arena.free(keep);
        }
    }

    @Test
    void shouldValidatePeriodicallyAndCatchCorruption()
    {
        try (OffHeapArena arena = debugArena())
        {
            final long a = arena.allocate(40);
            UnsafeApi.putByte(a + arena.usableSize(a) + 3, (byte)0);
            // some operation within the next 16 runs a full validation and finds the broken guard
            assertThrows(ArenaCorruptionException.class, () ->
            {
                for (int i = 0; i < 40; i++)
                {
                    arena.free(arena.allocate(8));
                }
            });
        }
    }

    @Test
    void shouldNameTheBrokenInvariantInValidate()
    {
        try (OffHeapArena arena = OffHeapArena.create(ArenaConfig.builder().chunkSize(1 << 20).build()))
        {
            final long a = arena.allocate(10_000);
            final Chunk chunk = arena.chunkMap().find(a);
            final int g = chunk.granuleOf(a);
            chunk.used[g >>> 6] &= ~(1L << g); // corrupt: clear one bit of a used block
            final ArenaCorruptionException ex = assertThrows(ArenaCorruptionException.class, arena::validate);
            assertThat(ex.getMessage()).contains("block [" + g + ", " + (g + 40) + ")", "clear bits");
            chunk.used[g >>> 6] |= 1L << g;
            arena.validate();
            chunk.liveBytes += 1;
            assertThat(assertThrows(ArenaCorruptionException.class, arena::validate).getMessage()).contains("liveBytes");
            chunk.liveBytes -= 1;
            arena.validate();
        }
    }
}
