package io.arenaalloc.netty;

import io.arenaalloc.core.ArenaConfig;
import io.arenaalloc.threads.AllocatorConfig;
import io.arenaalloc.threads.ArenaAllocator;
import io.arenaalloc.threads.Policy;
import io.netty.buffer.AbstractByteBufAllocator;
import io.netty.buffer.ByteBuf;
import io.netty.buffer.ByteBufAllocatorMetricProvider;
import io.netty.util.concurrent.EventExecutor;
import io.netty.util.concurrent.EventExecutorGroup;
import io.netty.util.concurrent.FastThreadLocal;
import io.netty.util.concurrent.FastThreadLocalThread;
import io.netty.util.concurrent.ScheduledFuture;
import org.agrona.UnsafeApi;

import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.atomic.LongAdder;

/**
 * A Netty {@link io.netty.buffer.ByteBufAllocator} whose direct buffers are fixed blocks of an
 * {@link ArenaAllocator}; heap buffers are Netty's own unpooled ones (counted for the metric).
 *
 * <h2>Use: one line in the bootstrap</h2>
 * <pre>{@code
 *   new ServerBootstrap().group(boss, workers).channel(NioServerSocketChannel.class)
 *       .childOption(ChannelOption.ALLOCATOR, ArenaByteBufAllocator.shared())      // <- the line
 *       .childHandler(...);
 *   // optional: give each event loop's spare time to the arenas (drain remote frees, release chunks)
 *   ArenaByteBufAllocator.shared().scheduleMaintenance(workers, 100, TimeUnit.MILLISECONDS);
 * }</pre>
 * Or build one with its own options: {@code ArenaByteBufAllocator.builder().allocatorConfig(cfg).build()}
 * (then {@link #close()} it after the server has stopped and released every buffer).
 *
 * <h2>Vocabulary</h2>
 * <ul>
 *   <li><b>arenas</b>: the {@link ArenaAllocator} behind this allocator, {@link Policy#PER_THREAD} by default:
 *   each event loop (a long-lived platform thread) owns an arena and allocates from it without a lock.</li>
 *   <li><b>block</b>: the fixed block under one direct buffer ({@link ArenaDirectByteBuf}).</li>
 *   <li><b>chunk source</b>: {@link DirectChunkSource}, the arenas' memory: direct {@code ByteBuffer} chunks
 *   ({@link #DEFAULT_CHUNK_SIZE} 1 MiB each), so every block has a NIO view for the transports.</li>
 *   <li><b>remote free</b>: a release on a thread that does not own the block's arena; it goes through the
 *   owner's inbox (see {@code io.arenaalloc.threads.RemoteFreeInbox}) and is applied at the owner's next
 *   drain (every {@code drainInterval} calls, or its next {@link #maintain}).</li>
 *   <li><b>warm block</b>: one minimal (16-byte) block that each Netty event-loop thread
 *   ({@link FastThreadLocalThread}) allocates on its first direct buffer and holds until the thread ends (a {@link FastThreadLocal} frees it
 *   on removal). It keeps the loop's first chunk from ever having zero live blocks, so the arena does not
 *   give back and rebuild that chunk's current slabs after every burst of requests (a request cycle often
 *   frees everything it allocated). Cost: that chunk stays committed while the loop lives. Off with
 *   {@code keepEventLoopArenasWarm(false)}.</li>
 * </ul>
 *
 * <h2>Layout</h2>
 * <pre>
 *   ArenaByteBufAllocator
 *    |-- ArenaAllocator (PER_THREAD)   event loop 1 -&gt; arena 3    event loop 2 -&gt; arena 4    other threads -&gt; own arenas
 *    |       `-- every arena's chunks from one DirectChunkSource (direct ByteBuffers, address -&gt; view table)
 *    |-- heap buffers: Netty's UnpooledHeapByteBuf (counted)
 *    `-- metric: committed chunk bytes, live block bytes, live buffers, heap bytes
 * </pre>
 *
 * <h2>Steps</h2>
 * <ol>
 *   <li>{@code directBuffer(initial, max)}: Netty validates the two capacities; we allocate a fixed block of
 *   {@code max(1, initial)} bytes on the calling thread and wrap the buffer with
 *   {@link AbstractByteBufAllocator#toLeakAwareBuffer(ByteBuf)}, so Netty's {@code ResourceLeakDetector}
 *   tracks it at its configured level.</li>
 *   <li>{@code ensureWritable}: Netty's {@link #calculateNewCapacity} picks the size (doubling to 4 MiB, then
 *   4 MiB steps, never beyond {@code maxCapacity}); the buffer reallocates (see {@link ArenaDirectByteBuf}).</li>
 *   <li>{@code release()} to 0 on any thread: {@link ArenaAllocator#free(long)} (local or remote free).</li>
 *   <li>{@link #maintain} / {@link #scheduleMaintenance}: drain remote frees, compact, close dead threads'
 *   arenas, give emptied chunks back; the arenas' background thread does the global part on its own.</li>
 * </ol>
 *
 * <h2>Addresses stay fixed; how that squares with compaction</h2>
 * A direct buffer's {@code memoryAddress()} does not change while Netty holds the buffer, except through
 * the buffer's own {@code capacity(int)} (as for every Netty buffer). The arenas' compactor moves only
 * <i>movable</i> blocks (handles); this allocator uses <i>fixed</i> blocks only, which compaction never
 * touches: it evacuates handle blocks around them and gives back chunks that became empty. So JNI, NIO
 * and {@code Unsafe} users may keep the address for as long as they keep a reference to the buffer.
 *
 * <h2>Contract</h2>
 * What Netty's own allocators meet: capacity and max capacity, growth by {@code ensureWritable}, composite
 * buffers, reference counting, slices and duplicates, {@code nioBuffer(s)}, {@code memoryAddress}, leak
 * detection. Allocation fails with {@code AllocatorLimitExceededException} at {@code maxTotalBytes} and with
 * {@link OutOfMemoryError} at {@code -XX:MaxDirectMemorySize} (chunks are direct ByteBuffers).
 *
 * <h2>Threading</h2>
 * Every method is thread safe. Buffers follow Netty's rules (one writer at a time, hand-offs through
 * happens-before edges); a buffer may be released on any thread.
 *
 * <h2>Lifecycle</h2>
 * {@link #close()} frees all chunks; it refuses while direct buffers are live (their memory would go with
 * it). The {@link #shared()} instance lives as long as the JVM and cannot be closed. No finalizers.
 */
public final class ArenaByteBufAllocator extends AbstractByteBufAllocator
    implements ByteBufAllocatorMetricProvider, AutoCloseable
{
    /** System property: whether {@code buffer()} returns direct buffers. */
    public static final String PROP_PREFER_DIRECT = "arena.netty.preferDirect";
    public static final boolean DEFAULT_PREFER_DIRECT = true;
    /** System property: whether event-loop threads hold a warm block (see the class Javadoc). */
    public static final String PROP_KEEP_EVENT_LOOP_ARENAS_WARM = "arena.netty.keepEventLoopArenasWarm";
    public static final boolean DEFAULT_KEEP_EVENT_LOOP_ARENAS_WARM = true;
    /** System property: the arenas' chunk size for this allocator (0: the allocator config's, {@code arena.chunkSize}). */
    public static final String PROP_CHUNK_SIZE = "arena.netty.chunkSize";
    /**
     * 1 MiB, a quarter of the arenas' general default: chunks here are direct ByteBuffers, which the JDK zeroes
     * (so a chunk is resident at once), and an event loop's working set is usually far below a chunk. Blocks
     * above half a chunk (512 KiB) get a chunk of their own.
     */
    public static final long DEFAULT_CHUNK_SIZE = 1L << 20;

    private final ArenaAllocator arenas;
    private final DirectChunkSource chunks;
    private final boolean preferDirect;
    private final boolean shared;
    private final ArenaByteBufAllocatorMetric metric;
    /** Null when warm blocks are off. */
    private final FastThreadLocal<WarmBlock> warm;
    final AtomicLong warmBlocks = new AtomicLong();
    final LongAdder directAllocations = new LongAdder();
    final LongAdder directReleases = new LongAdder();
    final LongAdder resizes = new LongAdder();
    final LongAdder resizesByCopy = new LongAdder();
    final LongAdder releasesAfterClose = new LongAdder();
    final LongAdder heapBytes = new LongAdder();

    private ArenaByteBufAllocator(final Builder b, final boolean shared)
    {
        super(b.preferDirect);
        this.preferDirect = b.preferDirect;
        this.shared = shared;
        this.chunks = new DirectChunkSource();
        final AllocatorConfig base = b.allocatorConfig != null ? b.allocatorConfig : AllocatorConfig.defaults();
        final ArenaConfig.Builder ab = base.arenaConfig().toBuilder().memorySource(chunks);
        if (b.chunkSize != 0)
        {
            ab.chunkSize(b.chunkSize);
        }
        final ArenaConfig arenaConfig = ab.build();
        this.arenas = ArenaAllocator.create(base.toBuilder().arenaConfig(arenaConfig).build());
        this.metric = new ArenaByteBufAllocatorMetric(this);
        this.warm = b.keepEventLoopArenasWarm ? new FastThreadLocal<WarmBlock>()
        {
            @Override
            protected WarmBlock initialValue()
            {
                final WarmBlock w = new WarmBlock(arenas.allocate(1));
                warmBlocks.incrementAndGet();
                return w;
            }

            @Override
            protected void onRemoval(final WarmBlock w)
            {
                w.free();
            }
        } : null;
    }

    /** @return a builder; {@link Builder#build()} validates and makes a new allocator. */
    public static Builder builder()
    {
        return new Builder();
    }

    /**
     * The JVM-wide instance for the one-line bootstrap, made on first call from the system properties
     * ({@link #PROP_PREFER_DIRECT}, {@code arena.threads.*}, {@code arena.*}). Never closed.
     */
    public static ArenaByteBufAllocator shared()
    {
        return SharedHolder.INSTANCE;
    }

    // =========================================================================================
    // AbstractByteBufAllocator
    // =========================================================================================

    @Override
    protected ByteBuf newDirectBuffer(final int initialCapacity, final int maxCapacity)
    {
        return toLeakAwareBuffer(new ArenaDirectByteBuf(this, initialCapacity, maxCapacity));
    }

    @Override
    protected ByteBuf newHeapBuffer(final int initialCapacity, final int maxCapacity)
    {
        return toLeakAwareBuffer(new CountingHeapByteBuf(this, initialCapacity, maxCapacity));
    }

    /** True: direct buffers come from arenas, as cheap as a pool's (so {@code ioBuffer()} is direct). */
    @Override
    public boolean isDirectBufferPooled()
    {
        return true;
    }

    @Override
    public ByteBuf buffer()
    {
        return preferDirect ? directBuffer() : heapBuffer();
    }

    @Override
    public ByteBuf buffer(final int initialCapacity)
    {
        return preferDirect ? directBuffer(initialCapacity) : heapBuffer(initialCapacity);
    }

    @Override
    public ByteBuf buffer(final int initialCapacity, final int maxCapacity)
    {
        return preferDirect ? directBuffer(initialCapacity, maxCapacity) : heapBuffer(initialCapacity, maxCapacity);
    }

    @Override
    public ArenaByteBufAllocatorMetric metric()
    {
        return metric;
    }

    // =========================================================================================
    // arenas
    // =========================================================================================

    /** The arenas behind the direct buffers: for statistics ({@code counters()}, {@code arenas()}) and tuning. */
    public ArenaAllocator arenaAllocator()
    {
        return arenas;
    }

    /** @return whether {@code buffer()} gives direct buffers. */
    public boolean preferDirect()
    {
        return preferDirect;
    }

    /**
     * {@link ArenaAllocator#maintain()} on the calling thread: drains the caller's own arena's remote frees,
     * compacts it within budget, reclaims dead threads' arenas, and gives the blocks kept in the caller's thread cache
     * back to their arenas when the thread allocated and freed nothing since its previous call (so an idle thread's
     * second call). Cheap when there is nothing to do.
     * @return work done, 0 when idle.
     */
    public int maintain()
    {
        return arenas.maintain();
    }

    /** As {@link #maintain()} within about {@code budgetNanos}. */
    public int maintain(final long budgetNanos)
    {
        return arenas.maintain(budgetNanos);
    }

    /**
     * Runs {@link #maintain()} on every executor of {@code group} (each event loop maintains its own arena)
     * every {@code period}. Cancel with {@link MaintenanceSchedule#close()}.
     */
    public MaintenanceSchedule scheduleMaintenance(final EventExecutorGroup group, final long period, final TimeUnit unit)
    {
        if (group == null)
        {
            throw new IllegalArgumentException("group=null, expected the EventExecutorGroup whose threads allocate");
        }
        if (unit == null)
        {
            throw new IllegalArgumentException("unit=null, expected a TimeUnit");
        }
        if (period <= 0)
        {
            throw new IllegalArgumentException("period=" + period + " " + unit + ", expected > 0");
        }
        final List<ScheduledFuture<?>> futures = new ArrayList<>();
        for (final EventExecutor executor : group)
        {
            futures.add(executor.scheduleAtFixedRate(this::maintainQuietly, period, period, unit));
        }
        return () -> futures.forEach((f) -> f.cancel(false));
    }

    private void maintainQuietly()
    {
        if (!arenas.isClosed())
        {
            arenas.maintain();
        }
    }

    /** Cancels a {@link #scheduleMaintenance} schedule. */
    @FunctionalInterface
    public interface MaintenanceSchedule extends AutoCloseable
    {
        @Override
        void close();
    }

    /**
     * Closes the arenas, giving every chunk back. Idempotent.
     * @throws UnsupportedOperationException on the {@link #shared()} instance.
     * @throws IllegalStateException while direct buffers are live (nothing is closed then).
     */
    @Override
    public void close()
    {
        if (shared)
        {
            throw new UnsupportedOperationException("the shared() ArenaByteBufAllocator lives as long as the JVM; " +
                "close allocators made by builder() instead");
        }
        final long live = metric.activeDirectBuffers();
        if (live != 0 && !arenas.isClosed())
        {
            throw new IllegalStateException("close: " + live + " direct buffers are still live (allocated " +
                directAllocations.sum() + ", released " + directReleases.sum() + "), expected 0: release them first, " +
                "their memory would be freed under them");
        }
        arenas.close();
    }

    public boolean isClosed()
    {
        return arenas.isClosed();
    }

    @Override
    public String toString()
    {
        return "ArenaByteBufAllocator{preferDirect=" + preferDirect + ", policy=" + arenas.policy() + ", shared=" +
            shared + ", " + metric + '}';
    }

    // =========================================================================================
    // blocks, for ArenaDirectByteBuf
    // =========================================================================================

    DirectChunkSource chunkSource()
    {
        return chunks;
    }

    long allocateBlock(final int capacity)
    {
        if (warm != null && Thread.currentThread() instanceof FastThreadLocalThread)
        {
            warm.get(); // an indexed read after the first time
        }
        final long address = arenas.allocate(Math.max(1, capacity));
        directAllocations.increment();
        return address;
    }

    /**
     * Resizes a block. {@code holder}: the caller allocated it (so under PER_THREAD it owns its arena).
     * @return the new address (possibly the same).
     */
    long resizeBlock(final long address, final boolean holder, final int oldCapacity, final int newCapacity)
    {
        final long size = Math.max(1, newCapacity);
        resizes.increment();
        if (holder || arenas.policy() == Policy.STRIPED)
        {
            try
            {
                return arenas.reallocate(address, size);
            }
            catch (final IllegalStateException notOwner)
            {
                if (arenas.isClosed())
                {
                    throw notOwner;
                }
                // the block is in an arena this thread may not resize: copy below (nothing changed yet)
            }
        }
        resizesByCopy.increment();
        final long next = arenas.allocate(size);
        UnsafeApi.copyMemory(address, next, Math.min(oldCapacity, newCapacity));
        arenas.free(address);
        return next;
    }

    void freeBlock(final long address)
    {
        if (arenas.isClosed())
        {
            releasesAfterClose.increment(); // close() already gave the memory back
            return;
        }
        arenas.free(address);
        directReleases.increment();
    }

    /** A loop thread's warm block: freed once, by the thread's FastThreadLocal cleanup (or never, after close). */
    private final class WarmBlock
    {
        private final AtomicLong address;

        WarmBlock(final long address)
        {
            this.address = new AtomicLong(address);
        }

        void free()
        {
            final long a = address.getAndSet(0);
            if (a != 0 && !arenas.isClosed())
            {
                try
                {
                    arenas.free(a);
                    warmBlocks.decrementAndGet();
                    arenas.flushThreadCache(); // the loop thread is ending: its cached blocks go home now
                }
                catch (final IllegalStateException closedMeanwhile)
                {
                    // close() gave the memory back already
                }
            }
        }
    }

    // =========================================================================================
    // builder
    // =========================================================================================

    /**
     * Validating builder. Options, defaults and properties:
     * <pre>
     *   option            default                      property
     *   preferDirect      true                         arena.netty.preferDirect
     *   keepEventLoopArenasWarm  true                  arena.netty.keepEventLoopArenasWarm
     *   chunkSize         1 MiB (0: allocatorConfig's) arena.netty.chunkSize
     *   allocatorConfig   AllocatorConfig.defaults()   arena.threads.* and arena.* (see AllocatorConfig, ArenaConfig)
     * </pre>
     * The allocator config's memory source is replaced by this allocator's {@link DirectChunkSource} (every
     * block needs a NIO view); everything else (policy, limits, maintenance, chunk size) is used as given.
     */
    public static final class Builder
    {
        private boolean preferDirect = Boolean.parseBoolean(
            System.getProperty(PROP_PREFER_DIRECT, Boolean.toString(DEFAULT_PREFER_DIRECT)));
        private boolean keepEventLoopArenasWarm = Boolean.parseBoolean(System.getProperty(
            PROP_KEEP_EVENT_LOOP_ARENAS_WARM, Boolean.toString(DEFAULT_KEEP_EVENT_LOOP_ARENAS_WARM)));
        private long chunkSize = Long.getLong(PROP_CHUNK_SIZE, DEFAULT_CHUNK_SIZE);
        private AllocatorConfig allocatorConfig;

        private Builder()
        {
        }

        /** Whether {@code buffer()} gives direct buffers ({@code ioBuffer()} always does). */
        public Builder preferDirect(final boolean preferDirect)
        {
            this.preferDirect = preferDirect;
            return this;
        }

        /** Whether each Netty event-loop thread holds a warm block (see the class Javadoc). */
        public Builder keepEventLoopArenasWarm(final boolean on)
        {
            this.keepEventLoopArenasWarm = on;
            return this;
        }

        /**
         * The arenas' chunk size: a power of two in [{@link ArenaConfig#MIN_CHUNK_SIZE},
         * {@link ArenaConfig#MAX_CHUNK_SIZE}], or 0 to keep the one in {@link #allocatorConfig}.
         */
        public Builder chunkSize(final long bytes)
        {
            if (bytes != 0 && (bytes < ArenaConfig.MIN_CHUNK_SIZE || bytes > ArenaConfig.MAX_CHUNK_SIZE ||
                Long.bitCount(bytes) != 1))
            {
                throw new IllegalArgumentException("chunkSize=" + bytes + ", expected 0 (the allocator config's) or a " +
                    "power of two in [" + ArenaConfig.MIN_CHUNK_SIZE + ", " + ArenaConfig.MAX_CHUNK_SIZE + "]");
            }
            this.chunkSize = bytes;
            return this;
        }

        /** Options of the arenas (policy, limits, maintenance, arena config); its memory source is replaced. */
        public Builder allocatorConfig(final AllocatorConfig config)
        {
            if (config == null)
            {
                throw new IllegalArgumentException("allocatorConfig=null, expected an AllocatorConfig");
            }
            this.allocatorConfig = config;
            return this;
        }

        public ArenaByteBufAllocator build()
        {
            validate();
            return new ArenaByteBufAllocator(this, false);
        }

        ArenaByteBufAllocator buildShared()
        {
            validate();
            return new ArenaByteBufAllocator(this, true);
        }

        /** Checks what system properties set (the setters check what callers set). */
        private void validate()
        {
            chunkSize(chunkSize);
            if (allocatorConfig == null)
            {
                allocatorConfig = AllocatorConfig.defaults();
            }
            final long effective = chunkSize != 0 ? chunkSize : allocatorConfig.arenaConfig().chunkSize();
            if (effective > allocatorConfig.maxTotalBytes())
            {
                throw new IllegalArgumentException("chunkSize=" + effective + " > allocatorConfig.maxTotalBytes=" +
                    allocatorConfig.maxTotalBytes() + ", expected a chunk to fit the limit");
            }
        }
    }

    private static final class SharedHolder
    {
        static final ArenaByteBufAllocator INSTANCE = new Builder().buildShared();
    }
}
