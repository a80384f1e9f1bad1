package io.arenaalloc.netty;

import io.netty.buffer.ByteBuf;
import io.netty.buffer.CompositeByteBuf;
import io.netty.util.ResourceLeakDetector;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.MethodOrderer;
import org.junit.jupiter.api.Order;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestMethodOrder;

import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.TimeUnit;

import static org.assertj.core.api.Assertions.assertThat;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * Netty's {@link ResourceLeakDetector} at PARANOID level (every buffer tracked) over a workload of direct, heap,
 * composite, sliced, grown and cross-thread-released buffers: zero leaks. A positive control (a buffer dropped
 * without release) proves the detector sees our buffers at all.
 */
@TestMethodOrder(MethodOrderer.OrderAnnotation.class)
class LeakDetectionTest
{
    private static ResourceLeakDetector.Level previous;
    private static LeakCounter leaks;

    @BeforeAll
    static void paranoid()
    {
        previous = ResourceLeakDetector.getLevel();
        ResourceLeakDetector.setLevel(ResourceLeakDetector.Level.PARANOID);
        leaks = LeakCounter.install();
    }

    @AfterAll
    static void restore()
    {
        ResourceLeakDetector.setLevel(previous);
    }

    @Test
    @Order(1)
    void noLeakAtParanoidLevel() throws Exception
    {
        final ArenaByteBufAllocator alloc = TestAllocators.newAllocator();
        leaks.sweep(alloc, 3); // flush whatever earlier test classes left for the detector
        leaks.reset();
        final ExecutorService other = Executors.newSingleThreadExecutor();
        try
        {
            for (int round = 0; round < 200; round++)
            {
                final ByteBuf d = alloc.directBuffer(16 + round * 13);
                BufPatterns.write(d, 5000, round); // grows
                final ByteBuf s = d.retainedSlice(10, 100);
                final ByteBuf dup = d.retainedDuplicate();
                final ByteBuf h = alloc.heapBuffer(100);
                h.writeBytes(d, 0, 100);
                final CompositeByteBuf comp = alloc.compositeDirectBuffer();
                comp.addComponents(true, d.retainedSlice(0, 50), alloc.directBuffer(10).writeZero(10), h);
                assertEquals(160, comp.readableBytes());
                other.submit(() ->
                {
                    s.release();
                    dup.release();
                    comp.release();
                }).get();
                assertTrue(d.release());
            }
        }
        finally
        {
            other.shutdown();
            other.awaitTermination(10, TimeUnit.SECONDS);
        }
        assertEquals(0, leaks.sweep(alloc, 5), () -> "leaks reported: " + leaks.reports());
        assertEquals(0, alloc.metric().activeDirectBuffers());
        TestAllocators.closeWhenIdle(alloc);
    }

    @Test
    @Order(2)
    void positiveControlADroppedBufferIsReported()
    {
        final ArenaByteBufAllocator alloc = TestAllocators.newAllocator(); // never closed: its buffer leaks on purpose
        leaks.reset();
        dropOneBuffer(alloc);
        final long found = leaks.sweep(alloc, 10);
        assertThat(found).as("the detector reports our leaked buffer").isPositive();
        assertThat(leaks.reports().get(0)).contains("ByteBuf");
        leaks.reset();
    }

    private static void dropOneBuffer(final ArenaByteBufAllocator alloc)
    {
        alloc.directBuffer(100).writeLong(1);
    }
}
