package io.arenaalloc.stats;

import io.arenaalloc.core.SystemProperties;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.slf4j.event.Level;

import java.util.List;
import java.util.concurrent.locks.LockSupport;

/**
 * Logs a summary of every arena and every {@code ArenaAllocator} of an {@link ArenaStatsRegistry} through SLF4J at a
 * configurable interval.
 *
 * <h2>Vocabulary</h2>
 * <b>summary line</b>: one line per arena ({@link #formatLine}; lone arenas first, then each allocator's arenas),
 * then one for their total when there are two or more arenas; then one line per allocator
 * ({@link #formatAllocatorLine}), then one for the allocators' total when there are two or more.
 * <b>report</b>: the lines of one interval, each logged as its own event.
 *
 * <h2>Line layout</h2>
 * <pre>
 *   arena-0: live 1.5 MiB in 3,456 blocks (12 handles, 0 pinned), committed 8.0 MiB (high 8.0 MiB) in 2 chunks
 *   + 0 huge (1 empty), fragmentation 12.50%, largest free run 256.0 KiB; allocations 10,000, frees 6,544
 *   (local 6,444, remote 100 queued / 100 applied), reallocations 0, requested 5.0 MiB; compaction 5 steps
 *   1.2 ms, moved 1,000 blocks / 2.0 MiB, skipped pinned 0, release blocked 0; limit waits 0, failures 0
 * </pre>
 * (one line; wrapped here). Owner figures (fragmentation, free run, empty chunks, pinned) are as of each arena's
 * last publish; "(not published)" replaces them for an arena never published (an allocator's arenas, see
 * {@link AllocatorStatsPublisher}).
 * <pre>
 *   pool: 2 arenas open, budget 1.0 MiB committed of 4.0 MiB; threads 3 registered, 1 ended; arenas 2 created,
 *   0 orphaned, 0 adopted, 0 closed; remote frees 5 batched in 1 batches (0 overflowed), 0 single (0 overflowed),
 *   0 locked, 0 errors, 0 deferred; stripe rehashes 0; limit waits 2, failures 1; maintenance runs 0
 * </pre>
 * (one line; "budget 1.0 MiB committed, no limit" without a global limit). Allocator figures: {@link AllocatorFigures}.
 *
 * <h2>Threading and algorithm</h2>
 * <ol>
 *   <li>{@link #start()} starts a daemon thread named {@value #THREAD_NAME}.</li>
 *   <li>Every interval: {@link ArenaStatsRegistry#allocatorSnapshots()} and the lone arenas' snapshots (opaque
 *   loads and {@code LongAdder} sums, any thread), format, log each line at the configured level. The arenas' owners
 *   and the allocating threads are not involved and not slowed.</li>
 *   <li>{@link #close()} stops the thread. {@link #report()} logs a report now, from the calling thread.</li>
 * </ol>
 */
public final class ArenaStatsReporter implements AutoCloseable
{
    /** Default interval: one minute. */
    public static final long DEFAULT_INTERVAL_MILLIS = 60_000;
    public static final String PROP_INTERVAL_MILLIS = "arena.stats.reportIntervalMillis";
    public static final String DEFAULT_LOGGER_NAME = "io.arenaalloc.stats.ArenaStatsReporter";
    public static final String PROP_LOGGER_NAME = "arena.stats.reportLogger";
    public static final Level DEFAULT_LEVEL = Level.INFO;
    public static final String PROP_LEVEL = "arena.stats.reportLevel";
    public static final String THREAD_NAME = "arena-stats-reporter";

    private final ArenaStatsRegistry registry;
    private final long intervalMillis;
    private final Logger logger;
    private final Level level;
    private volatile boolean running;
    private Thread thread;

    private ArenaStatsReporter(final Builder b)
    {
        this.registry = b.registry;
        this.intervalMillis = b.intervalMillis;
        this.logger = LoggerFactory.getLogger(b.loggerName);
        this.level = b.level;
    }

    public static Builder builder(final ArenaStatsRegistry registry)
    {
        return new Builder(registry);
    }

    /** @return the summary lines of one report: each arena, then the total when there are two or more. */
    public static String[] formatReport(final List<ArenaSnapshot> arenas)
    {
        return formatReport(arenas, List.of());
    }

    /**
     * @return the summary lines of one report: each arena, their total when there are two or more, each allocator,
     * the allocators' total when there are two or more.
     */
    public static String[] formatReport(final List<ArenaSnapshot> arenas, final List<AllocatorSnapshot> allocators)
    {
        final List<String> lines = new java.util.ArrayList<>();
        for (final ArenaSnapshot s : arenas)
        {
            lines.add(formatLine(s));
        }
        if (arenas.size() >= 2)
        {
            lines.add(formatLine(ArenaStats.total(arenas)));
        }
        for (final AllocatorSnapshot a : allocators)
        {
            lines.add(formatAllocatorLine(a));
        }
        if (allocators.size() >= 2)
        {
            lines.add(formatAllocatorLine(AllocatorSnapshot.total(ArenaStats.TOTAL_NAME, allocators)));
        }
        return lines.toArray(new String[0]);
    }

    /** @return the summary line of one allocator snapshot (see the class comment). */
    public static String formatAllocatorLine(final AllocatorSnapshot s)
    {
        final StringBuilder sb = new StringBuilder(400);
        sb.append(s.name());
        if (s.isTotal())
        {
            sb.append(" (").append(s.allocatorCount()).append(" allocators)");
        }
        sb.append(": ").append(StatsFormat.grouped(s.arenasOpen())).append(" arenas open, budget ")
            .append(StatsFormat.bytes(s.budgetCommittedBytes())).append(" committed");
        if (s.budgetLimitBytes() == Long.MAX_VALUE)
        {
            sb.append(", no limit");
        }
        else
        {
            sb.append(" of ").append(StatsFormat.bytes(s.budgetLimitBytes()));
        }
        sb.append("; threads ").append(StatsFormat.grouped(s.threadsRegistered())).append(" registered, ")
            .append(StatsFormat.grouped(s.threadsEnded())).append(" ended");
        sb.append("; arenas ").append(StatsFormat.grouped(s.arenasCreated())).append(" created, ")
            .append(StatsFormat.grouped(s.arenasOrphaned())).append(" orphaned, ")
            .append(StatsFormat.grouped(s.arenasAdopted())).append(" adopted, ")
            .append(StatsFormat.grouped(s.arenasClosed())).append(" closed");
        sb.append("; remote frees ").append(StatsFormat.grouped(s.remoteFreesBatched())).append(" batched in ")
            .append(StatsFormat.grouped(s.batchesPublished())).append(" batches (")
            .append(StatsFormat.grouped(s.batchesOverflowed())).append(" overflowed), ")
            .append(StatsFormat.grouped(s.singleFrees())).append(" single (")
            .append(StatsFormat.grouped(s.singleFreesOverflowed())).append(" overflowed), ")
            .append(StatsFormat.grouped(s.ringFullLockedFrees())).append(" locked, ")
            .append(StatsFormat.grouped(s.remoteFreeErrors())).append(" errors, ")
            .append(StatsFormat.grouped(s.remoteFreesDeferred())).append(" deferred");
        sb.append("; stripe rehashes ").append(StatsFormat.grouped(s.stripeRehashes()));
        sb.append("; limit waits ").append(StatsFormat.grouped(s.limitWaits())).append(", failures ")
            .append(StatsFormat.grouped(s.limitFailures()));
        sb.append("; maintenance runs ").append(StatsFormat.grouped(s.maintenanceRuns()));
        return sb.toString();
    }

    /** @return the summary line of one snapshot (see the class comment). */
    public static String formatLine(final ArenaSnapshot s)
    {
        final StringBuilder sb = new StringBuilder(400);
        final boolean published = s.publishes() != 0;
        sb.append(s.name());
        if (s.isTotal())
        {
            sb.append(" (").append(s.arenaCount()).append(" arenas)");
        }
        sb.append(": live ").append(StatsFormat.bytes(s.liveBytes())).append(" in ")
            .append(StatsFormat.grouped(s.liveBlocks())).append(" blocks (")
            .append(StatsFormat.grouped(s.liveHandles())).append(" handles, ");
        sb.append(published ? StatsFormat.grouped(s.pinnedBlocks()) : "?").append(" pinned)");
        sb.append(", committed ").append(StatsFormat.bytes(s.committedBytes())).append(" (high ")
            .append(StatsFormat.bytes(s.committedHighWater())).append(") in ").append(StatsFormat.grouped(s.chunks()))
            .append(" chunks + ").append(StatsFormat.grouped(s.hugeChunks())).append(" huge");
        if (published)
        {
            sb.append(" (").append(StatsFormat.grouped(s.emptyChunks())).append(" empty), fragmentation ")
                .append(StatsFormat.percent(s.fragmentation())).append(", largest free run ")
                .append(StatsFormat.bytes(s.largestFreeRun()));
        }
        else
        {
            sb.append(" (not published)");
        }
        sb.append("; allocations ").append(StatsFormat.grouped(s.allocations()))
            .append(", frees ").append(StatsFormat.grouped(s.frees()))
            .append(" (local ").append(StatsFormat.grouped(s.localFrees()))
            .append(", remote ").append(StatsFormat.grouped(s.remoteFreesQueued())).append(" queued / ")
            .append(StatsFormat.grouped(s.remoteFreesApplied())).append(" applied)")
            .append(", reallocations ").append(StatsFormat.grouped(s.reallocations()))
            .append(", requested ").append(StatsFormat.bytes(s.requestedBytes()));
        sb.append("; compaction ").append(StatsFormat.grouped(s.compactSteps())).append(" steps ")
            .append(String.format(java.util.Locale.ROOT, "%.1f ms", s.compactNanos() / 1e6))
            .append(", moved ").append(StatsFormat.grouped(s.blocksMoved())).append(" blocks / ")
            .append(StatsFormat.bytes(s.bytesMoved()))
            .append(", skipped pinned ").append(StatsFormat.grouped(s.movesSkippedPinned()))
            .append(", release blocked ").append(StatsFormat.grouped(s.releaseBlocked()));
        sb.append("; limit waits ").append(StatsFormat.grouped(s.limitWaits())).append(", failures ")
            .append(StatsFormat.grouped(s.limitFailures()));
        return sb.toString();
    }

    /** Logs one report now, on the calling thread. */
    public void report()
    {
        if (!logger.isEnabledForLevel(level))
        {
            return;
        }
        final List<AllocatorSnapshot> allocators = registry.allocatorSnapshots();
        final List<ArenaSnapshot> arenas = registry.loneSnapshots();
        for (final AllocatorSnapshot a : allocators)
        {
            arenas.addAll(a.arenas());
        }
        for (final String line : formatReport(arenas, allocators))
        {
            logger.atLevel(level).log(line);
        }
    }

    /** Starts the reporting thread. @return this. */
    public synchronized ArenaStatsReporter start()
    {
        if (thread != null)
        {
            throw new IllegalStateException("reporter already started");
        }
        running = true;
        thread = new Thread(this::run, THREAD_NAME);
        thread.setDaemon(true);
        thread.start();
        return this;
    }

    private void run()
    {
        final long intervalNanos = intervalMillis * 1_000_000L;
        long next = System.nanoTime() + intervalNanos;
        while (running)
        {
            final long wait = next - System.nanoTime();
            if (wait > 0)
            {
                LockSupport.parkNanos(wait);
                continue;
            }
            next += intervalNanos;
            try
            {
                report();
            }
            catch (final RuntimeException ex)
            {
                logger.warn("arena stats report failed", ex);
            }
        }
    }

    /** Stops the thread (waits up to 5 s for it). Idempotent. */
    @Override
    public void close()
    {
        final Thread t;
        synchronized (this)
        {
            running = false;
            t = thread;
        }
        if (t != null)
        {
            LockSupport.unpark(t);
            try
            {
                t.join(5_000);
            }
            catch (final InterruptedException ex)
            {
                Thread.currentThread().interrupt();
            }
        }
    }

    public long intervalMillis()
    {
        return intervalMillis;
    }

    public Level level()
    {
        return level;
    }

    /** Validating builder; options have DEFAULT_* constants and system properties. Not thread safe. */
    public static final class Builder
    {
        private final ArenaStatsRegistry registry;
        private long intervalMillis = SystemProperties.longValue(PROP_INTERVAL_MILLIS, DEFAULT_INTERVAL_MILLIS);
        private String loggerName = System.getProperty(PROP_LOGGER_NAME, DEFAULT_LOGGER_NAME);
        private Level level = parseLevel(System.getProperty(PROP_LEVEL, DEFAULT_LEVEL.name()));

        private Builder(final ArenaStatsRegistry registry)
        {
            if (registry == null)
            {
                throw new IllegalArgumentException("registry=null, expected an ArenaStatsRegistry");
            }
            this.registry = registry;
        }

        private static Level parseLevel(final String name)
        {
            for (final Level l : Level.values())
            {
                if (l.name().equalsIgnoreCase(name))
                {
                    return l;
                }
            }
            throw new IllegalArgumentException(PROP_LEVEL + "=" + name + ", expected one of TRACE DEBUG INFO WARN ERROR");
        }

        /** Interval between reports: 10 ms .. 1 day. Default one minute. */
        public Builder intervalMillis(final long millis)
        {
            if (millis < 10 || millis > 86_400_000L)
            {
                throw new IllegalArgumentException("intervalMillis=" + millis + ", expected 10..86400000");
            }
            this.intervalMillis = millis;
            return this;
        }

        /** SLF4J logger name. Default {@value #DEFAULT_LOGGER_NAME}. */
        public Builder loggerName(final String name)
        {
            if (name == null || name.isEmpty())
            {
                throw new IllegalArgumentException("loggerName=" + name + ", expected a logger name");
            }
            this.loggerName = name;
            return this;
        }

        /** Level of the summary lines. Default INFO. */
        public Builder level(final Level level)
        {
            if (level == null)
            {
                throw new IllegalArgumentException("level=null, expected an org.slf4j.event.Level");
            }
            this.level = level;
            return this;
        }

        public ArenaStatsReporter build()
        {
            intervalMillis(intervalMillis);
            return new ArenaStatsReporter(this);
        }
    }
}
