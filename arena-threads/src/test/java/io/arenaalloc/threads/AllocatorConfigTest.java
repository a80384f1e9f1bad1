package io.arenaalloc.threads;

import io.arenaalloc.core.ArenaConfig;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.function.Executable;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

class AllocatorConfigTest
{
    @Test
    void shouldStartFromTheDocumentedDefaults()
    {
        final AllocatorConfig c = AllocatorConfig.defaults();
        assertEquals(AllocatorConfig.DEFAULT_POLICY, c.policy());
        final int cores = Runtime.getRuntime().availableProcessors();
        assertEquals(1, Integer.bitCount(c.stripes()));
        assertTrue(c.stripes() >= cores && c.stripes() < 2 * cores, "stripes=" + c.stripes() + " cores=" + cores);
        assertEquals(AllocatorConfig.DEFAULT_MAX_THREAD_ARENAS, c.maxThreadArenas());
        assertEquals(AllocatorConfig.DEFAULT_REMOTE_FREE_BATCH_SIZE, c.remoteFreeBatchSize());
        assertEquals(AllocatorConfig.DEFAULT_INBOX_CAPACITY, c.inboxCapacity());
        assertEquals(AllocatorConfig.DEFAULT_RING_CAPACITY, c.ringCapacity());
        assertEquals(AllocatorConfig.DEFAULT_DRAIN_INTERVAL, c.drainInterval());
        assertEquals(AllocatorConfig.DEFAULT_MAX_TOTAL_BYTES, c.maxTotalBytes());
        assertEquals(AllocatorConfig.DEFAULT_LIMIT_WAIT_NANOS, c.limitWaitNanos());
        assertEquals(AllocatorConfig.DEFAULT_BACKGROUND_MAINTENANCE, c.backgroundMaintenance());
        assertEquals(AllocatorConfig.DEFAULT_MAINTENANCE_PERIOD_NANOS, c.maintenancePeriodNanos());
        assertEquals(AllocatorConfig.DEFAULT_MAINTENANCE_BUDGET_NANOS, c.maintenanceBudgetNanos());
        assertEquals(AllocatorConfig.DEFAULT_LIVENESS_SCAN_NANOS, c.livenessScanNanos());
        assertEquals(ArenaConfig.DEFAULT_CHUNK_SIZE, c.arenaConfig().chunkSize());
        assertSame(AllocatorConfig.LOGGING_ERROR_HANDLER, c.errorHandler());
    }

    @Test
    void shouldRejectEveryOutOfRangeValueNamingTheOption()
    {
        final AllocatorConfig.Builder<AllocatorConfig> b = AllocatorConfig.builder();
        rejects("stripes=3", () -> b.stripes(3));
        rejects("stripes=8192", () -> b.stripes(8192));
        rejects("maxThreadArenas=0", () -> b.maxThreadArenas(0));
        rejects("remoteFreeBatchSize=0", () -> b.remoteFreeBatchSize(0));
        rejects("remoteFreeBatchSize=5000", () -> b.remoteFreeBatchSize(5000));
        rejects("inboxCapacity=3", () -> b.inboxCapacity(3));
        rejects("ringCapacity=1", () -> b.ringCapacity(1));
        rejects("drainInterval=0", () -> b.drainInterval(0));
        rejects("maxTotalBytes=0", () -> b.maxTotalBytes(0));
        rejects("limitWaitNanos=-1", () -> b.limitWaitNanos(-1));
        rejects("maintenancePeriodNanos=10", () -> b.maintenancePeriodNanos(10));
        rejects("maintenanceBudgetNanos=-1", () -> b.maintenanceBudgetNanos(-1));
        rejects("livenessScanNanos=-1", () -> b.livenessScanNanos(-1));
        rejects("policy=null", () -> b.policy(null));
        rejects("arenaConfig=null", () -> b.arenaConfig(null));
        rejects("errorHandler=null", () -> b.errorHandler(null));
        rejects("maxTotalBytes=1000, expected >= arena chunkSize", () -> AllocatorConfig.builder().maxTotalBytes(1000).build());
    }

    private static void rejects(final String message, final Executable call)
    {
        final IllegalArgumentException ex = assertThrows(IllegalArgumentException.class, call);
        assertTrue(ex.getMessage().startsWith(message), ex.getMessage());
    }

    @Test
    void shouldTakeSystemPropertiesAndRejectUnparsableOnes()
    {
        System.setProperty(AllocatorConfig.PROP_STRIPES, "8");
        System.setProperty(AllocatorConfig.PROP_POLICY, "striped");
        System.setProperty(AllocatorConfig.PROP_LIMIT_WAIT_NANOS, "1000");
        System.setProperty(AllocatorConfig.PROP_BACKGROUND_MAINTENANCE, "false");
        try
        {
            final AllocatorConfig c = AllocatorConfig.defaults();
            assertEquals(8, c.stripes());
            assertEquals(Policy.STRIPED, c.policy());
            assertEquals(1000, c.limitWaitNanos());
            assertFalse(c.backgroundMaintenance());
            assertEquals(4, AllocatorConfig.builder().stripes(4).build().stripes(), "a builder call beats the property");
            System.setProperty(AllocatorConfig.PROP_STRIPES, "eight");
            rejects(AllocatorConfig.PROP_STRIPES + "=eight", AllocatorConfig::builder);
            System.setProperty(AllocatorConfig.PROP_STRIPES, "6");
            rejects("stripes=6", () -> AllocatorConfig.builder().build());
            System.setProperty(AllocatorConfig.PROP_STRIPES, "8");
            System.setProperty(AllocatorConfig.PROP_BACKGROUND_MAINTENANCE, "yes");
            rejects(AllocatorConfig.PROP_BACKGROUND_MAINTENANCE + "=yes", AllocatorConfig::builder);
        }
        finally
        {
            System.clearProperty(AllocatorConfig.PROP_STRIPES);
            System.clearProperty(AllocatorConfig.PROP_POLICY);
            System.clearProperty(AllocatorConfig.PROP_LIMIT_WAIT_NANOS);
            System.clearProperty(AllocatorConfig.PROP_BACKGROUND_MAINTENANCE);
        }
    }

    @Test
    void shouldRoundTripThroughToBuilderAndBuildAnAllocator()
    {
        final AllocatorConfig c = AllocatorConfig.builder().policy(Policy.STRIPED).stripes(4).remoteFreeBatchSize(16)
            .backgroundMaintenance(false).maxTotalBytes(64L << 20).build();
        final AllocatorConfig copy = c.toBuilder().build();
        assertEquals(c.toString(), copy.toString());
        try (ArenaAllocator alloc = ArenaAllocator.create(copy))
        {
            assertSame(copy, alloc.config());
            assertEquals(Policy.STRIPED, alloc.policy());
            assertEquals(4, alloc.arenaCount());
            assertEquals(64L << 20, alloc.config().maxTotalBytes());
        }
        assertThrows(IllegalArgumentException.class, () -> ArenaAllocator.create(null));
    }
}
