package io.arenaalloc.core;

/**
 * Validated, immutable configuration of an {@link OffHeapArena}.
 *
 * <p>Every option has a documented default ({@code DEFAULT_*}) and a system property
 * ({@code PROP_*}) that overrides that default; an explicit builder call overrides both. A property that is set
 * must parse ({@link SystemProperties}): {@code builder()} throws on {@code -Darena.chunkSize=4M} instead of
 * silently keeping the default.
 * The builder validates each value when it is set and names the parameter, the value and what
 * was expected when it rejects one.
 *
 * <pre>
 *   option                     default        property                          range
 *   chunkSize                  4 MiB          arena.chunkSize                   power of two, 256 KiB .. 1 GiB
 *   maxTotalBytes              unlimited      arena.maxTotalBytes               &gt;= chunkSize
 *   spareChunks                1              arena.spareChunks                 0 .. 1024
 *   memorySource               native malloc  -                                 any {@link MemorySource}
 *   debug                      false          arena.debug                       guard bytes, poisoning, periodic validation
 *   debugValidateEveryLog2     16             arena.debug.validateEveryLog2     0 .. 30 (full validate every 2^N ops)
 *   freeMarks                  false          arena.freeMarks                   a {@link FreeMark} in every non-live small
 *                                                                               fixed block (off in debug mode); the
 *                                                                               thread-safe facade turns it on for its
 *                                                                               stripes and thread caches
 *   fragmentationThreshold     0.20           arena.compact.threshold           0.0 .. 1.0
 *   compactStepNanos           2000           arena.compact.stepNanos           &gt;= 0
 *   compactStepBytes           16 KiB         arena.compact.stepBytes           &gt;= 0 (larger blocks wait for a larger budget)
 *   compactOnAllocationFailure true           arena.compact.onAllocationFailure
 *   compactOnFailureNanos      2 ms           arena.compact.onFailureNanos      0 .. 10 s (the most one failing allocation compacts)
 *   mediumFreeCacheBytes       4 MiB          arena.freeCache.mediumBytes       0 .. 1 GiB (0: no medium free cache)
 *   arenaId                    auto           -                                 0 .. 32767
 *   chunkListener              none           -                                 told of every chunk added/removed
 * </pre>
 */
public final class ArenaConfig
{
    public static final String PROP_CHUNK_SIZE = "arena.chunkSize";
    public static final String PROP_MAX_TOTAL_BYTES = "arena.maxTotalBytes";
    public static final String PROP_SPARE_CHUNKS = "arena.spareChunks";
    public static final String PROP_DEBUG = "arena.debug";
    public static final String PROP_FREE_MARKS = "arena.freeMarks";
    public static final String PROP_DEBUG_VALIDATE_EVERY_LOG2 = "arena.debug.validateEveryLog2";
    public static final String PROP_FRAGMENTATION_THRESHOLD = "arena.compact.threshold";
    public static final String PROP_COMPACT_STEP_NANOS = "arena.compact.stepNanos";
    public static final String PROP_COMPACT_STEP_BYTES = "arena.compact.stepBytes";
    public static final String PROP_COMPACT_ON_ALLOCATION_FAILURE = "arena.compact.onAllocationFailure";
    public static final String PROP_MEDIUM_FREE_CACHE_BYTES = "arena.freeCache.mediumBytes";
    public static final String PROP_COMPACT_ON_FAILURE_NANOS = "arena.compact.onFailureNanos";

    public static final long DEFAULT_CHUNK_SIZE = 4L << 20;
    public static final long MIN_CHUNK_SIZE = 256L << 10;
    public static final long MAX_CHUNK_SIZE = 1L << 30;
    public static final long DEFAULT_MAX_TOTAL_BYTES = Long.MAX_VALUE;
    public static final int DEFAULT_SPARE_CHUNKS = 1;
    public static final int MAX_SPARE_CHUNKS = 1024;
    public static final boolean DEFAULT_DEBUG = false;
    public static final boolean DEFAULT_FREE_MARKS = false;
    public static final int DEFAULT_DEBUG_VALIDATE_EVERY_LOG2 = 16;
    public static final double DEFAULT_FRAGMENTATION_THRESHOLD = 0.20;
    public static final long DEFAULT_COMPACT_STEP_NANOS = 2_000;
    public static final long DEFAULT_COMPACT_STEP_BYTES = 16L << 10;
    public static final boolean DEFAULT_COMPACT_ON_ALLOCATION_FAILURE = true;
    /** 2 ms: a thousand default step budgets. */
    public static final long DEFAULT_COMPACT_ON_FAILURE_NANOS = 2_000_000;
    public static final long MAX_COMPACT_ON_FAILURE_NANOS = 10_000_000_000L;
    public static final long DEFAULT_MEDIUM_FREE_CACHE_BYTES = 4L << 20;
    public static final long MAX_MEDIUM_FREE_CACHE_BYTES = 1L << 30;
    /** Arena ids are {@link HandleTable#ARENA_ID_BITS} wide. */
    public static final int MAX_ARENA_ID = (1 << HandleTable.ARENA_ID_BITS) - 1;
    /** Marks "pick the next free arena id". */
    public static final int AUTO_ARENA_ID = -1;

    private final long chunkSize;
    private final long maxTotalBytes;
    private final int spareChunks;
    private final MemorySource memorySource;
    private final boolean debug;
    private final boolean freeMarks;
    private final int debugValidateEveryLog2;
    private final double fragmentationThreshold;
    private final long compactStepNanos;
    private final long compactStepBytes;
    private final long mediumFreeCacheBytes;
    private final boolean compactOnAllocationFailure;
    private final long compactOnFailureNanos;
    private final int arenaId;
    private final ChunkListener chunkListener;

    private ArenaConfig(final Builder b)
    {
        chunkSize = b.chunkSize;
        maxTotalBytes = b.maxTotalBytes;
        spareChunks = b.spareChunks;
        memorySource = b.memorySource;
        debug = b.debug;
        freeMarks = b.freeMarks;
        debugValidateEveryLog2 = b.debugValidateEveryLog2;
        fragmentationThreshold = b.fragmentationThreshold;
        compactStepNanos = b.compactStepNanos;
        compactStepBytes = b.compactStepBytes;
        mediumFreeCacheBytes = b.mediumFreeCacheBytes;
        compactOnAllocationFailure = b.compactOnAllocationFailure;
        compactOnFailureNanos = b.compactOnFailureNanos;
        arenaId = b.arenaId;
        chunkListener = b.chunkListener;
    }

    public static Builder builder()
    {
        return new Builder();
    }

    /** @return a builder that starts from this configuration. */
    public Builder toBuilder()
    {
        final Builder b = new Builder();
        b.chunkSize = chunkSize;
        b.maxTotalBytes = maxTotalBytes;
        b.spareChunks = spareChunks;
        b.memorySource = memorySource;
        b.debug = debug;
        b.freeMarks = freeMarks;
        b.debugValidateEveryLog2 = debugValidateEveryLog2;
        b.fragmentationThreshold = fragmentationThreshold;
        b.compactStepNanos = compactStepNanos;
        b.compactStepBytes = compactStepBytes;
        b.mediumFreeCacheBytes = mediumFreeCacheBytes;
        b.compactOnAllocationFailure = compactOnAllocationFailure;
        b.compactOnFailureNanos = compactOnFailureNanos;
        b.arenaId = arenaId;
        b.chunkListener = chunkListener;
        return b;
    }

    public static ArenaConfig defaults()
    {
        return builder().build();
    }

    public long chunkSize()
    {
        return chunkSize;
    }

    public long maxTotalBytes()
    {
        return maxTotalBytes;
    }

    public int spareChunks()
    {
        return spareChunks;
    }

    public MemorySource memorySource()
    {
        return memorySource;
    }

    public boolean debug()
    {
        return debug;
    }

    /** Whether non-live small fixed blocks carry their {@link FreeMark} (never in debug mode: see there). */
    public boolean freeMarks()
    {
        return freeMarks;
    }

    public int debugValidateEveryLog2()
    {
        return debugValidateEveryLog2;
    }

    public double fragmentationThreshold()
    {
        return fragmentationThreshold;
    }

    public long compactStepNanos()
    {
        return compactStepNanos;
    }

    public long compactStepBytes()
    {
        return compactStepBytes;
    }

    /** Bytes of freed medium fixed blocks the free cache may hold for reuse; see {@link Builder#mediumFreeCacheBytes}. */
    public long mediumFreeCacheBytes()
    {
        return mediumFreeCacheBytes;
    }

    public boolean compactOnAllocationFailure()
    {
        return compactOnAllocationFailure;
    }

    /** The most time one failing allocation spends compacting; see {@link Builder#compactOnFailureNanos}. */
    public long compactOnFailureNanos()
    {
        return compactOnFailureNanos;
    }

    /** @return the configured arena id, or {@link #AUTO_ARENA_ID}. */
    public int arenaId()
    {
        return arenaId;
    }

    public ChunkListener chunkListener()
    {
        return chunkListener;
    }

    public String toString()
    {
        return "ArenaConfig{chunkSize=" + chunkSize + ", maxTotalBytes=" + maxTotalBytes +
            ", spareChunks=" + spareChunks + ", memorySource=" + memorySource + ", debug=" + debug + ", freeMarks=" + freeMarks +
            ", debugValidateEveryLog2=" + debugValidateEveryLog2 + ", fragmentationThreshold=" + fragmentationThreshold +
            ", compactStepNanos=" + compactStepNanos + ", compactStepBytes=" + compactStepBytes +
            ", compactOnAllocationFailure=" + compactOnAllocationFailure + ", compactOnFailureNanos=" +
            compactOnFailureNanos + ", mediumFreeCacheBytes=" + mediumFreeCacheBytes +
            ", arenaId=" + arenaId + '}';
    }

    /** Fluent, validating builder. Not thread safe. */
    public static final class Builder
    {
        private long chunkSize = SystemProperties.longValue(PROP_CHUNK_SIZE, DEFAULT_CHUNK_SIZE);
        private long maxTotalBytes = SystemProperties.longValue(PROP_MAX_TOTAL_BYTES, DEFAULT_MAX_TOTAL_BYTES);
        private int spareChunks = SystemProperties.intValue(PROP_SPARE_CHUNKS, DEFAULT_SPARE_CHUNKS);
        private MemorySource memorySource;
        private boolean debug = SystemProperties.booleanValue(PROP_DEBUG, DEFAULT_DEBUG);
        private boolean freeMarks = SystemProperties.booleanValue(PROP_FREE_MARKS, DEFAULT_FREE_MARKS);
        private int debugValidateEveryLog2 =
            SystemProperties.intValue(PROP_DEBUG_VALIDATE_EVERY_LOG2, DEFAULT_DEBUG_VALIDATE_EVERY_LOG2);
        private double fragmentationThreshold = SystemProperties.doubleValue(
            PROP_FRAGMENTATION_THRESHOLD, DEFAULT_FRAGMENTATION_THRESHOLD);
        private long compactStepNanos = SystemProperties.longValue(PROP_COMPACT_STEP_NANOS, DEFAULT_COMPACT_STEP_NANOS);
        private long compactStepBytes = SystemProperties.longValue(PROP_COMPACT_STEP_BYTES, DEFAULT_COMPACT_STEP_BYTES);
        private long mediumFreeCacheBytes = SystemProperties.longValue(PROP_MEDIUM_FREE_CACHE_BYTES, DEFAULT_MEDIUM_FREE_CACHE_BYTES);
        private boolean compactOnAllocationFailure = SystemProperties.booleanValue(
            PROP_COMPACT_ON_ALLOCATION_FAILURE, DEFAULT_COMPACT_ON_ALLOCATION_FAILURE);
        private long compactOnFailureNanos = SystemProperties.longValue(PROP_COMPACT_ON_FAILURE_NANOS, DEFAULT_COMPACT_ON_FAILURE_NANOS);
        private int arenaId = AUTO_ARENA_ID;
        private ChunkListener chunkListener = ChunkListener.NONE;

        private Builder()
        {
        }

        /** Size of a regular chunk: a power of two from 256 KiB to 1 GiB. Default 4 MiB. */
        public Builder chunkSize(final long chunkSize)
        {
            if (chunkSize < MIN_CHUNK_SIZE || chunkSize > MAX_CHUNK_SIZE || Long.bitCount(chunkSize) != 1)
            {
                throw new IllegalArgumentException("chunkSize=" + chunkSize + ", expected a power of two in [" +
                    MIN_CHUNK_SIZE + ", " + MAX_CHUNK_SIZE + "]");
            }
            this.chunkSize = chunkSize;
            return this;
        }

        /** Upper bound on the bytes the arena holds from its memory source (regular and huge chunks). */
        public Builder maxTotalBytes(final long maxTotalBytes)
        {
            if (maxTotalBytes <= 0)
            {
                throw new IllegalArgumentException("maxTotalBytes=" + maxTotalBytes + ", expected > 0");
            }
            this.maxTotalBytes = maxTotalBytes;
            return this;
        }

        /** Empty chunks kept for reuse instead of being returned to the source. Default 1. */
        public Builder spareChunks(final int spareChunks)
        {
            if (spareChunks < 0 || spareChunks > MAX_SPARE_CHUNKS)
            {
                throw new IllegalArgumentException("spareChunks=" + spareChunks + ", expected 0.." + MAX_SPARE_CHUNKS);
            }
            this.spareChunks = spareChunks;
            return this;
        }

        /** Where chunks come from. Default: a new {@link NativeMemorySource} per arena. */
        public Builder memorySource(final MemorySource memorySource)
        {
            if (memorySource == null)
            {
                throw new IllegalArgumentException("memorySource=null, expected a MemorySource");
            }
            this.memorySource = memorySource;
            return this;
        }

        /** Guard bytes, poisoning of freed memory and periodic full validation. Default false. */
        public Builder debug(final boolean debug)
        {
            this.debug = debug;
            return this;
        }

        /**
         * Keep a {@link FreeMark} in the first 8 bytes of every small fixed block that is not live, so that a thread
         * other than the arena's owner can tell a free block from a live one without the owner's metadata (what the
         * thread caches of {@code io.arenaalloc.threads.ArenaAllocator} need). Costs a small free one 8-byte load and
         * store into the block, a small allocation one store, and cutting a slab a store per block. Ignored in debug
         * mode, whose poisoning of freed blocks it would break. Default false.
         */
        public Builder freeMarks(final boolean freeMarks)
        {
            this.freeMarks = freeMarks;
            return this;
        }

        /** In debug mode, run {@link OffHeapArena#validate()} every 2^N operations. Default 16. */
        public Builder debugValidateEveryLog2(final int log2)
        {
            if (log2 < 0 || log2 > 30)
            {
                throw new IllegalArgumentException("debugValidateEveryLog2=" + log2 + ", expected 0..30");
            }
            this.debugValidateEveryLog2 = log2;
            return this;
        }

        /** Fragmentation (1 - live/committed of movable chunks) above which a compaction step does work. */
        public Builder fragmentationThreshold(final double threshold)
        {
            if (!(threshold >= 0.0 && threshold <= 1.0))
            {
                throw new IllegalArgumentException("fragmentationThreshold=" + threshold + ", expected 0.0..1.0");
            }
            this.fragmentationThreshold = threshold;
            return this;
        }

        /** Default time budget of one {@link OffHeapArena#compact()} step. Default 2000 ns. */
        public Builder compactStepNanos(final long nanos)
        {
            if (nanos < 0)
            {
                throw new IllegalArgumentException("compactStepNanos=" + nanos + ", expected >= 0");
            }
            this.compactStepNanos = nanos;
            return this;
        }

        /**
         * Default byte budget of one compaction step. Default 16 KiB (about 2 us of copying): a step never moves a
         * block larger than its byte budget, so larger blocks move only in steps given a larger budget.
         */
        public Builder compactStepBytes(final long bytes)
        {
            if (bytes < 0)
            {
                throw new IllegalArgumentException("compactStepBytes=" + bytes + ", expected >= 0");
            }
            this.compactStepBytes = bytes;
            return this;
        }

        /**
         * Bytes of freed medium fixed blocks (4 KiB .. 32 KiB) that the free cache may hold for the next allocation of
         * the same length, as a thread cache does; the cache gives them back to the free runs when a length's stack
         * is full, when an allocation finds no space, on {@link OffHeapArena#flushFreeCache} (idle maintenance) and
         * when the arena has no live block. Default 4 MiB: churn-mixed reuses 94% of its medium blocks from the
         * cache at 4 MiB against 75% at 1 MiB, about 9% less time per pair. 0 turns the medium cache off.
         */
        public Builder mediumFreeCacheBytes(final long bytes)
        {
            if (bytes < 0 || bytes > MAX_MEDIUM_FREE_CACHE_BYTES)
            {
                throw new IllegalArgumentException("mediumFreeCacheBytes=" + bytes + ", expected 0.." +
                    MAX_MEDIUM_FREE_CACHE_BYTES);
            }
            this.mediumFreeCacheBytes = bytes;
            return this;
        }

        /** Whether a movable allocation that finds no free run compacts before it takes a new chunk. */
        public Builder compactOnAllocationFailure(final boolean compact)
        {
            this.compactOnAllocationFailure = compact;
            return this;
        }

        /**
         * With {@link #compactOnAllocationFailure}, the most time one allocation that found no space spends compacting
         * before it takes a new chunk or fails: the bound on that allocation's added latency (plus one step's
         * overrun, at most ten step budgets). Default 2 ms. 0 compacts nothing at allocation (as
         * {@code compactOnAllocationFailure(false)}); a latency-critical owner that compacts in idle periods may
         * want 0 or a few microseconds.
         */
        public Builder compactOnFailureNanos(final long nanos)
        {
            if (nanos < 0 || nanos > MAX_COMPACT_ON_FAILURE_NANOS)
            {
                throw new IllegalArgumentException("compactOnFailureNanos=" + nanos + ", expected 0.." +
                    MAX_COMPACT_ON_FAILURE_NANOS);
            }
            this.compactOnFailureNanos = nanos;
            return this;
        }

        /** Arena id encoded into every handle: 0..32767, or {@link #AUTO_ARENA_ID}. */
        public Builder arenaId(final int arenaId)
        {
            if (arenaId != AUTO_ARENA_ID && (arenaId < 0 || arenaId > MAX_ARENA_ID))
            {
                throw new IllegalArgumentException("arenaId=" + arenaId + ", expected 0.." + MAX_ARENA_ID + " or -1");
            }
            this.arenaId = arenaId;
            return this;
        }

        /** Told of every chunk the arena adds or removes (slow path, owner thread). Default: none. */
        public Builder chunkListener(final ChunkListener listener)
        {
            if (listener == null)
            {
                throw new IllegalArgumentException("chunkListener=null, expected a ChunkListener (or ChunkListener.NONE)");
            }
            this.chunkListener = listener;
            return this;
        }

        public ArenaConfig build()
        {
            chunkSize(chunkSize);
            maxTotalBytes(maxTotalBytes);
            if (maxTotalBytes < chunkSize)
            {
                throw new IllegalArgumentException("maxTotalBytes=" + maxTotalBytes + ", expected >= chunkSize=" + chunkSize);
            }
            spareChunks(spareChunks);
            debugValidateEveryLog2(debugValidateEveryLog2);
            fragmentationThreshold(fragmentationThreshold);
            compactStepNanos(compactStepNanos);
            compactStepBytes(compactStepBytes);
            mediumFreeCacheBytes(mediumFreeCacheBytes);
            compactOnFailureNanos(compactOnFailureNanos);
            return new ArenaConfig(this);
        }
    }
}
