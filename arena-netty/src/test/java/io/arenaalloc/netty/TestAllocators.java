package io.arenaalloc.netty;

import io.arenaalloc.core.ArenaCounters;
import io.arenaalloc.core.OffHeapArena;
import io.arenaalloc.threads.AllocatorConfig;

/** Allocators for tests: background maintenance off (tests maintain explicitly), everything else default. */
final class TestAllocators
{
    private static ArenaByteBufAllocator preferDirect;
    private static ArenaByteBufAllocator preferHeap;

    private TestAllocators()
    {
    }

    static ArenaByteBufAllocator newAllocator()
    {
        return ArenaByteBufAllocator.builder()
            .allocatorConfig(AllocatorConfig.builder().backgroundMaintenance(false).build())
            .build();
    }

    /** One per JVM: Netty's allocator suite makes an allocator per test and never releases it. */
    static synchronized ArenaByteBufAllocator sharedPreferDirect()
    {
        if (preferDirect == null)
        {
            preferDirect = newAllocator();
        }
        return preferDirect;
    }

    static synchronized ArenaByteBufAllocator sharedPreferHeap()
    {
        if (preferHeap == null)
        {
            preferHeap = ArenaByteBufAllocator.builder().preferDirect(false)
                .allocatorConfig(AllocatorConfig.builder().backgroundMaintenance(false).build())
                .build();
        }
        return preferHeap;
    }

    /** Closes the allocator when every buffer is released (else leaves it open and says so: a test leaked). */
    static void closeWhenIdle(final ArenaByteBufAllocator alloc)
    {
        alloc.maintain();
        final long live = alloc.metric().activeDirectBuffers();
        if (live == 0)
        {
            alloc.close();
        }
        else
        {
            System.err.println("TestAllocators: " + live + " direct buffers still live, not closing " + alloc);
        }
    }

    /** Live blocks over all arenas (racy sum of the owners' counters; exact once the owners are quiet). */
    static long liveBlocks(final ArenaByteBufAllocator alloc)
    {
        long n = 0;
        for (final OffHeapArena a : alloc.arenaAllocator().arenas())
        {
            n += a.counters().getOpaque(ArenaCounters.LIVE_BLOCKS);
        }
        return n;
    }
}
