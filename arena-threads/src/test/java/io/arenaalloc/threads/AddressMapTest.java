package io.arenaalloc.threads;

import net.jqwik.api.Arbitraries;
import net.jqwik.api.Arbitrary;
import net.jqwik.api.ForAll;
import net.jqwik.api.Property;
import net.jqwik.api.Provide;
import org.junit.jupiter.api.Test;

import java.util.ArrayList;
import java.util.List;
import java.util.SplittableRandom;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicReference;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertThrows;

class AddressMapTest
{
    private static final long PAGE = 4096;
    private static final long WINDOW = 1L << AddressMap.WINDOW_SHIFT;

    /** A model: chunks laid end to end from a random base, sizes from 128 KiB, random gaps; then probes. */
    @Property(tries = 300)
    void shouldFindExactlyTheChunkContainingEveryProbedAddress(@ForAll("layouts") final long[] layout)
    {
        final AddressMap map = new AddressMap();
        final List<AddressMap.Descriptor> chunks = new ArrayList<>();
        long base = (layout[0] & ((1L << 46) - 1)) & -PAGE;
        base = Math.max(base, PAGE);
        for (int i = 1; i + 1 < layout.length; i += 2)
        {
            final long size = WINDOW + (Math.floorMod(layout[i], 64) * PAGE);
            final long gap = Math.floorMod(layout[i + 1], 3) == 0 ? 0 : Math.floorMod(layout[i + 1], 40) * PAGE;
            base += gap;
            final AddressMap.Descriptor d = new AddressMap.Descriptor(null, base, size);
            map.add(d);
            chunks.add(d);
            base += size;
        }
        final SplittableRandom rnd = new SplittableRandom(layout[0]);
        final long lo = chunks.get(0).base - WINDOW;
        final long hi = base + WINDOW;
        for (int probe = 0; probe < 500; probe++)
        {
            final long a = lo + (long)(rnd.nextDouble() * (hi - lo));
            assertSame(model(chunks, a), map.find(a), "address 0x" + Long.toHexString(a));
        }
        for (final AddressMap.Descriptor d : chunks)
        {
            assertSame(d, map.find(d.base));
            assertSame(d, map.find(d.end - 1));
        }
        // remove every other chunk: the others stay found, the removed ones are gone
        for (int i = 0; i < chunks.size(); i += 2)
        {
            final AddressMap.Descriptor d = chunks.get(i);
            assertEquals(true, map.remove(null, d.base, d.end - d.base));
        }
        for (int i = 0; i < chunks.size(); i++)
        {
            final AddressMap.Descriptor d = chunks.get(i);
            assertSame(i % 2 == 0 ? null : d, map.find(d.base + (d.end - d.base) / 2));
        }
    }

    @Provide
    Arbitrary<long[]> layouts()
    {
        return Arbitraries.longs().array(long[].class).ofMinSize(3).ofMaxSize(41);
    }

    private static AddressMap.Descriptor model(final List<AddressMap.Descriptor> chunks, final long address)
    {
        for (final AddressMap.Descriptor d : chunks)
        {
            if (d.contains(address))
            {
                return d;
            }
        }
        return null;
    }

    @Test
    void shouldRejectAThirdChunkInAWindowAndOutOfRangeChunksLeavingTheMapUnchanged()
    {
        final AddressMap map = new AddressMap();
        final long split = 67 * WINDOW + 2 * PAGE;
        final AddressMap.Descriptor a = new AddressMap.Descriptor(null, 64 * WINDOW, split - 64 * WINDOW); // windows 64..67
        final AddressMap.Descriptor b = new AddressMap.Descriptor(null, split, 2 * WINDOW);                 // windows 67..69
        map.add(a);
        map.add(b);
        assertSame(a, map.find(split - 1));
        assertSame(b, map.find(split));
        // window 67 holds a and b: a third chunk meeting there is an overlap, refused, and undone
        final AddressMap.Descriptor c = new AddressMap.Descriptor(null, 66 * WINDOW, 2 * WINDOW);       // windows 66..67
        final IllegalStateException ex = assertThrows(IllegalStateException.class, () -> map.add(c));
        assertTrue(ex.getMessage().contains("overlaps"), ex.getMessage());
        assertSame(a, map.find(66 * WINDOW), "the part of c that went in was taken out again");
        assertSame(a, map.find(67 * WINDOW));
        assertThrows(IllegalArgumentException.class, () -> map.add(new AddressMap.Descriptor(null, 1L << 48, WINDOW)));
        assertThrows(IllegalArgumentException.class, () -> map.add(new AddressMap.Descriptor(null, WINDOW, PAGE)));
        assertNull(map.find(0));
        assertNull(map.find(-5));
        assertNull(map.find(1L << 50));
        assertFalse(map.remove(null, 200 * WINDOW, WINDOW), "nothing to remove");
    }

    @Test
    void shouldNeverShowAReaderALiveChunkMissingWhileOthersComeAndGo() throws Exception
    {
        final AddressMap map = new AddressMap();
        final AddressMap.Descriptor stable = new AddressMap.Descriptor(null, 1000 * WINDOW, 8 * WINDOW);
        map.add(stable);
        final AtomicBoolean stop = new AtomicBoolean();
        final AtomicReference<String> failure = new AtomicReference<>();
        final Thread reader = new Thread(() ->
        {
            final SplittableRandom rnd = new SplittableRandom(1);
            while (!stop.get())
            {
                final long a = stable.base + rnd.nextLong(stable.end - stable.base);
                if (map.find(a) != stable)
                {
                    failure.set("lost 0x" + Long.toHexString(a));
                    return;
                }
            }
        });
        reader.start();
        // churn chunks that share the stable chunk's first and last windows' neighbours
        for (int i = 0; i < 20_000; i++)
        {
            final AddressMap.Descriptor before = new AddressMap.Descriptor(null, stable.base - WINDOW - PAGE * (i % 8), WINDOW + PAGE * (i % 8));
            final AddressMap.Descriptor after = new AddressMap.Descriptor(null, stable.end, WINDOW + PAGE * (i % 5));
            map.add(before);
            map.add(after);
            map.remove(null, before.base, before.end - before.base);
            map.remove(null, after.base, after.end - after.base);
        }
        stop.set(true);
        reader.join();
        assertNull(failure.get(), failure.get());
    }
}
