package io.arenaalloc.core;

import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

import java.nio.file.Path;

import static org.assertj.core.api.Assertions.assertThat;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

/** One contract, every memory source: aligned regions, patterns intact, every byte returned. */
class MemorySourceTest
{
    @TempDir
    Path dir;

    private MemorySource source(final String kind)
    {
        switch (kind)
        {
            case "native": return new NativeMemorySource();
            case "direct": return new DirectBufferMemorySource();
            default: return new MappedFileMemorySource(dir.resolve("arena.map"), true);
        }
    }

    @ParameterizedTest
    @ValueSource(strings = {"native", "direct", "mapped"})
    void shouldReserveAlignedRegionsAndCountThem(final String kind)
    {
        final MemorySource source = source(kind);
        final long a = source.reserve(1 << 20);
        final long b = source.reserve(4096);
        assertThat(a % MemorySource.ALIGNMENT).isZero();
        assertThat(b % MemorySource.ALIGNMENT).isZero();
        assertEquals((1 << 20) + 4096, source.reservedBytes());
        Patterns.fill(a, 1 << 20, 1);
        Patterns.check(a, 1 << 20, 1, kind);
        source.release(a, 1 << 20);
        source.release(b, 4096);
        assertEquals(0, source.reservedBytes());
        assertThrows(IllegalArgumentException.class, () -> source.reserve(1000));
        assertThrows(IllegalArgumentException.class, () -> source.release(a, 1 << 20));
        if (source instanceof AutoCloseable)
        {
            ((MappedFileMemorySource)source).close();
        }
    }

    @ParameterizedTest
    @ValueSource(strings = {"native", "direct", "mapped"})
    void shouldBackAnArenaAndGetEveryByteBackOnClose(final String kind)
    {
        final MemorySource source = source(kind);
        try (OffHeapArena arena = OffHeapArena.create(ArenaConfig.builder().chunkSize(1 << 20).memorySource(source).build()))
        {
            final long[] blocks = new long[3000];
            for (int i = 0; i < blocks.length; i++)
            {
                blocks[i] = arena.allocate(1 + (i * 131) % 20_000);
                Patterns.fill(blocks[i], 1 + (i * 131) % 20_000, i);
            }
            final long huge = arena.allocate(3 << 20);
            Patterns.fill(huge, 3 << 20, -1);
            arena.validate();
            for (int i = 0; i < blocks.length; i++)
            {
                Patterns.check(blocks[i], 1 + (i * 131) % 20_000, i, kind);
            }
            Patterns.check(huge, 3 << 20, -1, kind);
            assertEquals(arena.committedBytes(), source.reservedBytes());
        }
        assertEquals(0, source.reservedBytes());
        if (source instanceof MappedFileMemorySource)
        {
            ((MappedFileMemorySource)source).close();
        }
    }
}
