package io.arenaalloc.core;

import java.util.ArrayList;
import java.util.List;
import java.util.SplittableRandom;

import net.jqwik.api.ForAll;
import net.jqwik.api.Property;
import net.jqwik.api.constraints.LongRange;
import org.junit.jupiter.api.Test;

import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertSame;

/**
 * {@link ChunkMap} against a plain model (a list of live chunks, searched one by one), with chunks laid out as a
 * memory source lays them out: adjacent, not aligned to the 128 KiB window, so neighbours share a window and
 * the lookup caches (step 1 and both ways of step 2) are exercised by lookups that alternate between them.
 */
class ChunkMapTest
{
    private static final long BASE = 0x7f00_0000_0000L;

    @Test
    void shouldFindBothChunksOfASharedWindowWhicheverWasLookedUpLast()
    {
        final ChunkMap map = new ChunkMap(64);
        final long size = 4L << 20;
        final long base0 = BASE + 0x1000; // not window-aligned: its last window is the next chunk's first
        final Chunk a = hugeChunk(0, base0, size);
        final Chunk b = hugeChunk(1, base0 + size, size);
        map.register(a);
        map.register(b);
        final long shared = (base0 + size) & -(1L << ChunkMap.WINDOW_SHIFT);
        for (int i = 0; i < 100; i++)
        {
            assertSame(a, map.find(base0 + size - 16 - i * 16L), "end of a, in the shared window");
            assertSame(b, map.find(base0 + size + i * 16L), "start of b, in the shared window");
            assertSame(a, map.find(shared + 8 * i), "below b's base in the shared window");
        }
        assertNull(map.find(base0 - 1), "below every chunk");
        assertNull(map.find(base0 + 2 * size), "above every chunk");
    }

    @Test
    void shouldForgetAnUnregisteredChunkInEveryCache()
    {
        final ChunkMap map = new ChunkMap(64);
        final long size = 1L << 20;
        final Chunk a = hugeChunk(0, BASE + 0x3000, size);
        final Chunk b = hugeChunk(1, BASE + 0x3000 + size, size);
        map.register(a);
        map.register(b);
        for (int i = 0; i < 4; i++)
        {
            assertSame(a, map.find(a.base + size - 8));
            assertSame(b, map.find(b.base));
        }
        map.unregister(a);
        assertNull(map.find(a.base + size - 8), "a's addresses are foreign once it is gone");
        assertNull(map.find(a.base));
        assertSame(b, map.find(b.base));
        // the pooled Chunk object comes back elsewhere: its old range stays foreign, its new one is found
        a.reuse(0, BASE + (64L << 20), size, null);
        map.register(a);
        assertNull(map.find(BASE + 0x3000 + size - 8));
        assertSame(a, map.find(BASE + (64L << 20) + 5));
        assertSame(b, map.find(b.base + size - 1));
    }

    @Property(tries = 60)
    void shouldAgreeWithAPlainSearchOverRandomLayoutsAndLookups(@ForAll @LongRange(min = 0, max = Long.MAX_VALUE) final long seed)
    {
        final SplittableRandom random = new SplittableRandom(seed);
        final ChunkMap map = new ChunkMap(16);
        final List<Chunk> live = new ArrayList<>();
        final List<Chunk> pool = new ArrayList<>();
        int nextId = 0;
        long top = BASE + random.nextLong(1L << 20) * 4096;
        for (int step = 0; step < 3000; step++)
        {
            final int op = random.nextInt(100);
            if (op < 4 || live.isEmpty())
            {
                // a new chunk: adjacent to the last one or after a gap, any multiple of 4 KiB from 128 KiB
                final long size = ChunkMap.MIN_CHUNK_BYTES + random.nextInt(64) * 4096L;
                top += random.nextBoolean() ? 0 : random.nextInt(1 << 12) * 4096L;
                final Chunk c = pool.isEmpty() ? hugeChunk(nextId++, top, size) :
                    pool.remove(pool.size() - 1).reuse(nextId++, top, size, null);
                top += size;
                map.register(c);
                live.add(c);
            }
            else if (op < 6)
            {
                final Chunk c = live.remove(random.nextInt(live.size()));
                map.unregister(c);
                pool.add(c);
            }
            else
            {
                // mostly inside live chunks, near their ends half of the time; sometimes anywhere
                final long address;
                if (op < 90)
                {
                    final Chunk c = live.get(random.nextInt(live.size()));
                    final long span = random.nextBoolean() ? c.size : Math.min(c.size, 256);
                    final long offset = random.nextLong(span);
                    address = random.nextBoolean() ? c.base + offset : c.base + c.size - 1 - offset;
                }
                else
                {
                    address = BASE + random.nextLong(top - BASE + (1L << 20));
                }
                assertSame(modelFind(live, address), map.find(address), "address 0x" + Long.toHexString(address));
            }
        }
    }

    private static Chunk modelFind(final List<Chunk> live, final long address)
    {
        for (final Chunk c : live)
        {
            if (address >= c.base && address < c.base + c.size)
            {
                return c;
            }
        }
        return null;
    }

    private static Chunk hugeChunk(final int id, final long base, final long size)
    {
        return new Chunk(id, Chunk.KIND_HUGE, base, size, null);
    }
}
