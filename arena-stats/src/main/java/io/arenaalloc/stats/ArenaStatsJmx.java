package io.arenaalloc.stats;

import javax.management.InstanceAlreadyExistsException;
import javax.management.JMException;
import javax.management.MBeanServer;
import javax.management.MalformedObjectNameException;
import javax.management.ObjectName;
import javax.management.StandardMBean;
import java.lang.management.ManagementFactory;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.function.Supplier;

/**
 * Registers {@link ArenaStatsMXBean}s and {@link AllocatorStatsMXBean}s with the platform MBean server.
 *
 * <h2>Vocabulary</h2>
 * <b>source</b>: a supplier of snapshots (one publisher, a registry's total, or an allocator's publisher).
 * <b>registration</b>: the handle that unregisters the MBean.
 *
 * <h2>ObjectNames</h2>
 * <pre>
 *   {@value #DOMAIN}:type=ArenaStats,arena=&lt;id&gt;   one arena, {@link #register(ArenaStatsPublisher)}
 *   {@value #DOMAIN}:type=ArenaStats,arena=total  the total of a registry (its allocators' arenas included),
 *                                              {@link #registerTotal(ArenaStatsRegistry)}
 *   {@value #DOMAIN}:type=AllocatorStats,name=&lt;allocator name&gt;   one allocator, {@link #register(AllocatorStatsPublisher)}
 * </pre>
 * Arena ids are unique among open arenas; unregister (close the returned handle) when the arena closes, so the
 * next arena with the same id can register.
 *
 * <h2>Algorithm</h2>
 * <ol>
 *   <li>Wrap a snapshot supplier in an MXBean implementation; each getter calls the supplier once.</li>
 *   <li>Register it as a {@link StandardMBean} of interface {@link ArenaStatsMXBean} or {@link AllocatorStatsMXBean}
 *   (open types) under the name.</li>
 *   <li>The returned {@link Registration} unregisters it on close (idempotent).</li>
 * </ol>
 */
public final class ArenaStatsJmx
{
    public static final String DOMAIN = "io.arenaalloc";
    public static final String TOTAL_OBJECT_NAME = DOMAIN + ":type=ArenaStats,arena=total";

    private ArenaStatsJmx()
    {
    }

    /** @return {@code io.arenaalloc:type=ArenaStats,arena=<arenaId>}. */
    public static ObjectName objectName(final int arenaId)
    {
        return name(DOMAIN + ":type=ArenaStats,arena=" + arenaId);
    }

    private static ObjectName name(final String name)
    {
        try
        {
            return new ObjectName(name);
        }
        catch (final MalformedObjectNameException ex)
        {
            throw new IllegalArgumentException("objectName=" + name + ": " + ex.getMessage(), ex);
        }
    }

    /** Registers one arena's MXBean. @throws IllegalStateException if the name is taken. */
    public static Registration register(final ArenaStatsPublisher publisher)
    {
        return register(objectName(publisher.arenaId()), publisher::snapshot);
    }

    /** Registers the MXBean of a registry's total under {@value #TOTAL_OBJECT_NAME}. */
    public static Registration registerTotal(final ArenaStatsRegistry registry)
    {
        return register(name(TOTAL_OBJECT_NAME), registry::total);
    }

    /** @return {@code io.arenaalloc:type=AllocatorStats,name=<name>}, the name quoted when it needs to be. */
    public static ObjectName allocatorObjectName(final String allocatorName)
    {
        final boolean plain = allocatorName.chars().noneMatch(c -> ",=:\"*?\\\n".indexOf(c) >= 0);
        return name(DOMAIN + ":type=AllocatorStats,name=" + (plain ? allocatorName : ObjectName.quote(allocatorName)));
    }

    /** Registers one allocator's MXBean. @throws IllegalStateException if the name is taken. */
    public static Registration register(final AllocatorStatsPublisher publisher)
    {
        final ObjectName name = allocatorObjectName(publisher.name());
        return register(name, new StandardMBean(new AllocatorBean(publisher::snapshot), AllocatorStatsMXBean.class, true));
    }

    private static Registration register(final ObjectName name, final Supplier<ArenaSnapshot> source)
    {
        return register(name, new StandardMBean(new Bean(source), ArenaStatsMXBean.class, true));
    }

    private static Registration register(final ObjectName name, final StandardMBean bean)
    {
        final MBeanServer server = ManagementFactory.getPlatformMBeanServer();
        try
        {
            server.registerMBean(bean, name);
        }
        catch (final InstanceAlreadyExistsException ex)
        {
            throw new IllegalStateException("MBean " + name + " is already registered (an open arena with the same id, " +
                "or an allocator with the same name?)", ex);
        }
        catch (final JMException ex)
        {
            throw new IllegalStateException("cannot register MBean " + name + ": " + ex, ex);
        }
        return new Registration(server, name);
    }

    /** Unregisters its MBean on {@link #close()}. */
    public static final class Registration implements AutoCloseable
    {
        private final MBeanServer server;
        private final ObjectName name;

        Registration(final MBeanServer server, final ObjectName name)
        {
            this.server = server;
            this.name = name;
        }

        public ObjectName objectName()
        {
            return name;
        }

        @Override
        public void close()
        {
            try
            {
                if (server.isRegistered(name))
                {
                    server.unregisterMBean(name);
                }
            }
            catch (final JMException ex)
            {
                throw new IllegalStateException("cannot unregister MBean " + name + ": " + ex, ex);
            }
        }
    }

    private static final class Bean implements ArenaStatsMXBean
    {
        private final Supplier<ArenaSnapshot> source;

        Bean(final Supplier<ArenaSnapshot> source)
        {
            this.source = source;
        }

        private ArenaSnapshot s()
        {
            return source.get();
        }

        public String getName()
        {
            return s().name();
        }

        public int getArenaId()
        {
            return s().arenaId();
        }

        public int getArenaCount()
        {
            return s().arenaCount();
        }

        public long getAllocations()
        {
            return s().allocations();
        }

        public long getFrees()
        {
            return s().frees();
        }

        public long getLocalFrees()
        {
            return s().localFrees();
        }

        public long getRemoteFreesQueued()
        {
            return s().remoteFreesQueued();
        }

        public long getRemoteFreesApplied()
        {
            return s().remoteFreesApplied();
        }

        public long getRemoteFreesPending()
        {
            return s().remoteFreesPending();
        }

        public long getReallocations()
        {
            return s().reallocations();
        }

        public long getLiveBlocks()
        {
            return s().liveBlocks();
        }

        public long getLiveHandles()
        {
            return s().liveHandles();
        }

        public long getLiveBytes()
        {
            return s().liveBytes();
        }

        public long getRequestedBytes()
        {
            return s().requestedBytes();
        }

        public long getCommittedBytes()
        {
            return s().committedBytes();
        }

        public long getCommittedHighWater()
        {
            return s().committedHighWater();
        }

        public long getLiveBytesHighWater()
        {
            return s().liveBytesHighWater();
        }

        public long getChunks()
        {
            return s().chunks();
        }

        public long getHugeChunks()
        {
            return s().hugeChunks();
        }

        public long getEmptyChunks()
        {
            return s().emptyChunks();
        }

        public long getChunksAcquired()
        {
            return s().chunksAcquired();
        }

        public long getChunksReleased()
        {
            return s().chunksReleased();
        }

        public double getFragmentation()
        {
            return s().fragmentation();
        }

        public long getLargestFreeRun()
        {
            return s().largestFreeRun();
        }

        public long getPinnedBlocks()
        {
            return s().pinnedBlocks();
        }

        public long getCompactSteps()
        {
            return s().compactSteps();
        }

        public long getCompactNanos()
        {
            return s().compactNanos();
        }

        public long getBlocksMoved()
        {
            return s().blocksMoved();
        }

        public long getBytesMoved()
        {
            return s().bytesMoved();
        }

        public long getMovesSkippedPinned()
        {
            return s().movesSkippedPinned();
        }

        public long getReleaseBlocked()
        {
            return s().releaseBlocked();
        }

        public long getLimitFailures()
        {
            return s().limitFailures();
        }

        public long getLimitWaits()
        {
            return s().limitWaits();
        }

        public long getPublishedAtMillis()
        {
            return s().publishedAtMillis();
        }

        public Map<String, Long> getFigures()
        {
            final ArenaSnapshot s = s();
            final Map<String, Long> map = new LinkedHashMap<>();
            for (int i = 0; i < ArenaFigures.COUNT; i++)
            {
                map.put(ArenaFigures.name(i), s.figure(i));
            }
            return map;
        }

        public String getSummary()
        {
            return ArenaStatsReporter.formatLine(s());
        }
    }

    private static final class AllocatorBean implements AllocatorStatsMXBean
    {
        private final Supplier<AllocatorSnapshot> source;

        AllocatorBean(final Supplier<AllocatorSnapshot> source)
        {
            this.source = source;
        }

        private AllocatorSnapshot s()
        {
            return source.get();
        }

        public String getName()
        {
            return s().name();
        }

        public long getArenasOpen()
        {
            return s().arenasOpen();
        }

        public long getThreadsRegistered()
        {
            return s().threadsRegistered();
        }

        public long getThreadsEnded()
        {
            return s().threadsEnded();
        }

        public long getArenasCreated()
        {
            return s().arenasCreated();
        }

        public long getArenasOrphaned()
        {
            return s().arenasOrphaned();
        }

        public long getArenasAdopted()
        {
            return s().arenasAdopted();
        }

        public long getArenasClosed()
        {
            return s().arenasClosed();
        }

        public long getRemoteFreesBatched()
        {
            return s().remoteFreesBatched();
        }

        public long getBatchesPublished()
        {
            return s().batchesPublished();
        }

        public long getBatchesOverflowed()
        {
            return s().batchesOverflowed();
        }

        public long getSingleFrees()
        {
            return s().singleFrees();
        }

        public long getSingleFreesOverflowed()
        {
            return s().singleFreesOverflowed();
        }

        public long getRingFullLockedFrees()
        {
            return s().ringFullLockedFrees();
        }

        public long getRemoteFreeErrors()
        {
            return s().remoteFreeErrors();
        }

        public long getRemoteFreesDeferred()
        {
            return s().remoteFreesDeferred();
        }

        public long getStripeRehashes()
        {
            return s().stripeRehashes();
        }

        public long getLimitWaits()
        {
            return s().limitWaits();
        }

        public long getLimitFailures()
        {
            return s().limitFailures();
        }

        public long getMaintenanceRuns()
        {
            return s().maintenanceRuns();
        }

        public long getBudgetCommittedBytes()
        {
            return s().budgetCommittedBytes();
        }

        public long getBudgetLimitBytes()
        {
            return s().budgetLimitBytes();
        }

        public Map<String, Long> getFigures()
        {
            final AllocatorSnapshot s = s();
            final Map<String, Long> map = new LinkedHashMap<>();
            for (int i = 0; i < AllocatorFigures.COUNT; i++)
            {
                map.put(AllocatorFigures.name(i), s.figure(i));
            }
            return map;
        }

        public Map<String, Long> getArenaTotalFigures()
        {
            final ArenaSnapshot total = s().arenaTotal();
            final Map<String, Long> map = new LinkedHashMap<>();
            for (int i = 0; i < ArenaFigures.COUNT; i++)
            {
                map.put(ArenaFigures.name(i), total.figure(i));
            }
            return map;
        }

        public String getSummary()
        {
            return ArenaStatsReporter.formatAllocatorLine(s());
        }
    }
}
