package io.arenaalloc.stats;

import io.arenaalloc.core.ArenaConfig;
import io.arenaalloc.core.OffHeapArena;
import org.junit.jupiter.api.Test;

import javax.management.MBeanServer;
import javax.management.ObjectName;
import javax.management.openmbean.CompositeData;
import javax.management.openmbean.TabularData;
import java.lang.management.ManagementFactory;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

class ArenaStatsJmxTest
{
    @Test
    void mxBeansShowTheFiguresUnderDocumentedNames() throws Exception
    {
        final MBeanServer server = ManagementFactory.getPlatformMBeanServer();
        try (OffHeapArena a = OffHeapArena.create(ArenaConfig.builder().chunkSize(256 << 10).build());
            OffHeapArena b = OffHeapArena.create(ArenaConfig.builder().chunkSize(256 << 10).build()))
        {
            final ArenaStatsRegistry registry = new ArenaStatsRegistry();
            final ArenaStatsPublisher pa = registry.add(ArenaStatsPublisher.of(a));
            final ArenaStatsPublisher pb = registry.add(ArenaStatsPublisher.of(b));
            for (int i = 0; i < 3; i++)
            {
                a.allocate(64);
            }
            b.allocateHandle(5000);
            pa.publish();
            pb.publish();
            final ObjectName name = new ObjectName("io.arenaalloc:type=ArenaStats,arena=" + a.arenaId());
            assertEquals(name, ArenaStatsJmx.objectName(a.arenaId()));
            try (ArenaStatsJmx.Registration ra = ArenaStatsJmx.register(pa);
                ArenaStatsJmx.Registration rb = ArenaStatsJmx.register(pb);
                ArenaStatsJmx.Registration total = ArenaStatsJmx.registerTotal(registry))
            {
                assertEquals(name, ra.objectName());
                assertEquals(3L, server.getAttribute(name, "Allocations"));
                assertEquals(3L, server.getAttribute(name, "LiveBlocks"));
                assertEquals(0L, server.getAttribute(name, "LimitWaits"));
                assertEquals(a.arenaId(), server.getAttribute(name, "ArenaId"));
                assertEquals(a.fragmentation(), (double)server.getAttribute(name, "Fragmentation"), 1e-6);
                assertEquals("arena-" + a.arenaId(), server.getAttribute(name, "Name"));
                final TabularData figures = (TabularData)server.getAttribute(name, "Figures");
                assertEquals(ArenaFigures.COUNT, figures.size());
                final CompositeData row = figures.get(new Object[] {"allocations"});
                assertEquals(3L, row.get("value"));
                final CompositeData cls = figures.get(new Object[] {"class-64-live"});
                assertEquals(3L, cls.get("value"));

                final ObjectName totalName = new ObjectName(ArenaStatsJmx.TOTAL_OBJECT_NAME);
                assertEquals(4L, server.getAttribute(totalName, "Allocations"));
                assertEquals(2, server.getAttribute(totalName, "ArenaCount"));
                assertEquals(1L, server.getAttribute(totalName, "LiveHandles"));
                assertTrue(((String)server.getAttribute(totalName, "Summary")).startsWith("total (2 arenas): "));

                assertThrows(IllegalStateException.class, () -> ArenaStatsJmx.register(pa));
            }
            assertFalse(server.isRegistered(name));
            assertFalse(server.isRegistered(new ObjectName(ArenaStatsJmx.TOTAL_OBJECT_NAME)));
        }
    }

    @Test
    void allocatorMxBeanShowsTheAllocatorFiguresAndItsArenasTotal() throws Exception
    {
        final MBeanServer server = ManagementFactory.getPlatformMBeanServer();
        try (io.arenaalloc.threads.ArenaAllocator alloc = io.arenaalloc.threads.ArenaAllocator.builder()
            .backgroundMaintenance(false).maxTotalBytes(1 << 20)
            .arenaConfig(ArenaConfig.builder().chunkSize(256 << 10).build()).build())
        {
            final long a = alloc.allocate(64);
            alloc.allocate(64);
            assertThrows(io.arenaalloc.threads.AllocatorLimitExceededException.class, () -> alloc.allocate(2 << 20));
            final AllocatorStatsPublisher publisher = AllocatorStatsPublisher.of(alloc, "jmx,pool");
            final ObjectName name = ArenaStatsJmx.allocatorObjectName("jmx,pool");
            assertEquals(new ObjectName("io.arenaalloc:type=AllocatorStats,name=\"jmx,pool\""), name);
            assertEquals(new ObjectName("io.arenaalloc:type=AllocatorStats,name=plain"),
                ArenaStatsJmx.allocatorObjectName("plain"));
            try (ArenaStatsJmx.Registration r = ArenaStatsJmx.register(publisher))
            {
                assertEquals(name, r.objectName());
                assertEquals("jmx,pool", server.getAttribute(name, "Name"));
                assertEquals(1L, server.getAttribute(name, "LimitFailures"));
                assertEquals(0L, server.getAttribute(name, "LimitWaits"));
                assertEquals(1L, server.getAttribute(name, "ArenasOpen"));
                assertEquals(1L << 20, server.getAttribute(name, "BudgetLimitBytes"));
                final TabularData figures = (TabularData)server.getAttribute(name, "Figures");
                assertEquals(AllocatorFigures.COUNT, figures.size());
                assertEquals(1L, figures.get(new Object[] {"threads-registered"}).get("value"));
                final TabularData arenas = (TabularData)server.getAttribute(name, "ArenaTotalFigures");
                assertEquals(ArenaFigures.COUNT, arenas.size());
                assertEquals(2L, arenas.get(new Object[] {"allocations"}).get("value"));
                assertEquals(2L, arenas.get(new Object[] {"live-blocks"}).get("value"));
                assertTrue(((String)server.getAttribute(name, "Summary")).startsWith("jmx,pool: 1 arenas open, "));
                assertThrows(IllegalStateException.class, () -> ArenaStatsJmx.register(publisher));
            }
            assertFalse(server.isRegistered(name));
            alloc.free(a);
        }
    }
}
