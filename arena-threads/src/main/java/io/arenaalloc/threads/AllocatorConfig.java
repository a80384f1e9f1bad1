package io.arenaalloc.threads;

import io.arenaalloc.core.ArenaConfig;
import io.arenaalloc.core.SystemProperties;
import org.agrona.ErrorHandler;
import org.slf4j.LoggerFactory;

import java.util.function.Function;

/**
 * Validated, immutable configuration of an {@link ArenaAllocator}.
 *
 * <p>Every option has a default ({@code DEFAULT_*}) and a system property ({@code PROP_*}) that overrides
 * that default; an explicit builder call overrides both. The builder validates each value when it is set
 * and names the option, the value and what was expected when it rejects one. Arena options (chunk size,
 * per-arena limit, spares, debug, compaction budgets) come from {@link #arenaConfig()}, with their own
 * {@code arena.*} properties; the allocator sets each arena's id and chunk listener itself (a listener
 * configured there is still called, after the allocator's).
 *
 * <pre>
 *   option                  default            property                                  range
 *   policy                  PER_THREAD         arena.threads.policy                      PER_THREAD | STRIPED
 *   stripes                 0 = auto           arena.threads.stripes                     0, or a power of two 1..4096
 *                           (cores, rounded up to a power of two)
 *   maxThreadArenas         1024               arena.threads.maxThreadArenas             1..32768
 *   remoteFreeBatchSize     64                 arena.threads.remoteFree.batchSize        1..4096 frees per batch
 *   inboxCapacity           1024               arena.threads.inbox.capacity              power of two 2..2^20 batches
 *   ringCapacity            4096               arena.threads.inbox.ringCapacity          power of two 2..2^22 frees
 *   drainInterval           64                 arena.threads.drainInterval               1..2^20 allocations (owner),
 *                                                                                       calls (stripe)
 *   threadCacheBytes        256 KiB            arena.threads.threadCacheBytes            0 (off) .. 64 MiB per thread:
 *                                                                                       small blocks the thread freed
 *                                                                                       (any per-thread arena's), and
 *                                                                                       remote frees of its own that
 *                                                                                       it drained, kept for its own
 *                                                                                       next allocations
 *                                                                                       ({@link ThreadBlockCache})
 *   maxTotalBytes           unlimited          arena.threads.maxTotalBytes               &gt;= arena chunkSize
 *   limitWaitNanos          0 (fail at once)   arena.threads.limitWaitNanos              &gt;= 0
 *   backgroundMaintenance   true               arena.threads.maintenance.background      a daemon AgentRunner thread
 *   maintenancePeriodNanos  10 ms              arena.threads.maintenance.periodNanos     &gt;= 1 us
 *   maintenanceBudgetNanos  100 us             arena.threads.maintenance.budgetNanos     &gt;= 0
 *   livenessScanNanos       10 ms              arena.threads.livenessScanNanos           &gt;= 0 (0: every maintain)
 *   arenaConfig             ArenaConfig.defaults()  arena.* (see ArenaConfig)
 *   errorHandler            SLF4J warning      -                                         reports failed remote frees
 * </pre>
 */
public final class AllocatorConfig
{
    public static final String PROP_POLICY = "arena.threads.policy";
    public static final String PROP_STRIPES = "arena.threads.stripes";
    public static final String PROP_MAX_THREAD_ARENAS = "arena.threads.maxThreadArenas";
    public static final String PROP_REMOTE_FREE_BATCH_SIZE = "arena.threads.remoteFree.batchSize";
    public static final String PROP_INBOX_CAPACITY = "arena.threads.inbox.capacity";
    public static final String PROP_RING_CAPACITY = "arena.threads.inbox.ringCapacity";
    public static final String PROP_DRAIN_INTERVAL = "arena.threads.drainInterval";
    public static final String PROP_MAX_TOTAL_BYTES = "arena.threads.maxTotalBytes";
    public static final String PROP_THREAD_CACHE_BYTES = "arena.threads.threadCacheBytes";
    public static final String PROP_LIMIT_WAIT_NANOS = "arena.threads.limitWaitNanos";
    public static final String PROP_BACKGROUND_MAINTENANCE = "arena.threads.maintenance.background";
    public static final String PROP_MAINTENANCE_PERIOD_NANOS = "arena.threads.maintenance.periodNanos";
    public static final String PROP_MAINTENANCE_BUDGET_NANOS = "arena.threads.maintenance.budgetNanos";
    public static final String PROP_LIVENESS_SCAN_NANOS = "arena.threads.livenessScanNanos";

    public static final Policy DEFAULT_POLICY = Policy.PER_THREAD;
    /** 0: as many stripes as available processors, rounded up to a power of two. */
    public static final int DEFAULT_STRIPES = 0;
    public static final int MAX_STRIPES = 4096;
    public static final int DEFAULT_MAX_THREAD_ARENAS = 1024;
    public static final int DEFAULT_REMOTE_FREE_BATCH_SIZE = 64;
    public static final int MAX_REMOTE_FREE_BATCH_SIZE = 4096;
    public static final int DEFAULT_INBOX_CAPACITY = 1024;
    public static final int MAX_INBOX_CAPACITY = 1 << 20;
    public static final int DEFAULT_RING_CAPACITY = 4096;
    public static final int MAX_RING_CAPACITY = 1 << 22;
    public static final int DEFAULT_DRAIN_INTERVAL = 64;
    public static final int MAX_DRAIN_INTERVAL = 1 << 20;
    public static final long DEFAULT_MAX_TOTAL_BYTES = Long.MAX_VALUE;
    public static final long DEFAULT_THREAD_CACHE_BYTES = 256 << 10;
    public static final long MAX_THREAD_CACHE_BYTES = 64 << 20;
    public static final long DEFAULT_LIMIT_WAIT_NANOS = 0;
    public static final boolean DEFAULT_BACKGROUND_MAINTENANCE = true;
    public static final long DEFAULT_MAINTENANCE_PERIOD_NANOS = 10_000_000;
    public static final long MIN_MAINTENANCE_PERIOD_NANOS = 1_000;
    public static final long DEFAULT_MAINTENANCE_BUDGET_NANOS = 100_000;
    public static final long DEFAULT_LIVENESS_SCAN_NANOS = 10_000_000;

    /** Logs a failed remote free as an SLF4J warning. */
    public static final ErrorHandler LOGGING_ERROR_HANDLER =
        (throwable) -> LoggerFactory.getLogger(ArenaAllocator.class).warn("remote free failed", throwable);

    private final Policy policy;
    private final int stripes;
    private final int maxThreadArenas;
    private final int remoteFreeBatchSize;
    private final int inboxCapacity;
    private final int ringCapacity;
    private final int drainInterval;
    private final long maxTotalBytes;
    private final long threadCacheBytes;
    private final long limitWaitNanos;
    private final boolean backgroundMaintenance;
    private final long maintenancePeriodNanos;
    private final long maintenanceBudgetNanos;
    private final long livenessScanNanos;
    private final ArenaConfig arenaConfig;
    private final ErrorHandler errorHandler;

    private AllocatorConfig(final Builder<?> b)
    {
        policy = b.policy;
        stripes = b.stripes == 0 ? autoStripes() : b.stripes;
        maxThreadArenas = b.maxThreadArenas;
        remoteFreeBatchSize = b.remoteFreeBatchSize;
        inboxCapacity = b.inboxCapacity;
        ringCapacity = b.ringCapacity;
        drainInterval = b.drainInterval;
        maxTotalBytes = b.maxTotalBytes;
        threadCacheBytes = b.threadCacheBytes;
        limitWaitNanos = b.limitWaitNanos;
        backgroundMaintenance = b.backgroundMaintenance;
        maintenancePeriodNanos = b.maintenancePeriodNanos;
        maintenanceBudgetNanos = b.maintenanceBudgetNanos;
        livenessScanNanos = b.livenessScanNanos;
        arenaConfig = b.arenaConfig != null ? b.arenaConfig : ArenaConfig.defaults();
        errorHandler = b.errorHandler;
    }

    private static int autoStripes()
    {
        final int cores = Math.max(1, Runtime.getRuntime().availableProcessors());
        int n = Integer.highestOneBit(cores);
        if (n < cores)
        {
            n <<= 1;
        }
        return Math.min(MAX_STRIPES, n);
    }

    /** @return a builder whose {@link Builder#build()} returns the configuration itself. */
    public static Builder<AllocatorConfig> builder()
    {
        return new Builder<>(Function.identity());
    }

    public static AllocatorConfig defaults()
    {
        return builder().build();
    }

    /** @return a builder that starts from this configuration and builds another configuration. */
    public Builder<AllocatorConfig> toBuilder()
    {
        final Builder<AllocatorConfig> b = builder();
        b.policy = policy;
        b.stripes = stripes;
        b.maxThreadArenas = maxThreadArenas;
        b.remoteFreeBatchSize = remoteFreeBatchSize;
        b.inboxCapacity = inboxCapacity;
        b.ringCapacity = ringCapacity;
        b.drainInterval = drainInterval;
        b.maxTotalBytes = maxTotalBytes;
        b.threadCacheBytes = threadCacheBytes;
        b.limitWaitNanos = limitWaitNanos;
        b.backgroundMaintenance = backgroundMaintenance;
        b.maintenancePeriodNanos = maintenancePeriodNanos;
        b.maintenanceBudgetNanos = maintenanceBudgetNanos;
        b.livenessScanNanos = livenessScanNanos;
        b.arenaConfig = arenaConfig;
        b.errorHandler = errorHandler;
        return b;
    }

    public Policy policy()
    {
        return policy;
    }

    /** @return the number of stripes (a power of two; resolved when the default 0 was configured). */
    public int stripes()
    {
        return stripes;
    }

    public int maxThreadArenas()
    {
        return maxThreadArenas;
    }

    public int remoteFreeBatchSize()
    {
        return remoteFreeBatchSize;
    }

    public int inboxCapacity()
    {
        return inboxCapacity;
    }

    public int ringCapacity()
    {
        return ringCapacity;
    }

    public int drainInterval()
    {
        return drainInterval;
    }

    public long maxTotalBytes()
    {
        return maxTotalBytes;
    }

    /** Bytes of other threads' small blocks a thread may keep for its own reuse ({@link ThreadBlockCache}); 0: off. */
    public long threadCacheBytes()
    {
        return threadCacheBytes;
    }

    public long limitWaitNanos()
    {
        return limitWaitNanos;
    }

    public boolean backgroundMaintenance()
    {
        return backgroundMaintenance;
    }

    public long maintenancePeriodNanos()
    {
        return maintenancePeriodNanos;
    }

    public long maintenanceBudgetNanos()
    {
        return maintenanceBudgetNanos;
    }

    public long livenessScanNanos()
    {
        return livenessScanNanos;
    }

    public ArenaConfig arenaConfig()
    {
        return arenaConfig;
    }

    public ErrorHandler errorHandler()
    {
        return errorHandler;
    }

    public String toString()
    {
        return "AllocatorConfig{policy=" + policy + ", stripes=" + stripes + ", maxThreadArenas=" + maxThreadArenas +
            ", remoteFreeBatchSize=" + remoteFreeBatchSize + ", inboxCapacity=" + inboxCapacity + ", ringCapacity=" +
            ringCapacity + ", drainInterval=" + drainInterval + ", maxTotalBytes=" + maxTotalBytes + ", threadCacheBytes=" +
            threadCacheBytes + ", limitWaitNanos=" +
            limitWaitNanos + ", backgroundMaintenance=" + backgroundMaintenance + ", maintenancePeriodNanos=" +
            maintenancePeriodNanos + ", maintenanceBudgetNanos=" + maintenanceBudgetNanos + ", livenessScanNanos=" +
            livenessScanNanos + ", arenaConfig=" + arenaConfig + '}';
    }

    /**
     * Fluent, validating builder. Not thread safe.
     * @param <R> what {@link #build()} returns: the {@link AllocatorConfig}, or, from
     * {@link ArenaAllocator#builder()}, the {@link ArenaAllocator} itself.
     */
    public static final class Builder<R>
    {
        private final Function<AllocatorConfig, R> finisher;
        private Policy policy = parsePolicy(System.getProperty(PROP_POLICY, DEFAULT_POLICY.name()));
        private int stripes = SystemProperties.intValue(PROP_STRIPES, DEFAULT_STRIPES);
        private int maxThreadArenas = SystemProperties.intValue(PROP_MAX_THREAD_ARENAS, DEFAULT_MAX_THREAD_ARENAS);
        private int remoteFreeBatchSize = SystemProperties.intValue(PROP_REMOTE_FREE_BATCH_SIZE, DEFAULT_REMOTE_FREE_BATCH_SIZE);
        private int inboxCapacity = SystemProperties.intValue(PROP_INBOX_CAPACITY, DEFAULT_INBOX_CAPACITY);
        private int ringCapacity = SystemProperties.intValue(PROP_RING_CAPACITY, DEFAULT_RING_CAPACITY);
        private int drainInterval = SystemProperties.intValue(PROP_DRAIN_INTERVAL, DEFAULT_DRAIN_INTERVAL);
        private long maxTotalBytes = SystemProperties.longValue(PROP_MAX_TOTAL_BYTES, DEFAULT_MAX_TOTAL_BYTES);
        private long limitWaitNanos = SystemProperties.longValue(PROP_LIMIT_WAIT_NANOS, DEFAULT_LIMIT_WAIT_NANOS);
        private long threadCacheBytes = SystemProperties.longValue(PROP_THREAD_CACHE_BYTES, DEFAULT_THREAD_CACHE_BYTES);
        private boolean backgroundMaintenance = SystemProperties.booleanValue(PROP_BACKGROUND_MAINTENANCE, DEFAULT_BACKGROUND_MAINTENANCE);
        private long maintenancePeriodNanos = SystemProperties.longValue(PROP_MAINTENANCE_PERIOD_NANOS, DEFAULT_MAINTENANCE_PERIOD_NANOS);
        private long maintenanceBudgetNanos = SystemProperties.longValue(PROP_MAINTENANCE_BUDGET_NANOS, DEFAULT_MAINTENANCE_BUDGET_NANOS);
        private long livenessScanNanos = SystemProperties.longValue(PROP_LIVENESS_SCAN_NANOS, DEFAULT_LIVENESS_SCAN_NANOS);
        private ArenaConfig arenaConfig;
        private ErrorHandler errorHandler = LOGGING_ERROR_HANDLER;

        Builder(final Function<AllocatorConfig, R> finisher)
        {
            this.finisher = finisher;
        }

        private static Policy parsePolicy(final String name)
        {
            try
            {
                return Policy.valueOf(name.trim().toUpperCase(java.util.Locale.ROOT));
            }
            catch (final IllegalArgumentException ex)
            {
                throw new IllegalArgumentException(PROP_POLICY + "=" + name + ", expected PER_THREAD or STRIPED", ex);
            }
        }

        public Builder<R> policy(final Policy policy)
        {
            if (policy == null)
            {
                throw new IllegalArgumentException("policy=null, expected PER_THREAD or STRIPED");
            }
            this.policy = policy;
            return this;
        }

        /** Number of striped arenas: a power of two from 1 to 4096, or 0 for one per core (rounded up). */
        public Builder<R> stripes(final int stripes)
        {
            if (stripes < 0 || stripes > MAX_STRIPES || (stripes != 0 && Integer.bitCount(stripes) != 1))
            {
                throw new IllegalArgumentException("stripes=" + stripes + ", expected 0 (auto) or a power of two in [1, " +
                    MAX_STRIPES + "]");
            }
            this.stripes = stripes;
            return this;
        }

        /** PER_THREAD: arenas owned by living threads at most; further platform threads share the stripes. */
        public Builder<R> maxThreadArenas(final int max)
        {
            if (max < 1 || max > ArenaConfig.MAX_ARENA_ID + 1)
            {
                throw new IllegalArgumentException("maxThreadArenas=" + max + ", expected 1.." + (ArenaConfig.MAX_ARENA_ID + 1));
            }
            this.maxThreadArenas = max;
            return this;
        }

        /** Remote frees per batch (one CAS publishes one batch). */
        public Builder<R> remoteFreeBatchSize(final int size)
        {
            if (size < 1 || size > MAX_REMOTE_FREE_BATCH_SIZE)
            {
                throw new IllegalArgumentException("remoteFreeBatchSize=" + size + ", expected 1.." + MAX_REMOTE_FREE_BATCH_SIZE);
            }
            this.remoteFreeBatchSize = size;
            return this;
        }

        /** Batches an arena's batch queue holds before batches go to its overflow stack. */
        public Builder<R> inboxCapacity(final int capacity)
        {
            if (capacity < 2 || capacity > MAX_INBOX_CAPACITY || Integer.bitCount(capacity) != 1)
            {
                throw new IllegalArgumentException("inboxCapacity=" + capacity + ", expected a power of two in [2, " +
                    MAX_INBOX_CAPACITY + "]");
            }
            this.inboxCapacity = capacity;
            return this;
        }

        /** Single frees an arena's ring holds before the full-ring fallback. */
        public Builder<R> ringCapacity(final int capacity)
        {
            if (capacity < 2 || capacity > MAX_RING_CAPACITY || Integer.bitCount(capacity) != 1)
            {
                throw new IllegalArgumentException("ringCapacity=" + capacity + ", expected a power of two in [2, " +
                    MAX_RING_CAPACITY + "]");
            }
            this.ringCapacity = capacity;
            return this;
        }

        /**
         * An arena's holder drains its inbox (when it has something) before every this many allocations by its owning
         * thread (PER_THREAD: frees never drain, they cannot use what a drain gives back) or every this many calls
         * under a stripe's lock.
         */
        public Builder<R> drainInterval(final int calls)
        {
            if (calls < 1 || calls > MAX_DRAIN_INTERVAL)
            {
                throw new IllegalArgumentException("drainInterval=" + calls + ", expected 1.." + MAX_DRAIN_INTERVAL);
            }
            this.drainInterval = calls;
            return this;
        }

        /**
         * Bytes of small fixed blocks (class sizes; a class holds one block per 4 KiB of this, 16 to 64) that a thread
         * which owns an arena keeps when it frees them, whichever per-thread arena allocated them, to serve its own next
         * allocations of those sizes ({@link ThreadBlockCache}); 0 turns it off. Turns on the arenas' free marks
         * ({@code ArenaConfig.freeMarks}). Off in any case when the arenas run in debug mode. Default 256 KiB: on
         * larson it ran 13% faster than 64 KiB and 4% faster than 128 KiB; 512 KiB (128 a class) about 4% faster
         * again (tools/larson-interleave, one JVM).
         */
        public Builder<R> threadCacheBytes(final long bytes)
        {
            if (bytes < 0 || bytes > MAX_THREAD_CACHE_BYTES)
            {
                throw new IllegalArgumentException("threadCacheBytes=" + bytes + ", expected 0.." + MAX_THREAD_CACHE_BYTES);
            }
            this.threadCacheBytes = bytes;
            return this;
        }

        /** Bytes all arenas together may take from their memory sources. */
        public Builder<R> maxTotalBytes(final long bytes)
        {
            if (bytes <= 0)
            {
                throw new IllegalArgumentException("maxTotalBytes=" + bytes + ", expected > 0");
            }
            this.maxTotalBytes = bytes;
            return this;
        }

        /**
         * Back-pressure: how long an allocation that meets a limit waits for remote frees to land and chunks
         * to be released before it throws {@link AllocatorLimitExceededException}. 0: throw at once.
         */
        public Builder<R> limitWaitNanos(final long nanos)
        {
            if (nanos < 0)
            {
                throw new IllegalArgumentException("limitWaitNanos=" + nanos + ", expected >= 0");
            }
            this.limitWaitNanos = nanos;
            return this;
        }

        /** Whether a daemon thread runs {@link ArenaAllocator#maintain} every {@code maintenancePeriodNanos}. */
        public Builder<R> backgroundMaintenance(final boolean on)
        {
            this.backgroundMaintenance = on;
            return this;
        }

        /** Sleep of the background thread between runs, and the minimum period of stripe maintenance. */
        public Builder<R> maintenancePeriodNanos(final long nanos)
        {
            if (nanos < MIN_MAINTENANCE_PERIOD_NANOS)
            {
                throw new IllegalArgumentException("maintenancePeriodNanos=" + nanos + ", expected >= " +
                    MIN_MAINTENANCE_PERIOD_NANOS);
            }
            this.maintenancePeriodNanos = nanos;
            return this;
        }

        /** Time budget of one background or idle-strategy maintenance run. */
        public Builder<R> maintenanceBudgetNanos(final long nanos)
        {
            if (nanos < 0)
            {
                throw new IllegalArgumentException("maintenanceBudgetNanos=" + nanos + ", expected >= 0");
            }
            this.maintenanceBudgetNanos = nanos;
            return this;
        }

        /** Least time between two scans for ended threads (0: at every maintain call). */
        public Builder<R> livenessScanNanos(final long nanos)
        {
            if (nanos < 0)
            {
                throw new IllegalArgumentException("livenessScanNanos=" + nanos + ", expected >= 0");
            }
            this.livenessScanNanos = nanos;
            return this;
        }

        /** Configuration of every arena (its id and chunk listener are set by the allocator). */
        public Builder<R> arenaConfig(final ArenaConfig config)
        {
            if (config == null)
            {
                throw new IllegalArgumentException("arenaConfig=null, expected an ArenaConfig");
            }
            this.arenaConfig = config;
            return this;
        }

        /** Told of remote frees the owner rejected (double free, stale handle), on the owner's thread. */
        public Builder<R> errorHandler(final ErrorHandler handler)
        {
            if (handler == null)
            {
                throw new IllegalArgumentException("errorHandler=null, expected an ErrorHandler");
            }
            this.errorHandler = handler;
            return this;
        }

        /** Validates everything (system properties included) and builds. */
        public R build()
        {
            stripes(stripes);
            maxThreadArenas(maxThreadArenas);
            remoteFreeBatchSize(remoteFreeBatchSize);
            inboxCapacity(inboxCapacity);
            ringCapacity(ringCapacity);
            drainInterval(drainInterval);
            maxTotalBytes(maxTotalBytes);
            threadCacheBytes(threadCacheBytes);
            limitWaitNanos(limitWaitNanos);
            maintenancePeriodNanos(maintenancePeriodNanos);
            maintenanceBudgetNanos(maintenanceBudgetNanos);
            livenessScanNanos(livenessScanNanos);
            final ArenaConfig ac = arenaConfig != null ? arenaConfig : ArenaConfig.defaults();
            if (maxTotalBytes < ac.chunkSize())
            {
                throw new IllegalArgumentException("maxTotalBytes=" + maxTotalBytes + ", expected >= arena chunkSize=" +
                    ac.chunkSize());
            }
            return finisher.apply(new AllocatorConfig(this));
        }
    }
}
