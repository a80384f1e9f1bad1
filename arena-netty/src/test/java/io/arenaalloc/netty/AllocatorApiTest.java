package io.arenaalloc.netty;

import io.arenaalloc.threads.AllocatorConfig;
import io.arenaalloc.threads.Policy;
import io.netty.buffer.ByteBuf;
import io.netty.util.concurrent.DefaultEventExecutorGroup;
import org.junit.jupiter.api.Test;

import java.nio.ByteBuffer;
import java.util.concurrent.TimeUnit;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** Builder, lifecycle, maintenance scheduling, STRIPED policy and the chunk source's bad-input messages. */
class AllocatorApiTest
{
    @Test
    void builderRejectsBadInputClearly()
    {
        assertThatThrownBy(() -> ArenaByteBufAllocator.builder().allocatorConfig(null))
            .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("allocatorConfig=null");
    }

    @Test
    void chunkSizeDefaultsToOneMebibyteAndIsValidated()
    {
        final ArenaByteBufAllocator alloc = TestAllocators.newAllocator();
        assertEquals(ArenaByteBufAllocator.DEFAULT_CHUNK_SIZE, alloc.arenaAllocator().config().arenaConfig().chunkSize());
        alloc.close();
        final ArenaByteBufAllocator keep = ArenaByteBufAllocator.builder().chunkSize(0)
            .allocatorConfig(AllocatorConfig.builder().backgroundMaintenance(false)
                .arenaConfig(io.arenaalloc.core.ArenaConfig.builder().chunkSize(2L << 20).build()).build())
            .build();
        assertEquals(2L << 20, keep.arenaAllocator().config().arenaConfig().chunkSize());
        keep.close();
        assertThatThrownBy(() -> ArenaByteBufAllocator.builder().chunkSize(3_000_000))
            .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("chunkSize=3000000, expected 0");
        assertThatThrownBy(() -> ArenaByteBufAllocator.builder().chunkSize(1L << 20)
            .allocatorConfig(AllocatorConfig.builder().maxTotalBytes(1L << 19)
                .arenaConfig(io.arenaalloc.core.ArenaConfig.builder().chunkSize(1L << 18).build()).build()).build())
            .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("expected a chunk to fit the limit");
    }

    @Test
    void closeRefusesWhileBuffersAreLive()
    {
        final ArenaByteBufAllocator alloc = TestAllocators.newAllocator();
        final ByteBuf b = alloc.directBuffer(10);
        assertThatThrownBy(alloc::close).isInstanceOf(IllegalStateException.class)
            .hasMessageContaining("1 direct buffers are still live");
        assertFalse(alloc.isClosed());
        b.release();
        alloc.close();
        assertTrue(alloc.isClosed());
        alloc.close(); // idempotent
        assertEquals(0, alloc.metric().usedDirectMemory(), "every chunk went back");
        assertThatThrownBy(() -> alloc.directBuffer(10)).isInstanceOf(IllegalStateException.class)
            .hasMessageContaining("closed");
    }

    @Test
    void sharedInstanceIsOneAndCannotBeClosed()
    {
        final ArenaByteBufAllocator shared = ArenaByteBufAllocator.shared();
        assertSame(shared, ArenaByteBufAllocator.shared());
        assertThatThrownBy(shared::close).isInstanceOf(UnsupportedOperationException.class);
        final ByteBuf b = shared.buffer(32);
        assertTrue(b.isDirect());
        b.release();
        assertThat(shared.toString()).contains("shared=true");
    }

    @Test
    void preferHeap()
    {
        final ArenaByteBufAllocator alloc = ArenaByteBufAllocator.builder().preferDirect(false)
            .allocatorConfig(AllocatorConfig.builder().backgroundMaintenance(false).build()).build();
        final ByteBuf b = alloc.buffer(8);
        final ByteBuf io = alloc.ioBuffer(8);
        assertFalse(b.isDirect());
        assertTrue(io.isDirect());
        b.release();
        io.release();
        alloc.close();
    }

    @Test
    void stripedPolicyResizesFromAnyThread() throws Exception
    {
        final ArenaByteBufAllocator alloc = ArenaByteBufAllocator.builder()
            .allocatorConfig(AllocatorConfig.builder().policy(Policy.STRIPED).stripes(2).backgroundMaintenance(false).build())
            .build();
        final ByteBuf b = alloc.directBuffer(16);
        BufPatterns.write(b, 16, 5);
        final Thread t = new Thread(() -> b.ensureWritable(10_000));
        t.start();
        t.join();
        assertEquals(0, alloc.metric().resizesByCopy(), "stripes reallocate under their lock, from any thread");
        BufPatterns.check(b, 16, 5, "striped growth");
        b.release();
        alloc.maintain();
        assertEquals(0, TestAllocators.liveBlocks(alloc));
        alloc.close();
    }

    @Test
    void scheduledMaintenanceDrainsEventLoopArenas() throws Exception
    {
        final ArenaByteBufAllocator alloc = TestAllocators.newAllocator();
        final DefaultEventExecutorGroup loops = new DefaultEventExecutorGroup(2);
        try
        {
            assertThatThrownBy(() -> alloc.scheduleMaintenance(null, 1, TimeUnit.SECONDS))
                .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("group=null");
            assertThatThrownBy(() -> alloc.scheduleMaintenance(loops, 0, TimeUnit.SECONDS))
                .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("period=0");
            assertThatThrownBy(() -> alloc.scheduleMaintenance(loops, 1, null))
                .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("unit=null");
            final ArenaByteBufAllocator.MaintenanceSchedule schedule =
                alloc.scheduleMaintenance(loops, 5, TimeUnit.MILLISECONDS);
            final ByteBuf b = loops.next().submit(() -> alloc.directBuffer(1000)).get();
            b.release(); // a remote free into the loop's arena; only the loop's maintenance drains it
            assertEquals(1, alloc.metric().warmBlocks(), "the loop thread holds its warm block");
            final long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(10);
            while (TestAllocators.liveBlocks(alloc) != 1 && System.nanoTime() < deadline)
            {
                Thread.sleep(5);
            }
            assertEquals(1, TestAllocators.liveBlocks(alloc), "only the warm block is left");
            schedule.close();
        }
        finally
        {
            loops.shutdownGracefully(0, 1, TimeUnit.SECONDS).sync();
        }
        assertEquals(0, alloc.metric().warmBlocks(), "the loop thread freed its warm block when it ended");
        alloc.maintain();
        assertEquals(0, TestAllocators.liveBlocks(alloc));
        alloc.close();
    }

    @Test
    void warmBlocksCanBeTurnedOff() throws Exception
    {
        final ArenaByteBufAllocator alloc = ArenaByteBufAllocator.builder().keepEventLoopArenasWarm(false)
            .allocatorConfig(AllocatorConfig.builder().backgroundMaintenance(false).build()).build();
        final DefaultEventExecutorGroup loops = new DefaultEventExecutorGroup(1);
        try
        {
            loops.next().submit(() -> alloc.directBuffer(10).release()).get();
            assertEquals(0, alloc.metric().warmBlocks());
            loops.next().submit(() -> alloc.maintain()).get(); // the loop's thread cache was busy: kept
            loops.next().submit(() -> alloc.maintain()).get(); // idle since: its block goes home
            assertEquals(0, TestAllocators.liveBlocks(alloc));
        }
        finally
        {
            loops.shutdownGracefully(0, 1, TimeUnit.SECONDS).sync();
        }
        alloc.close();
    }

    @Test
    void chunkSourceRejectsBadInput()
    {
        final DirectChunkSource source = new DirectChunkSource();
        assertThatThrownBy(() -> source.reserve(100)).isInstanceOf(IllegalArgumentException.class)
            .hasMessageContaining("bytes=100");
        assertThatThrownBy(() -> source.reserve(0)).isInstanceOf(IllegalArgumentException.class);
        final long a = source.reserve(8192);
        final long b = source.reserve(4096);
        assertEquals(0, a & 4095);
        assertEquals(12288, source.reservedBytes());
        final ByteBuffer view = source.slice(a + 100, 50);
        assertTrue(view.isDirect());
        assertEquals(50, view.remaining());
        assertThatThrownBy(() -> source.slice(a + 8000, 500)).isInstanceOf(IllegalArgumentException.class)
            .hasMessageContaining("not inside one chunk");
        assertThatThrownBy(() -> source.release(a + 16, 8192)).isInstanceOf(IllegalArgumentException.class)
            .hasMessageContaining("was not reserved");
        assertThatThrownBy(() -> source.release(a, 4096)).isInstanceOf(IllegalArgumentException.class)
            .hasMessageContaining("8192 bytes");
        source.release(a, 8192);
        source.release(b, 4096);
        assertEquals(0, source.reservedBytes());
        assertEquals(0, source.chunkCount());
    }
}
