package io.arenaalloc.core;

import org.junit.jupiter.api.Test;

import static org.junit.jupiter.api.Assertions.assertEquals;

/**
 * {@link SlabMap#blockClassAt}'s block-start test (by the class's reciprocal) against its definition: for a slab of
 * each class tagged at the chunk's first granule, every byte offset from the slab's first byte to past its granules
 * answers the class exactly when {@code rel < blocksPerSlab * classSize} and {@code rel % classSize == 0}, else -1.
 */
class SlabMapTest
{
    @Test
    void shouldFindABlockStartAtExactlyTheBlockStartsOfEverySlab()
    {
        for (int cls = 0; cls < SizeClasses.CLASS_COUNT; cls++)
        {
            final int size = SizeClasses.classSize(cls);
            final int granules = SizeClasses.slabGranules(cls);
            final SlabMap map = new SlabMap(granules + 4);
            map.tag(0, granules, cls);
            final long base = 1L << 32; // any base: offsets are taken from it
            final long blockBytes = (long)SizeClasses.blocksPerSlab(cls) * size;
            int starts = 0;
            for (long rel = 0; rel < (long)(granules + 4) << SizeClasses.GRANULE_SHIFT; rel++)
            {
                final int expected = rel < blockBytes && rel % size == 0 ? cls : -1;
                final int actual = map.blockClassAt(base, base + rel);
                if (expected != actual)
                {
                    assertEquals(expected, actual, "class " + cls + " (" + size + " B), rel=" + rel);
                }
                starts += actual == cls ? 1 : 0;
            }
            assertEquals(SizeClasses.blocksPerSlab(cls), starts, "block starts in a slab of class " + cls);
            assertEquals(-1, map.blockClassAt(base, base - 16), "below the chunk, class " + cls);
        }
    }
}
