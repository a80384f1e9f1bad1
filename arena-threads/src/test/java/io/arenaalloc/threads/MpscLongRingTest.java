package io.arenaalloc.threads;

import org.junit.jupiter.api.Test;

import java.util.BitSet;
import java.util.concurrent.CountDownLatch;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

class MpscLongRingTest
{
    @Test
    void shouldKeepFifoOrderRefuseWhenFullAndReuseSlots()
    {
        final MpscLongRing ring = new MpscLongRing(4);
        assertTrue(ring.isEmptyRelaxed());
        assertEquals(0, ring.poll());
        for (int round = 0; round < 5; round++)
        {
            for (long v = 1; v <= 4; v++)
            {
                assertTrue(ring.offer(v * 10 + round));
            }
            assertFalse(ring.offer(99), "full");
            assertEquals(4, ring.sizeRelaxed());
            for (long v = 1; v <= 4; v++)
            {
                assertEquals(v * 10 + round, ring.poll());
            }
            assertEquals(0, ring.poll());
        }
        assertTrue(ring.offer(-7), "negative values (handles) are fine");
        assertEquals(-7, ring.poll());
        assertThrows(IllegalArgumentException.class, () -> ring.offer(0));
        assertThrows(IllegalArgumentException.class, () -> new MpscLongRing(3));
        assertThrows(IllegalArgumentException.class, () -> new MpscLongRing(1));
    }

    @Test
    void shouldDeliverEveryValueOfManyProducersExactlyOnce() throws Exception
    {
        final int producers = 4;
        final int perProducer = 50_000;
        final MpscLongRing ring = new MpscLongRing(256);
        final CountDownLatch start = new CountDownLatch(1);
        final Thread[] threads = new Thread[producers];
        for (int p = 0; p < producers; p++)
        {
            final long base = (long)p * perProducer;
            threads[p] = new Thread(() ->
            {
                try
                {
                    start.await();
                }
                catch (final InterruptedException ex)
                {
                    return;
                }
                for (long i = 1; i <= perProducer; i++)
                {
                    while (!ring.offer(base + i))
                    {
                        Thread.yield(); // full: 2 cores, let the consumer run
                    }
                }
            });
            threads[p].start();
        }
        start.countDown();
        final BitSet seen = new BitSet(producers * perProducer + 1);
        final long[] lastOf = new long[producers];
        int received = 0;
        while (received < producers * perProducer)
        {
            final long v = ring.poll();
            if (v == 0)
            {
                Thread.yield();
                continue;
            }
            assertFalse(seen.get((int)v), "value " + v + " delivered twice");
            seen.set((int)v);
            final int p = (int)((v - 1) / perProducer);
            assertTrue(v > lastOf[p], "per-producer order kept");
            lastOf[p] = v;
            received++;
        }
        for (final Thread t : threads)
        {
            t.join();
        }
        assertEquals(producers * perProducer, seen.cardinality());
        assertEquals(0, ring.poll());
    }
}
