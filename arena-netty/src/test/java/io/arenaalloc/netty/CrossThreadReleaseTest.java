package io.arenaalloc.netty;

import io.arenaalloc.core.ArenaCounters;
import io.arenaalloc.core.OffHeapArena;
import io.netty.buffer.ByteBuf;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.ArrayBlockingQueue;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;

import static org.assertj.core.api.Assertions.assertThat;
import static org.junit.jupiter.api.Assertions.assertEquals;

/**
 * Buffers released (and resized) on threads other than the one that allocated them: the memory goes back through
 * the remote-free inboxes, and after the owners' maintenance the arenas hold zero live blocks.
 */
class CrossThreadReleaseTest
{
    private ArenaByteBufAllocator alloc;
    private final List<ExecutorService> threads = new ArrayList<>();

    @BeforeEach
    void newAllocator()
    {
        alloc = TestAllocators.newAllocator();
    }

    @AfterEach
    void close() throws InterruptedException
    {
        for (final ExecutorService t : threads)
        {
            t.shutdown();
            t.awaitTermination(10, TimeUnit.SECONDS);
        }
        alloc.close();
    }

    private ExecutorService thread(final String name)
    {
        final ExecutorService t = Executors.newSingleThreadExecutor((r) -> new Thread(r, name));
        threads.add(t);
        return t;
    }

    private static long remoteFreesApplied(final ArenaByteBufAllocator alloc)
    {
        long n = 0;
        for (final OffHeapArena a : alloc.arenaAllocator().arenas())
        {
            n += a.counters().getOpaque(ArenaCounters.REMOTE_FREES_APPLIED);
        }
        return n;
    }

    @Test
    void releaseOnAnotherThreadReturnsMemoryThroughTheOwnersInbox() throws Exception
    {
        final ExecutorService owner = thread("owner");
        final ExecutorService releaser = thread("releaser");
        final int count = 2000;
        final List<ByteBuf> bufs = owner.submit(() ->
        {
            final List<ByteBuf> list = new ArrayList<>();
            for (int i = 0; i < count; i++)
            {
                final ByteBuf b = alloc.directBuffer(16 + (i * 97) % 20_000);
                BufPatterns.write(b, b.capacity(), i);
                list.add(b);
            }
            return list;
        }).get();
        assertThat(TestAllocators.liveBlocks(alloc)).isEqualTo(count);

        releaser.submit(() ->
        {
            for (int i = 0; i < count; i++)
            {
                final ByteBuf b = bufs.get(i);
                BufPatterns.check(b, b.capacity(), i, "seen by the releasing thread");
                b.release();
            }
        }).get();
        assertEquals(0, alloc.metric().activeDirectBuffers());
        assertThat(TestAllocators.liveBlocks(alloc)).as("frees wait in the owner's inbox until it drains").isPositive();

        owner.submit(() -> alloc.maintain()).get();
        assertEquals(0, TestAllocators.liveBlocks(alloc), "after the owner's maintenance: zero live blocks");
        assertEquals(0, alloc.arenaAllocator().liveBytes());
        assertEquals(count, remoteFreesApplied(alloc));
    }

    @Test
    void growOnOneThreadReleaseOnAThird() throws Exception
    {
        final ExecutorService a = thread("allocator");
        final ExecutorService b = thread("grower");
        final ExecutorService c = thread("releaser");
        final ByteBuf buf = a.submit(() ->
        {
            final ByteBuf x = alloc.directBuffer(64);
            BufPatterns.write(x, 64, 99);
            x.ensureWritable(100); // the holder: reallocate in its own arena
            return x;
        }).get();
        assertEquals(0, alloc.metric().resizesByCopy());
        b.submit(() ->
        {
            buf.ensureWritable(50_000); // not the holder: allocate here, copy, remote-free the old block
            BufPatterns.check(buf, 64, 99, "after growth on another thread");
            BufPatterns.write(buf, 1000, 98);
            buf.capacity(2000); // now the holder: in place
        }).get();
        assertEquals(1, alloc.metric().resizesByCopy());
        assertEquals(3, alloc.metric().resizes());
        c.submit(() ->
        {
            BufPatterns.check(buf, 64, 99, "seen by the releaser");
            buf.release();
        }).get();
        a.submit(() -> alloc.maintain()).get();
        b.submit(() -> alloc.maintain()).get(); // b's thread cache holds the block it grew from: busy, kept
        b.submit(() -> alloc.maintain()).get(); // idle since: home, into a's inbox
        a.submit(() -> alloc.maintain()).get();
        assertEquals(0, TestAllocators.liveBlocks(alloc));
        assertEquals(0, alloc.metric().activeDirectBuffers());
    }

    /** Producers allocate and fill, consumers check and release: a short hand-off stress. */
    @Test
    void handOffStress() throws Exception
    {
        final int producers = 2;
        final int perProducer = 20_000;
        final BlockingQueue<ByteBuf> queue = new ArrayBlockingQueue<>(256);
        final AtomicLong checked = new AtomicLong();
        final List<ExecutorService> producerThreads = new ArrayList<>();
        final List<Future<?>> work = new ArrayList<>();
        for (int p = 0; p < producers; p++)
        {
            final int id = p;
            final ExecutorService t = thread("producer-" + p);
            producerThreads.add(t);
            work.add(t.submit(() ->
            {
                for (int i = 0; i < perProducer; i++)
                {
                    final ByteBuf b = alloc.directBuffer(8 + (i * 31) % 3000);
                    b.writeInt(id).writeInt(i);
                    b.writeZero(b.writableBytes());
                    queue.put(b);
                }
                return null;
            }));
        }
        for (int c = 0; c < 2; c++)
        {
            work.add(thread("consumer-" + c).submit(() ->
            {
                for (int i = 0; i < producers * perProducer / 2; i++)
                {
                    final ByteBuf b = queue.take();
                    assertThat(b.getInt(0)).isBetween(0, producers - 1);
                    assertThat(b.getInt(4)).isBetween(0, perProducer - 1);
                    b.release();
                    checked.incrementAndGet();
                }
                return null;
            }));
        }
        for (final Future<?> f : work)
        {
            f.get(60, TimeUnit.SECONDS);
        }
        assertEquals((long)producers * perProducer, checked.get());
        for (final ExecutorService t : producerThreads)
        {
            // the first maintain drains what is left of the remote frees; the producer parked most of them in its
            // thread cache while it allocated, and an idle thread's second maintain gives those back to its arena
            t.submit(() -> alloc.maintain()).get();
            t.submit(() -> alloc.maintain()).get();
        }
        assertEquals(0, TestAllocators.liveBlocks(alloc));
        assertEquals(0, alloc.metric().activeDirectBuffers());
        assertEquals((long)producers * perProducer, alloc.metric().directReleases());
    }
}
