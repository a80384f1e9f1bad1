package io.arenaalloc.core;

import java.lang.invoke.MethodHandles;
import java.lang.invoke.VarHandle;

import org.agrona.UnsafeApi;
import org.agrona.concurrent.UnsafeBuffer;

import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicReferenceArray;

/**
 * A single-owner arena of native memory: size-class slabs for small blocks, best fit over runs of
 * granules for medium blocks, dedicated chunks for huge blocks; fixed blocks (raw addresses) and
 * movable blocks (stable handles, compacted while idle).
 *
 * <h2>Vocabulary</h2>
 * <ul>
 *   <li><b>chunk</b>: a region from the {@link MemorySource} ({@code chunkSize}, default 4 MiB), see {@link Chunk}.</li>
 *   <li><b>granule</b>: 256 bytes, one bit of a chunk's occupancy bitmap.</li>
 *   <li><b>small</b> block: 1 .. 4096 bytes, from a size-class {@link Slab} (28 classes, {@link SizeClasses}).</li>
 *   <li><b>medium</b> block: 4097 .. chunkSize / 2 bytes, a run of granules found by best fit ({@link FreeRunIndex}).</li>
 *   <li><b>huge</b> block: above chunkSize / 2, a dedicated chunk of its size rounded up to 4 KiB.</li>
 *   <li><b>fixed</b> block: addressed by its raw address, never moves ({@link #allocate}).</li>
 *   <li><b>movable</b> block: addressed by a handle ({@link #allocateHandle}); lives in separate chunks
 *   (the movable {@link Heap}) and may be moved by {@link #compact()} while unpinned.</li>
 * </ul>
 *
 * <h2>Layout</h2>
 * <pre>
 *   OffHeapArena
 *    |-- fixed heap:   chunks [slab|slab|medium|free|slab|...] [....] + FreeRunIndex + slab lists
 *    |-- movable heap: chunks [....] [....]                    + FreeRunIndex + slab lists
 *    |-- huge chunks:  [one block] [one block]
 *    |-- ChunkMap:     address -&gt; chunk, O(1)
 *    |-- HandleTable:  handle -&gt; (state word, address, size)
 *    `-- ArenaCounters (owner-written, readable from any thread; -Darena.counters=off stores nothing)
 * </pre>
 *
 * <h2>Contract, in numbers</h2>
 * <ul>
 *   <li>Every block is aligned to 16 bytes; {@link #allocateAligned} gives any power of two up to chunkSize.</li>
 *   <li>No header in native memory: metadata is out of band on the Java heap, about 5.6% of each
 *   regular chunk ({@link Chunk}: 14.25 bytes per 256-byte granule, start bits and {@link SlabMap} included), plus
 *   24 bytes per handle slot. With {@link ArenaConfig#freeMarks()} the first 8 bytes of a small fixed block that is
 *   not live hold its {@link FreeMark} (the block's own bytes, not a header: a live block's are all the user's);
 *   a small free then loads and stores that word, a small allocation stores it.</li>
 *   <li>Rounding: small sizes waste at most 25% (mean about 11%); medium at most 255 bytes plus the
 *   free-run index's good fit or the medium free cache's longer block (each at most 1/16 of a run).</li>
 *   <li>Small fixed blocks go through a per-class free cache (LIFO, 64 a class, see {@link Heap}): a free
 *   + allocate pair then touches no slab; the cache gives its blocks back to their slabs when a class
 *   fills, when the arena empties, when space runs out, and on {@link #flushFreeCache()}.</li>
 *   <li>Work per call, worst case: allocate small = a cache pop, else 2 bit scans; allocate medium = 8 list steps +
 *   6 bitmap-word scans + n/64 words for n granules; free = a check of the last chunk found (else one
 *   hash probe) + O(1) coalescing +
 *   n/64 words; taking or releasing a chunk additionally costs one call to the memory source and
 *   chunkSize / 128 KiB map inserts.</li>
 *   <li>Zero garbage: allocate, free, resolve, pin, unpin and reallocate create no Java objects in
 *   steady state (only new chunks, slabs beyond the high-water mark and handle-table growth do).</li>
 * </ul>
 *
 * <h2>Threading</h2>
 * One owner thread calls everything except {@link #pin}, {@link #unpin}, {@link #pinned} and
 * {@link #counters()}, which any thread may call. The arena does not check which thread calls; the
 * {@code arena-threads} module builds thread-safe allocators from arenas.
 *
 * <h2>Bad input</h2>
 * Every rejected call throws before it changes anything: {@link IllegalArgumentException} for sizes and
 * alignments, {@link InvalidBlockException} for foreign addresses and double frees (with free marks, also for a
 * small fixed block that carries its {@link FreeMark}: kept in some thread's cache, so not live),
 * {@link StaleHandleException} for stale handles, {@link ArenaLimitExceededException} at the limit, and
 * {@link IllegalStateException} after {@link #close()}; the message names the parameter, its value and what was
 * expected. One qualification: an allocation (or reallocation) that meets the limit (this arena's
 * {@code maxTotalBytes}, or a refusal by its {@link MemorySource}, such as an allocator's global budget, which is
 * then the exception thrown) while a chunk could still come free first gives the free cache's blocks back to their slabs and free runs (blocks already free to the
 * user; empty slabs and chunks may go back with them) and, with {@code compactOnAllocationFailure} (the default),
 * runs compaction steps for at most {@code compactOnFailureNanos} (default 2 ms), which may move unpinned handle
 * blocks (their handles stay valid), before it gives up. Live blocks, their bytes and the counters but
 * {@code limit-failures} stay as they were.
 */
public final class OffHeapArena implements AutoCloseable
{
    /** Largest size any single request may name: 2^46 bytes (64 TiB). */
    public static final long MAX_REQUEST = 1L << 46;
    /** Guard bytes after each block in debug mode. */
    public static final int GUARD_BYTES = 16;
    /** Chunk metadata objects kept for reuse, per kind (regular, huge). */
    static final int CHUNK_POOL_SIZE = 8;
    static final byte GUARD_BYTE = (byte)0xAB;
    static final byte POISON_BYTE = (byte)0xDD;

    /** The next id to try for an arena with {@link ArenaConfig#AUTO_ARENA_ID} (round robin over all ids). */
    private static final AtomicInteger NEXT_AUTO_ID = new AtomicInteger();
    private static final AtomicReferenceArray<OffHeapArena> ARENAS =
        new AtomicReferenceArray<>(ArenaConfig.MAX_ARENA_ID + 1);

    /**
     * The running totals that are also the per-call counters (see {@link ArenaCounters}, "Per-call counters"):
     * the owner writes them with opaque stores, any thread reads them through these handles.
     */
    static final VarHandle LIVE_BYTES_VH;
    static final VarHandle LIVE_BLOCKS_VH;
    static final VarHandle ALLOCATION_COUNT_VH;
    static final VarHandle FREE_COUNT_VH;
    static final VarHandle REQUESTED_BYTES_VH;
    static final VarHandle LIVE_HIGH_WATER_VH;

    static
    {
        UnsafeAccess.ensureAvailable();
        try
        {
            final MethodHandles.Lookup lookup = MethodHandles.lookup();
            LIVE_BYTES_VH = lookup.findVarHandle(OffHeapArena.class, "liveBytes", long.class);
            LIVE_BLOCKS_VH = lookup.findVarHandle(OffHeapArena.class, "liveBlocks", long.class);
            ALLOCATION_COUNT_VH = lookup.findVarHandle(OffHeapArena.class, "allocationCount", long.class);
            FREE_COUNT_VH = lookup.findVarHandle(OffHeapArena.class, "freeCount", long.class);
            REQUESTED_BYTES_VH = lookup.findVarHandle(OffHeapArena.class, "requestedBytes", long.class);
            LIVE_HIGH_WATER_VH = lookup.findVarHandle(OffHeapArena.class, "liveHighWater", long.class);
        }
        catch (final ReflectiveOperationException ex)
        {
            throw new ExceptionInInitializerError(ex);
        }
    }

    private final ArenaConfig config;
    private final MemorySource source;
    private final boolean ownsSource;
    private final int arenaId;
    private final long chunkSize;
    private final long mediumMax;
    private final int spareChunks;
    private final long maxTotalBytes;
    private final boolean debug;
    /** {@link FreeMark}s are kept ({@link ArenaConfig#freeMarks()}, never in debug mode). */
    final boolean freeMarks;
    private final int guard;
    private final long validateMask;
    private final ChunkMap chunkMap = new ChunkMap(1024);
    private final Heap fixed;
    private final Heap movable;
    private final HandleTable handles;
    private final ArenaCounters counters = new ArenaCounters(this);
    private final Compactor compactor;
    private final ChunkListener chunkListener;

    /** Chunk objects of released regular and huge chunks, reused so steady state allocates nothing. */
    private final Chunk[] regularPool = new Chunk[CHUNK_POOL_SIZE];
    private int regularPoolSize;
    private final Chunk[] hugePool = new Chunk[CHUNK_POOL_SIZE];
    private int hugePoolSize;
    private Slab[] slabs = new Slab[64];
    private int slabCount;
    private int[] freeChunkIds = new int[16];
    private int freeChunkTop;
    private int nextChunkId;
    private long committedBytes;
    /** The memory source's refusal of the chunk {@link #growHeap} last asked for, until {@link #noSpace} throws it. */
    private ArenaLimitExceededException sourceRefusal;
    // owner-written running totals that double as the per-call counters: opaque stores (a plain move on x86 and
    // AArch64) through the *_VH handles, plain reads by the owner, opaque reads by ArenaCounters on any thread
    private long liveBytes;
    private long liveBlocks;
    private long allocationCount;
    private long freeCount;       // counters only: kept when ArenaCounters.ENABLED
    private long requestedBytes;  // counters only: kept when ArenaCounters.ENABLED
    private long liveHighWater;   // counters only: kept when ArenaCounters.ENABLED
    /** Chunks given back to the source; kept here (not read back from the counters) because compactForSpace decides with it. */
    private long chunksReleased;
    private long opCount;
    private boolean closed;

    private OffHeapArena(final ArenaConfig config)
    {
        this.config = config;
        this.ownsSource = config.memorySource() == null;
        this.source = ownsSource ? new NativeMemorySource() : config.memorySource();
        this.chunkSize = config.chunkSize();
        this.mediumMax = chunkSize >>> 1;
        this.spareChunks = config.spareChunks();
        this.maxTotalBytes = config.maxTotalBytes();
        this.debug = config.debug();
        this.freeMarks = config.freeMarks() && !this.debug;
        this.guard = debug ? GUARD_BYTES : 0;
        this.validateMask = (1L << config.debugValidateEveryLog2()) - 1;
        final int granuleBits = Long.numberOfTrailingZeros(chunkSize) - SizeClasses.GRANULE_SHIFT + 1;
        this.fixed = new Heap(this, false, chunkMap, granuleBits);
        this.movable = new Heap(this, true, chunkMap, granuleBits);
        this.arenaId = register(config.arenaId());
        this.handles = new HandleTable(arenaId);
        this.compactor = new Compactor(this);
        this.chunkListener = config.chunkListener();
    }

    /** @return a new arena with {@link ArenaConfig#defaults()}. */
    public static OffHeapArena create()
    {
        return create(ArenaConfig.defaults());
    }

    public static OffHeapArena create(final ArenaConfig config)
    {
        if (config == null)
        {
            throw new IllegalArgumentException("config=null, expected an ArenaConfig");
        }
        return new OffHeapArena(config);
    }

    /** @return the open arena with this id, or null. Any thread. */
    public static OffHeapArena byId(final int arenaId)
    {
        return arenaId >= 0 && arenaId <= ArenaConfig.MAX_ARENA_ID ? ARENAS.get(arenaId) : null;
    }

    private int register(final int requested)
    {
        if (requested != ArenaConfig.AUTO_ARENA_ID)
        {
            if (!ARENAS.compareAndSet(requested, null, this))
            {
                throw new IllegalStateException("arenaId=" + requested + " is taken by an open arena, expected a free id");
            }
            return requested;
        }
        // round robin, not the lowest free id: a closed arena's id comes back only after every other id has been
        // handed out since, so its stale handles meet "arena not open" instead of the slots of a new arena with the
        // same id, whose generations start again at 0 (see HandleTable, "Arena ids")
        for (int i = 0; i <= ArenaConfig.MAX_ARENA_ID; i++)
        {
            final int id = NEXT_AUTO_ID.getAndIncrement() & ArenaConfig.MAX_ARENA_ID;
            if (ARENAS.get(id) == null && ARENAS.compareAndSet(id, null, this))
            {
                return id;
            }
        }
        throw new IllegalStateException("no free arena id: " + (ArenaConfig.MAX_ARENA_ID + 1) + " arenas are open");
    }

    // =========================================================================================
    // fixed blocks
    // =========================================================================================

    /**
     * Allocates a fixed block of at least {@code size} bytes, aligned to 16.
     * @return its address; never 0.
     */
    public long allocate(final long size)
    {
        checkOpen();
        checkSize("size", size);
        final long address = allocateFixed(size + guard, size);
        afterAllocate(address, size);
        return address;
    }

    /** As {@link #allocate(long)}, with the first {@code size} bytes set to zero. */
    public long allocateZeroed(final long size)
    {
        final long address = allocate(size);
        UnsafeApi.setMemory(address, size, (byte)0);
        return address;
    }

    /**
     * Allocates a fixed block whose address is a multiple of {@code alignment}.
     * @param alignment a power of two from 1 to chunkSize.
     */
    public long allocateAligned(final long size, final long alignment)
    {
        checkOpen();
        checkSize("size", size);
        if (alignment <= 0 || Long.bitCount(alignment) != 1 || alignment > chunkSize)
        {
            throw new IllegalArgumentException("alignment=" + alignment + ", expected a power of two from 1 to chunkSize=" +
                chunkSize);
        }
        final long internal = size + guard;
        long address = 0;
        if (alignment <= SizeClasses.QUANTUM)
        {
            address = allocateFixed(internal, size);
        }
        else if (internal <= SizeClasses.SMALL_MAX && alignment <= SizeClasses.GRANULE)
        {
            for (int cls = SizeClasses.classOf(internal); cls < SizeClasses.CLASS_COUNT; cls++)
            {
                final int cs = SizeClasses.classSize(cls);
                if (cs > 2 * internal + alignment)
                {
                    break;
                }
                if (cs % alignment == 0)
                {
                    address = allocateSmall(cls, size);
                    break;
                }
            }
        }
        if (address == 0)
        {
            if (internal <= mediumMax - alignment)
            {
                address = allocateMediumAligned(internal, alignment, size);
            }
            else
            {
                address = allocateHuge(fixed, internal, alignment, size);
            }
        }
        afterAllocate(address, size);
        return address;
    }

    private long allocateMediumAligned(final long internal, final long alignment, final long requested)
    {
        final int n = (int)SizeClasses.granulesFor(Math.max(internal, SizeClasses.SMALL_MAX + 1));
        final int extra = alignment <= SizeClasses.GRANULE ? 0 : (int)(alignment >>> SizeClasses.GRANULE_SHIFT) - 1;
        int ref = fixed.allocateRun(n + extra);
        if (ref < 0 && reclaimForSpace())
        {
            ref = fixed.allocateRun(n + extra);
        }
        if (ref < 0)
        {
            throw noSpace(requested);
        }
        final Chunk chunk = fixed.runs.chunkOf(ref);
        final int g = fixed.runs.granuleOf(ref);
        final long start = chunk.granuleAddress(g);
        final long aligned = (start + alignment - 1) & -alignment;
        final int head = (int)((aligned - start) >>> SizeClasses.GRANULE_SHIFT);
        final int tail = extra - head;
        if (head > 0)
        {
            fixed.freeRun(chunk, g, head);
        }
        if (tail > 0)
        {
            fixed.freeRun(chunk, g + head + n, tail);
        }
        chunk.setTag(g + head, Chunk.TAG_BLOCK | n);
        chunk.addLive((long)n << SizeClasses.GRANULE_SHIFT);
        addLive((long)n << SizeClasses.GRANULE_SHIFT);
        return aligned;
    }

    /**
     * Frees a fixed block by address, or a movable block by handle (handles are negative).
     * @throws InvalidBlockException for a foreign address, an address inside a block, a double free, or a
     * stale handle; the arena is unchanged.
     */
    public void free(final long addressOrHandle)
    {
        checkOpen();
        if (addressOrHandle < 0)
        {
            freeHandle(addressOrHandle);
            return;
        }
        final long address = addressOrHandle;
        final Chunk chunk = chunkMap.find(address);
        if (chunk == null)
        {
            throw foreign("free", address);
        }
        if (chunk.heap == fixed)
        {
            final long offset = address - chunk.base;
            final int g = (int)(offset >>> SizeClasses.GRANULE_SHIFT);
            final int[] meta = chunk.meta;
            final int word = meta[g];
            if (chunk.isSlab(g))
            {
                // small or medium is decided on the slab bitmap (in L1), not on the meta int (maybe a cache
                // miss: see Chunk); the bit is set exactly on granules tagged SLAB (Chunk.tagSlab/untagSlab,
                // checked by validate), so the kind is not tested again. The start bit, in the same int as the
                // class, is the check (a double free or an address inside a block finds it clear); the block goes
                // to the free cache, its slab is not touched (see Heap "Free cache")
                final int bit = Chunk.startBit(offset);
                if ((offset & (SizeClasses.QUANTUM - 1)) != 0 || (word & bit) == 0)
                {
                    throw notABlock("free", address, chunk);
                }
                if (freeMarks && FreeMark.isMarked(address))
                {
                    throw parkedElsewhere("free", address);
                }
                freeSmallChecked(chunk, g, word, bit, address, freeMarks); // FreeMark step 3 when it keeps marks
                return;
            }
            if (Chunk.tagKind(word) == Chunk.TAG_BLOCK && (address & (SizeClasses.GRANULE - 1)) == 0 && chunk.isUsed(g))
            {
                final int n = Chunk.tagValue(word);
                final long size = (long)n << SizeClasses.GRANULE_SHIFT;
                beforeFree(address, size - guard);
                if (!fixed.mediumCachePush(chunk, g, n))
                {
                    fixed.freeMedium(chunk, g);
                }
                afterFree(size);
                return;
            }
            throw notABlock("free", address, chunk);
        }
        if (chunk.isHuge())
        {
            if (chunk.hugeHandleIndex >= 0 && address == chunk.hugeBlockAddress)
            {
                throw movableByAddress("free", address);
            }
            if (chunk.hugeHandleIndex >= 0 || address != chunk.hugeBlockAddress)
            {
                throw notABlock("free", address, chunk);
            }
            final long size = chunk.size - (chunk.hugeBlockAddress - chunk.base);
            beforeFree(address, size - guard);
            releaseHugeChunk(chunk);
            afterFree(size);
            return;
        }
        throw movableByAddress("free", address);
    }

    /**
     * The tail of both small-block frees ({@link #free} and {@link #freeMarked}), once the caller has checked that
     * {@code address} is the start of a live block of slab granule {@code g} (start bit {@code bit} set in
     * {@code word = chunk.meta[g]}) and has checked its mark: debug poisoning, the mark when {@code mark}, the start
     * bit cleared, the block into the free cache (its slab is not touched: see Heap "Free cache"), the counters.
     * Small enough to be inlined into both callers (PrintInlining: "inline (hot)" in the churn loop).
     */
    private void freeSmallChecked(final Chunk chunk, final int g, final int word, final int bit, final long address,
        final boolean mark)
    {
        final int cls = Chunk.slabClassOf(word);
        final int cs = SizeClasses.classSize(cls);
        beforeFree(address, cs - guard); // nothing outside debug mode
        if (mark)
        {
            FreeMark.mark(address);
        }
        chunk.meta[g] = word & ~bit;
        fixed.cachePush(cls, address, chunk);
        afterFree(cs);
    }

    /**
     * Frees a small fixed block that a thread cache kept and now gives back: it is live in this arena's metadata and
     * carries its {@link FreeMark} (FreeMark step 4: the mark stays on while the block travels home, so that a free
     * of it on the way is rejected as a double free). The block stays marked: it is free now.
     * @throws InvalidBlockException when the address is not a live small fixed block of this arena that carries its
     * mark (the arena is unchanged).
     * @throws IllegalStateException without free marks ({@link ArenaConfig#freeMarks()}), or after {@link #close()}.
     */
    public void freeMarked(final long address)
    {
        checkOpen();
        if (!freeMarks)
        {
            throw new IllegalStateException("freeMarked: arena " + arenaId + " keeps no free marks, expected an arena " +
                "built with ArenaConfig.freeMarks(true)");
        }
        final Chunk chunk = address > 0 ? chunkMap.find(address) : null;
        if (chunk != null && chunk.heap == fixed)
        {
            // the common case in one pass (the owner applies every remote free of a thread cache or a stripe's outbox
            // here): the steps of free()'s small-block path, with the mark expected instead of rejected
            final long offset = address - chunk.base;
            final int g = (int)(offset >>> SizeClasses.GRANULE_SHIFT);
            if (chunk.isSlab(g))
            {
                final int[] meta = chunk.meta;
                final int word = meta[g];
                final int bit = Chunk.startBit(offset);
                if ((offset & (SizeClasses.QUANTUM - 1)) == 0 && (word & bit) != 0 && FreeMark.isMarked(address))
                {
                    freeSmallChecked(chunk, g, word, bit, address, false); // it keeps its mark: free now (step 3)
                    return;
                }
            }
        }
        // anything else fails below, with the message of its case
        if (fixedBlockSize("freeMarked", address) > SizeClasses.SMALL_MAX) // a live fixed block, or it throws
        {
            throw notABlock("freeMarked", address, chunkMap.find(address));
        }
        if (!FreeMark.isMarked(address))
        {
            throw new InvalidBlockException("freeMarked: address=0x" + Long.toHexString(address) + " of arena " +
                arenaId + " carries no free mark, expected a block a thread cache gave back");
        }
        FreeMark.clear(address); // a live, validated small block: the ordinary free below marks it again
        free(address);
    }

    /**
     * Resizes a fixed block (by address) or a movable block (by handle). A fixed block stays in place
     * when it fits or when the free run after a medium block is long enough; otherwise it is copied
     * to a new block (the first min(old, new) bytes) and the old block is freed.
     * @return the new address (fixed) or the same handle (movable; the block may have moved).
     */
    public long reallocate(final long addressOrHandle, final long newSize)
    {
        checkOpen();
        if (addressOrHandle < 0)
        {
            return reallocateHandle(addressOrHandle, newSize);
        }
        checkSize("newSize", newSize);
        final long address = addressOrHandle;
        final long usable = liveFixedBlockSize("reallocate", address);
        final long next = reallocateFixed(address, usable, newSize);
        counters.addOpaque(ArenaCounters.REALLOCATIONS, 1); // counted once it succeeded: a rejected call changes nothing
        return next;
    }

    private long reallocateFixed(final long address, final long usable, final long newSize)
    {
        final long internal = newSize + guard;
        if (!debug)
        {
            final Chunk chunk = chunkMap.find(address);
            if (internal <= usable && (usable <= SizeClasses.SMALL_MAX || chunk.isHuge()))
            {
                return address;
            }
            if (!chunk.isHuge() && usable > SizeClasses.SMALL_MAX && internal > SizeClasses.SMALL_MAX &&
                internal <= mediumMax)
            {
                final int g = chunk.granuleOf(address);
                final int n2 = (int)SizeClasses.granulesFor(internal);
                final int n = Chunk.tagValue(chunk.tag(g));
                if (n2 == n)
                {
                    return address;
                }
                if (n2 < n)
                {
                    fixed.shrinkMedium(chunk, g, n2);
                    addLive(-(long)(n - n2) << SizeClasses.GRANULE_SHIFT);
                    return address;
                }
                if (fixed.tryGrowMedium(chunk, g, n2))
                {
                    addLive((long)(n2 - n) << SizeClasses.GRANULE_SHIFT);
                    return address;
                }
            }
        }
        if (debug)
        {
            checkGuard(address, usable); // before the new block exists: a broken guard leaves the arena as it was
        }
        final long next = allocate(newSize);
        UnsafeApi.copyMemory(address, next, Math.min(usable, newSize));
        free(address);
        return next;
    }

    /** @return the usable bytes of a live fixed block: at least what was requested. */
    public long usableSize(final long address)
    {
        checkOpen();
        return liveFixedBlockSize("usableSize", address);
    }

    /**
     * {@link #fixedBlockSize}, and a small block that carries its free mark is rejected: it is live in this arena's
     * metadata but free (parked in a thread cache, or on its way back), so a size for it, or a reallocation in place
     * that would hand it out while a cache holds it, is a use after free.
     */
    private long liveFixedBlockSize(final String operation, final long address)
    {
        final long size = fixedBlockSize(operation, address);
        if (freeMarks && size <= SizeClasses.SMALL_MAX && FreeMark.isMarked(address))
        {
            throw parkedElsewhere(operation, address);
        }
        return size;
    }

    /**
     * Points {@code buffer} at the usable bytes of a live fixed block. Allocates nothing: reuse one
     * flyweight {@link UnsafeBuffer} for many blocks.
     * @return {@code buffer}, for chaining.
     */
    public UnsafeBuffer wrap(final UnsafeBuffer buffer, final long address)
    {
        checkBuffer(buffer);
        final long size = usableSize(address);
        buffer.wrap(address, (int)Math.min(size, Integer.MAX_VALUE));
        return buffer;
    }

    /** Usable size of a live fixed block at {@code address}, or throws. */
    private long fixedBlockSize(final String operation, final long address)
    {
        if (address < 0)
        {
            throw new InvalidBlockException(operation + ": address=0x" + Long.toHexString(address) +
                " is a handle, expected the address of a fixed block");
        }
        final Chunk chunk = chunkMap.find(address);
        if (chunk == null)
        {
            throw foreign(operation, address);
        }
        if (chunk.isHuge())
        {
            if (chunk.hugeHandleIndex >= 0 && address == chunk.hugeBlockAddress)
            {
                throw movableByAddress(operation, address);
            }
            if (chunk.hugeHandleIndex >= 0 || address != chunk.hugeBlockAddress)
            {
                throw notABlock(operation, address, chunk);
            }
            return chunk.size - (address - chunk.base) - guard;
        }
        if (chunk.heap != fixed)
        {
            throw movableByAddress(operation, address);
        }
        final long size = blockSizeAt(chunk, address);
        if (size < 0)
        {
            throw notABlock(operation, address, chunk);
        }
        return size - guard;
    }

    /** Raw size of the live block starting at {@code address} in a regular chunk, or -1. */
    private long blockSizeAt(final Chunk chunk, final long address)
    {
        final int g = chunk.granuleOf(address);
        final int tag = chunk.tag(g);
        if (Chunk.tagKind(tag) == Chunk.TAG_SLAB)
        {
            if (chunk.heap == fixed)
            {
                return chunk.isStart(address) ? SizeClasses.classSize(Chunk.slabClassOf(tag)) : -1;
            }
            final Slab slab = slabs[chunk.slabIdAt(g)];
            final int index = slab.indexOf(address);
            return index >= 0 && slab.isAllocated(index) ? slab.classSize : -1;
        }
        if (Chunk.tagKind(tag) == Chunk.TAG_BLOCK && (address & (SizeClasses.GRANULE - 1)) == 0 && chunk.isUsed(g))
        {
            return (long)Chunk.tagValue(tag) << SizeClasses.GRANULE_SHIFT;
        }
        return -1;
    }

    // =========================================================================================
    // movable blocks
    // =========================================================================================

    /**
     * Allocates a movable block of at least {@code size} bytes.
     * @return a handle (a negative long, see {@link HandleTable}) that stays valid until freed while the
     * block behind it may move.
     */
    public long allocateHandle(final long size)
    {
        checkOpen();
        checkSize("size", size);
        final long internal = size + guard;
        final long address;
        final long handle;
        if (internal <= SizeClasses.SMALL_MAX)
        {
            final int cls = SizeClasses.classOf(internal);
            Slab slab = movable.slabFor(cls);
            if (slab == null && reclaimForSpace())
            {
                slab = movable.slabFor(cls);
            }
            if (slab == null)
            {
                throw noSpace(size);
            }
            final int index = slab.allocateIndex();
            slab.chunk.addLive(slab.classSize);
            movable.modifications++;
            address = slab.addressOf(index);
            handle = handles.allocate(address, size);
            slab.handles[index] = HandleTable.indexOf(handle);
            addLive(slab.classSize);
        }
        else if (internal <= mediumMax)
        {
            final int n = (int)SizeClasses.granulesFor(internal);
            long a = movable.allocateMedium(n);
            if (a == 0 && reclaimForSpace())
            {
                a = movable.allocateMedium(n);
            }
            if (a == 0)
            {
                throw noSpace(size);
            }
            address = a;
            handle = handles.allocate(address, size);
            final Chunk chunk = chunkMap.find(address);
            chunk.next[chunk.granuleOf(address)] = HandleTable.indexOf(handle);
            addLive((long)n << SizeClasses.GRANULE_SHIFT);
        }
        else
        {
            address = allocateHuge(movable, internal, SizeClasses.QUANTUM, size);
            handle = handles.allocate(address, size);
            chunkMap.find(address).hugeHandleIndex = HandleTable.indexOf(handle);
        }
        counters.addOpaque(ArenaCounters.LIVE_HANDLES, 1);
        afterAllocate(address, size);
        return handle;
    }

    /** As {@link #allocateHandle(long)}, with the first {@code size} bytes set to zero. */
    public long allocateHandleZeroed(final long size)
    {
        final long handle = allocateHandle(size);
        UnsafeApi.setMemory(handles.resolve(handle), size, (byte)0);
        return handle;
    }

    /**
     * The current address of a movable block. Owner thread only. The address is valid until the next
     * {@link #compact()} step, {@link #reallocate} or {@link #free} on this arena; to hold an address
     * longer, or to use it on another thread, {@link #pin} the handle. Resolving a block whose staged move is
     * under way (a large block copied a piece per step) cancels that move, so the owner never writes a block
     * whose copy could go stale (see {@link HandleTable}, "staged move").
     */
    public long resolve(final long handle)
    {
        return handles.resolve(handle); // a closed arena's table has no segments: its slow path says "closed"
    }

    /** @return the size requested for a movable block (at allocation or its last reallocation). */
    public long sizeOf(final long handle)
    {
        return handles.size(handle);
    }

    /**
     * Pins a movable block: it will not move until the matching {@link #unpin}. Any thread; pins nest
     * and are counted. Never blocks on the owner, except for the few microseconds of a move in
     * progress on this very block.
     * @return the block's address, valid until the matching unpin.
     */
    public long pin(final long handle)
    {
        return handles.pin(handle);
    }

    /** Undoes one {@link #pin}. Any thread. */
    public void unpin(final long handle)
    {
        handles.unpin(handle);
    }

    /** @return the pin count of a handle (0 when not current). Any thread. */
    public int pinned(final long handle)
    {
        return handles.pins(handle);
    }

    /**
     * Pins the handle and points {@code buffer} at its block (requested size). Allocates nothing.
     * Call {@link #unpin} when done with the view.
     */
    public UnsafeBuffer pinAndWrap(final long handle, final UnsafeBuffer buffer)
    {
        checkBuffer(buffer); // before the pin: a failed call leaves no pin behind
        final long size = handles.size(handle, "pinAndWrap");
        final long address = handles.pin(handle);
        buffer.wrap(address, (int)Math.min(size, Integer.MAX_VALUE));
        return buffer;
    }

    private void freeHandle(final long handle)
    {
        handles.checkFreeable(handle, "free");
        final long address = handles.resolve(handle);
        final Chunk chunk = chunkMap.find(address);
        final long size = movableBlockSize(chunk, address);
        if (debug)
        {
            checkGuard(address, size - guard); // before anything changes
        }
        handles.release(handle, "free"); // the CAS that refuses a pin (it throws, nothing changed); later pins fail
        if (debug)
        {
            poisonFreed(address, size - guard); // only now: a pin between the checks would see poison
        }
        freeMovableBlock(chunk, address);
        counters.addOpaque(ArenaCounters.LIVE_HANDLES, -1);
        afterFree(size);
    }

    /** Test hook: raw size of the block behind a current handle. */
    long usableSizeOfHandleForTest(final long handle)
    {
        final long address = handles.resolve(handle);
        return movableBlockSize(chunkMap.find(address), address);
    }

    /** Raw size of the movable block at {@code address} (which must be live). */
    long movableBlockSize(final Chunk chunk, final long address)
    {
        if (chunk.isHuge())
        {
            return chunk.size - (address - chunk.base);
        }
        return blockSizeAt(chunk, address);
    }

    /** Frees the storage of a movable block (its handle already dealt with). */
    void freeMovableBlock(final Chunk chunk, final long address)
    {
        if (chunk.isHuge())
        {
            releaseHugeChunk(chunk);
            return;
        }
        final int g = chunk.granuleOf(address);
        final int tag = chunk.tag(g);
        if (Chunk.tagKind(tag) == Chunk.TAG_SLAB)
        {
            final Slab slab = slabs[chunk.slabIdAt(g)];
            slab.freeIndex(slab.indexOf(address));
            chunk.addLive(-slab.classSize);
            movable.afterSmallFree(slab);
        }
        else
        {
            movable.freeMedium(chunk, g);
        }
    }

    private long reallocateHandle(final long handle, final long newSize)
    {
        checkSize("newSize", newSize);
        handles.checkFreeable(handle, "reallocate");
        final long current = handles.resolve(handle);
        final Chunk chunk = chunkMap.find(current);
        final long usable = movableBlockSize(chunk, current) - guard;
        if (!debug && newSize <= usable && (usable <= SizeClasses.SMALL_MAX || chunk.isHuge()))
        {
            handles.update(handle, current, newSize);
            counters.addOpaque(ArenaCounters.REALLOCATIONS, 1);
            return handle;
        }
        if (debug)
        {
            checkGuard(current, usable); // before the new block exists: a broken guard leaves the arena as it was
        }
        // move to a new block, keeping the handle: allocate through a temporary handle slot; that
        // allocation may compact, so resolve the old address only afterwards
        final long tmp = allocateHandle(newSize);
        final long target = handles.resolve(tmp);
        final long address = handles.resolve(handle); // also voids a staged move of it that the allocation began
        // claim the slot as the compactor does (MOVING): a pin from another thread either came first (refused
        // here, nothing moves) or waits for endMove and gets the new address; never the block freed below
        final int index = HandleTable.indexOf(handle);
        while (!handles.tryBeginMove(index))
        {
            try
            {
                handles.checkFreeable(handle, "reallocate"); // pinned since the check above: throws
            }
            catch (final RuntimeException ex)
            {
                free(tmp);
                throw ex;
            }
        }
        UnsafeApi.copyMemory(address, target, Math.min(usable, newSize));
        swapHandleSlots(handle, tmp);
        handles.endMove(index, target);
        free(tmp);
        counters.addOpaque(ArenaCounters.REALLOCATIONS, 1); // counted once it succeeded: a rejected call changes nothing
        return handle;
    }

    /** Exchanges the blocks behind two current, unpinned handles of this arena (owner). */
    private void swapHandleSlots(final long a, final long b)
    {
        final long addressA = handles.resolve(a);
        final long addressB = handles.resolve(b);
        final long sizeA = handles.size(a);
        final long sizeB = handles.size(b);
        handles.update(a, addressB, sizeB);
        handles.update(b, addressA, sizeA);
        setOwnerOf(addressA, HandleTable.indexOf(b));
        setOwnerOf(addressB, HandleTable.indexOf(a));
    }

    /** Test hook: the handle slot of the compactor's staged move in progress, or -1. */
    int stagedSlotForTest()
    {
        return compactor.stagedSlot();
    }

    /** Test hook: a handle's address without the resolve that would cancel a staged move of it. */
    long resolveWithoutTouchForTest(final long handle)
    {
        return handles.addressAt(HandleTable.indexOf(handle));
    }

    /** @return the destination block of the compactor's staged move in progress, or 0 (validator). */
    long stagedDestination()
    {
        return compactor.stagedDestination();
    }

    /** Records which handle slot owns the movable block at {@code address}. */
    void setOwnerOf(final long address, final int handleIndex)
    {
        final Chunk chunk = chunkMap.find(address);
        if (chunk.isHuge())
        {
            chunk.hugeHandleIndex = handleIndex;
            return;
        }
        final int g = chunk.granuleOf(address);
        final int tag = chunk.tag(g);
        if (Chunk.tagKind(tag) == Chunk.TAG_SLAB)
        {
            final Slab slab = slabs[chunk.slabIdAt(g)];
            slab.handles[slab.indexOf(address)] = handleIndex;
        }
        else
        {
            chunk.next[g] = handleIndex;
        }
    }

    // =========================================================================================
    // compaction
    // =========================================================================================

    /**
     * One bounded compaction step at the default budget ({@code compactStepNanos}, {@code compactStepBytes}).
     * See {@link Compactor}. Owner thread only; invalidates addresses from {@link #resolve}.
     * @return bytes moved by this step.
     */
    public long compact()
    {
        return compact(config.compactStepNanos(), config.compactStepBytes());
    }

    /** One compaction step within {@code maxNanos} and {@code maxBytes}. */
    public long compact(final long maxNanos, final long maxBytes)
    {
        checkOpen();
        if (maxNanos < 0 || maxBytes < 0)
        {
            throw new IllegalArgumentException("maxNanos=" + maxNanos + ", maxBytes=" + maxBytes + ", expected >= 0");
        }
        return compactor.step(maxNanos, maxBytes);
    }

    /**
     * Compacts until nothing is left to gain (or {@code maxNanos} passed; {@code Long.MAX_VALUE} sets no limit).
     * @return bytes moved.
     */
    public long compactFully(final long maxNanos)
    {
        checkOpen();
        if (maxNanos < 0)
        {
            throw new IllegalArgumentException("maxNanos=" + maxNanos + ", expected >= 0");
        }
        final long deadline = System.nanoTime() + maxNanos; // may wrap: compared by difference below
        long moved = 0;
        while (compactor.worthIt(Long.MAX_VALUE) && deadline - System.nanoTime() > 0)
        {
            final long before = compactor.steps();
            moved += compactor.step(Math.max(0, Math.min(saturatingTimes(config.compactStepNanos(), 50), deadline - System.nanoTime())),
                Long.MAX_VALUE);
            if (compactor.steps() == before)
            {
                break;
            }
        }
        return moved;
    }

    /** Test hook: the compactor's phase (0 idle, 1 detaching, 2 moving, 3 restoring). */
    int compactorPhaseForTest()
    {
        return compactor.phase();
    }

    /** @return true when a compaction step at the default budget could reduce the footprint now. */
    public boolean compactionWorthIt()
    {
        return !closed && compactor.worthIt(config.compactStepBytes());
    }

    /** @return true when a compaction step with a byte budget of {@code maxBytes} could reduce the footprint now. */
    public boolean compactionWorthIt(final long maxBytes)
    {
        if (maxBytes < 0)
        {
            throw new IllegalArgumentException("maxBytes=" + maxBytes + ", expected >= 0");
        }
        return !closed && compactor.worthIt(maxBytes);
    }

    /**
     * Returns the blocks in the free cache of small fixed blocks to their slabs, so that slabs and chunks
     * left empty go back (as frees would without the cache). Maintenance calls it when the owner is idle;
     * it costs one slab free per cached block (at most 28 x 64). Owner thread only.
     * @return the number of blocks returned.
     */
    public int flushFreeCache()
    {
        checkOpen();
        return fixed.flushCaches();
    }

    /** @return blocks in the free cache of small fixed blocks (free to the user, still held by their slabs). */
    public int freeCacheBlocks()
    {
        return closed ? 0 : fixed.cachedBlocks();
    }

    /** @return {@code nanos * factor} for nanos, factor &gt;= 0, or Long.MAX_VALUE where that would overflow. */
    static long saturatingTimes(final long nanos, final long factor)
    {
        return nanos > Long.MAX_VALUE / factor ? Long.MAX_VALUE : nanos * factor;
    }

    /** An allocation found no space: flush the free cache, then compact if that is allowed. */
    private boolean reclaimForSpace()
    {
        final boolean flushed = fixed.flushCaches() != 0;
        return compactForSpace() || flushed;
    }

    /**
     * Called when an allocation found no space within the limit: compacts the movable heap in steps until a
     * chunk comes free (released to the source, so the limit has room again, or kept as a spare), or until
     * compaction has nothing left to gain or {@code compactOnFailureNanos} (default 2 ms) have passed; each step
     * gets ten default step budgets, and no step starts after the deadline.
     * @return true when a retry of the allocation may succeed.
     */
    private boolean compactForSpace()
    {
        final long budget = config.compactOnFailureNanos();
        if (!config.compactOnAllocationFailure() || budget == 0 || !compactor.worthIt(Long.MAX_VALUE))
        {
            return false;
        }
        final long releasedBefore = chunksReleased;
        final int sparesBefore = movable.emptyChunks;
        final long stepNanos = Math.max(1000, config.compactStepNanos());
        final long deadline = System.nanoTime() + budget;
        while (compactor.worthIt(Long.MAX_VALUE) && System.nanoTime() < deadline)
        {
            compactor.step(saturatingTimes(stepNanos, 10), Long.MAX_VALUE);
            if (chunksReleased > releasedBefore || movable.emptyChunks > sparesBefore)
            {
                return true;
            }
        }
        return false;
    }

    // =========================================================================================
    // chunks, slabs, huge blocks
    // =========================================================================================

    /** A fixed block of {@code internal} bytes (the requested size plus any guard). */
    private long allocateFixed(final long internal, final long requested)
    {
        if (internal <= SizeClasses.SMALL_MAX)
        {
            return allocateSmall(SizeClasses.classOf(internal), requested);
        }
        if (internal <= mediumMax)
        {
            final int n = (int)SizeClasses.granulesFor(internal);
            final long cached = fixed.mediumCachePop(n);
            if (cached != 0)
            {
                addLive((long)fixed.poppedGranules << SizeClasses.GRANULE_SHIFT); // n, or up to n/16 more
                return cached;
            }
            long address = fixed.allocateMedium(n);
            if (address == 0 && reclaimForSpace())
            {
                address = fixed.allocateMedium(n);
            }
            if (address == 0)
            {
                throw noSpace(requested);
            }
            addLive((long)n << SizeClasses.GRANULE_SHIFT);
            return address;
        }
        return allocateHuge(fixed, internal, SizeClasses.QUANTUM, requested);
    }

    /** Small fixed block (movable small blocks are allocated in {@link #allocateHandle}). */
    private long allocateSmall(final int cls, final long requested)
    {
        final Heap heap = fixed;
        final long cached = heap.cachePop(cls);
        if (cached != 0)
        {
            addLive(SizeClasses.classSize(cls));
            if (freeMarks)
            {
                FreeMark.clear(cached); // FreeMark step 2
            }
            return cached;
        }
        Slab slab = heap.slabFor(cls);
        if (slab == null && reclaimForSpace())
        {
            slab = heap.slabFor(cls);
        }
        if (slab == null)
        {
            throw noSpace(requested);
        }
        final int index = slab.allocateIndex();
        final int cs = slab.classSize;
        final Chunk chunk = slab.chunk;
        if (chunk.heldIdle)
        {
            heap.revive(chunk);
        }
        chunk.liveBytes += cs; // the fixed heap keeps no heap total
        addLive(cs);
        final long address = slab.addressOf(index);
        chunk.setStart(address);
        if (freeMarks)
        {
            FreeMark.clear(address); // FreeMark step 2
        }
        return address;
    }

    private long allocateHuge(final Heap heap, final long internal, final long alignment, final long requested)
    {
        final long pad = alignment > MemorySource.ALIGNMENT ? alignment : 0;
        final long bytes = Math.max(ChunkMap.MIN_CHUNK_BYTES,
            (internal + pad + MemorySource.ALIGNMENT - 1) & -MemorySource.ALIGNMENT);
        if (bytes > maxTotalBytes || (committedBytes + bytes > maxTotalBytes &&
            !(reclaimForSpace() && committedBytes + bytes <= maxTotalBytes)))
        {
            throw limitExceeded(requested);
        }
        long base;
        try
        {
            base = source.reserve(bytes);
        }
        catch (final ArenaLimitExceededException ex)
        {
            if (!reclaimForSpace())
            {
                throw ex;
            }
            base = source.reserve(bytes); // refused again: its exception, as without the retry
        }
        final Chunk chunk = hugePoolSize > 0 ? hugePool[--hugePoolSize].reuse(takeChunkId(), base, bytes, null) :
            new Chunk(takeChunkId(), Chunk.KIND_HUGE, base, bytes, null);
        chunk.hugeBlockAddress = (base + alignment - 1) & -alignment;
        chunk.hugeHandleIndex = -1;
        addChunk(chunk);
        commit(bytes);
        counters.addOpaque(ArenaCounters.HUGE_CHUNKS, 1);
        final long size = bytes - (chunk.hugeBlockAddress - base);
        addLive(size);
        return chunk.hugeBlockAddress;
    }

    private void releaseHugeChunk(final Chunk chunk)
    {
        removeChunk(chunk);
        source.release(chunk.base, chunk.size);
        recycleChunkId(chunk.id);
        if (hugePoolSize < CHUNK_POOL_SIZE)
        {
            hugePool[hugePoolSize++] = chunk;
        }
        commit(-chunk.size);
        counters.addOpaque(ArenaCounters.HUGE_CHUNKS, -1);
        counters.setOpaque(ArenaCounters.CHUNKS_RELEASED, ++chunksReleased);
    }

    /**
     * Adds a new chunk to {@code heap}. @return false when the limit refuses it: this arena's, or the memory source's
     * (an {@link ArenaLimitExceededException} from {@link MemorySource#reserve}, kept for {@link #noSpace}).
     */
    boolean growHeap(final Heap heap)
    {
        sourceRefusal = null;
        if (committedBytes + chunkSize > maxTotalBytes)
        {
            return false;
        }
        final long base;
        try
        {
            base = source.reserve(chunkSize);
        }
        catch (final ArenaLimitExceededException ex)
        {
            sourceRefusal = ex; // a limit beyond this arena (a budget the source keeps): reclaim and retry as for ours
            return false;
        }
        final Chunk chunk = regularPoolSize > 0 ?
            regularPool[--regularPoolSize].reuse(takeChunkId(), base, chunkSize, heap) :
            new Chunk(takeChunkId(), Chunk.KIND_REGULAR, base, chunkSize, heap);
        addChunk(chunk);
        commit(chunkSize);
        counters.addOpaque(ArenaCounters.CHUNKS, 1);
        counters.addOpaque(ArenaCounters.CHUNKS_ACQUIRED, 1);
        heap.addChunk(chunk);
        return true;
    }

    /** Returns an empty regular chunk (already out of its heap's index) to the source. */
    void releaseChunk(final Chunk chunk)
    {
        chunk.heap.chunkCount--;
        removeChunk(chunk);
        source.release(chunk.base, chunk.size);
        recycleChunkId(chunk.id);
        if (regularPoolSize < CHUNK_POOL_SIZE)
        {
            regularPool[regularPoolSize++] = chunk;
        }
        commit(-chunk.size);
        counters.addOpaque(ArenaCounters.CHUNKS, -1);
        counters.setOpaque(ArenaCounters.CHUNKS_RELEASED, ++chunksReleased);
    }

    private void addChunk(final Chunk chunk)
    {
        chunkMap.register(chunk);
        chunkListener.onChunkAdded(this, chunk.base, chunk.size);
    }

    private void removeChunk(final Chunk chunk)
    {
        chunkListener.onChunkRemoved(this, chunk.base, chunk.size);
        chunkMap.unregister(chunk);
    }

    private void commit(final long delta)
    {
        committedBytes += delta;
        counters.setOpaque(ArenaCounters.COMMITTED_BYTES, committedBytes);
        counters.maxOpaque(ArenaCounters.COMMITTED_HIGH_WATER, committedBytes);
    }

    private int takeChunkId()
    {
        return freeChunkTop > 0 ? freeChunkIds[--freeChunkTop] : nextChunkId++;
    }

    private void recycleChunkId(final int id)
    {
        if (freeChunkTop == freeChunkIds.length)
        {
            freeChunkIds = java.util.Arrays.copyOf(freeChunkIds, freeChunkIds.length * 2);
        }
        freeChunkIds[freeChunkTop++] = id;
    }

    /** A new Slab object with the next id; heaps pool their released slabs themselves. */
    Slab newSlab()
    {
        if (slabCount == slabs.length)
        {
            slabs = java.util.Arrays.copyOf(slabs, slabs.length * 2);
        }
        final Slab slab = new Slab(slabCount);
        slabs[slabCount++] = slab;
        // a heap's pool of released Slab objects can never hold more than exist: size it now, when a slab is
        // created anyway, so that releasing slabs later never allocates
        fixed.ensureSlabPoolCapacity(slabCount);
        movable.ensureSlabPoolCapacity(slabCount);
        return slab;
    }

    // =========================================================================================
    // caller-owned regions
    // =========================================================================================

    /**
     * Adds caller-owned memory to the fixed heap (as memoman's caller-owned pools). The arena never
     * frees it; {@link #removeRegion(long)} takes it back once nothing in it is live.
     * @param address aligned to 256 bytes.
     * @param length  a multiple of 256, at least 128 KiB and at most {@link #MAX_REQUEST}; cut into pieces of about
     *                chunkSize.
     */
    public void addRegion(final long address, final long length)
    {
        checkOpen();
        if (address <= 0 || (address & (SizeClasses.GRANULE - 1)) != 0)
        {
            throw new IllegalArgumentException("address=0x" + Long.toHexString(address) + ", expected a positive address " +
                "aligned to " + SizeClasses.GRANULE);
        }
        if (length < ChunkMap.MIN_CHUNK_BYTES || length > MAX_REQUEST || (length & (SizeClasses.GRANULE - 1)) != 0)
        {
            throw new IllegalArgumentException("length=" + length + ", expected a multiple of " + SizeClasses.GRANULE +
                " of at least " + ChunkMap.MIN_CHUNK_BYTES + " and at most " + MAX_REQUEST);
        }
        if (address > Long.MAX_VALUE - length)
        {
            throw new IllegalArgumentException("address=0x" + Long.toHexString(address) + " length=" + length +
                " runs past the end of the address space, expected address + length <= 2^63 - 1");
        }
        for (long a = address; a < address + length; a += SizeClasses.GRANULE * 512L)
        {
            if (chunkMap.find(a) != null)
            {
                throw new IllegalArgumentException("address=0x" + Long.toHexString(address) + " length=" + length +
                    " overlaps memory this arena already holds");
            }
        }
        if (chunkMap.find(address + length - 1) != null)
        {
            throw new IllegalArgumentException("address=0x" + Long.toHexString(address) + " length=" + length +
                " overlaps memory this arena already holds");
        }
        long offset = 0;
        while (offset < length)
        {
            long piece = Math.min(chunkSize, length - offset);
            if (length - offset - piece < ChunkMap.MIN_CHUNK_BYTES)
            {
                piece = length - offset;
            }
            final Chunk chunk = new Chunk(takeChunkId(), Chunk.KIND_REGION, address + offset, piece, fixed);
            addChunk(chunk);
            fixed.addChunk(chunk);
            offset += piece;
        }
    }

    /**
     * Takes back a region given to {@link #addRegion}. Fails, changing nothing, while any block in it is live.
     */
    public void removeRegion(final long address)
    {
        checkOpen();
        Chunk chunk = chunkMap.find(address);
        if (chunk == null || chunk.kind != Chunk.KIND_REGION || chunk.base != address)
        {
            throw new IllegalArgumentException("address=0x" + Long.toHexString(address) +
                ", expected the start address of a region added with addRegion");
        }
        long a = address;
        while (chunk != null && chunk.kind == Chunk.KIND_REGION && chunk.base == a)
        {
            // blocks in the free cache are free to the user, though their chunk still counts them
            if (chunk.liveBytes != fixed.cachedBytesIn(chunk))
            {
                throw new IllegalStateException("removeRegion: region at address=0x" + Long.toHexString(address) +
                    " still has live blocks in piece 0x" + Long.toHexString(chunk.base) + " (" + chunk.usedGranules +
                    " granules used), expected none");
            }
            a += chunk.size;
            chunk = chunkMap.find(a);
        }
        fixed.flushCaches(); // cached blocks still hold their slabs; only now, when the removal goes ahead
        a = address;
        chunk = chunkMap.find(address);
        while (chunk != null && chunk.kind == Chunk.KIND_REGION && chunk.base == a)
        {
            chunk.heap.releaseEmptySlabs(chunk);
            final Chunk next = chunkMap.find(a + chunk.size);
            fixed.runs.remove(chunk, 0, chunk.granules);
            removeChunk(chunk);
            recycleChunkId(chunk.id);
            a += chunk.size;
            chunk = next;
        }
    }

    // =========================================================================================
    // reset, close
    // =========================================================================================

    /**
     * Frees every block at once (a per-frame arena). Cost does not depend on the number of blocks:
     * chunkCount x (granules / 64 + granules) word writes to clear metadata, plus one pass over the
     * handle slots. Regular chunks beyond {@code spareChunks} go back to the source; huge chunks all do.
     * Addresses and handles from before are invalid afterwards (handles are detected as stale).
     * @throws IllegalStateException if a handle is pinned; nothing is changed then.
     */
    public void reset()
    {
        checkOpen();
        final int pinnedSlot = handles.releaseAllUnpinned(); // claims every handle before it ends them: no lost pin
        if (pinnedSlot >= 0)
        {
            throw new IllegalStateException("reset: handle slot " + pinnedSlot + " is pinned, expected no pinned handles");
        }
        for (int s = 0; s < slabCount; s++)
        {
            if (slabs[s].active)
            {
                slabs[s].active = false;
                slabs[s].heap.recycleSlab(slabs[s]);
            }
        }
        fixed.clear();
        movable.clear();
        compactor.reset();
        int keptRegular = 0;
        for (int id = 0; id < nextChunkId; id++)
        {
            final Chunk chunk = chunkMap.byId(id);
            if (chunk == null)
            {
                continue;
            }
            if (chunk.isHuge())
            {
                releaseHugeChunk(chunk);
                continue;
            }
            chunk.clear();
            if (chunk.kind == Chunk.KIND_REGULAR && keptRegular >= spareChunks)
            {
                removeChunk(chunk);
                source.release(chunk.base, chunk.size);
                recycleChunkId(chunk.id);
                commit(-chunk.size);
                counters.addOpaque(ArenaCounters.CHUNKS, -1);
                counters.setOpaque(ArenaCounters.CHUNKS_RELEASED, ++chunksReleased);
                continue;
            }
            if (chunk.kind == Chunk.KIND_REGULAR)
            {
                keptRegular++;
            }
            chunk.heap.addChunk(chunk);
        }
        LIVE_BYTES_VH.setOpaque(this, 0L);
        LIVE_BLOCKS_VH.setOpaque(this, 0L);
        counters.setOpaque(ArenaCounters.LIVE_HANDLES, 0);
    }

    /**
     * Returns every chunk to its source (caller-owned regions are just forgotten) and makes every
     * later call that allocates, frees, reaches a block or handle, compacts, walks or validates throw
     * {@link IllegalStateException}; {@link #committedBytes()}, {@link #liveBytes()}, {@link #liveBlocks()} and
     * {@link #freeCacheBlocks()} then read 0 and {@link #compactionWorthIt()} false. Idempotent. Live blocks are counted and logged through SLF4J when any remain.
     */
    public void close()
    {
        if (closed)
        {
            return;
        }
        if (liveBlocks != 0)
        {
            org.slf4j.LoggerFactory.getLogger(OffHeapArena.class).warn(
                "closing arena {} with {} live blocks ({} bytes); their memory is released", arenaId, liveBlocks, liveBytes);
        }
        for (int id = 0; id < nextChunkId; id++)
        {
            final Chunk chunk = chunkMap.byId(id);
            if (chunk == null)
            {
                continue;
            }
            removeChunk(chunk);
            if (chunk.kind != Chunk.KIND_REGION)
            {
                source.release(chunk.base, chunk.size);
                commit(-chunk.size);
            }
        }
        closed = true;
        handles.close();
        LIVE_BYTES_VH.setOpaque(this, 0L);
        LIVE_BLOCKS_VH.setOpaque(this, 0L);
        counters.setOpaque(ArenaCounters.CHUNKS, 0);
        counters.setOpaque(ArenaCounters.HUGE_CHUNKS, 0);
        ARENAS.compareAndSet(arenaId, this, null);
    }

    public boolean isClosed()
    {
        return closed;
    }

    // =========================================================================================
    // introspection
    // =========================================================================================

    /**
     * The owner (in practice: the chunk listener, inside {@link ChunkListener#onChunkAdded}): the read-mostly map of
     * the fixed slabs of the chunk at {@code base}, for other threads ({@link SlabMap}).
     * @return the map, or null when no chunk of this arena starts at {@code base} or it is a huge chunk.
     */
    public SlabMap slabMapOf(final long base)
    {
        final Chunk chunk = chunkMap.find(base);
        return chunk != null && chunk.base == base ? chunk.slabMap : null;
    }

    public int arenaId()
    {
        return arenaId;
    }

    /** @return true when this arena keeps {@link FreeMark}s ({@link ArenaConfig#freeMarks()} and not debug mode). */
    public boolean keepsFreeMarks()
    {
        return freeMarks;
    }

    public ArenaConfig config()
    {
        return config;
    }

    public MemorySource memorySource()
    {
        return source;
    }

    /** Live counters; readable from any thread. */
    public ArenaCounters counters()
    {
        return counters;
    }

    /** Bytes this arena holds from its memory source (regular and huge chunks; not regions). */
    public long committedBytes()
    {
        return committedBytes;
    }

    /** Usable bytes of live blocks (fixed and movable). */
    public long liveBytes()
    {
        return liveBytes;
    }

    public long liveBlocks()
    {
        return liveBlocks;
    }

    /**
     * Allocations so far (the plain running total behind the {@code allocations} counter, kept whether or not
     * {@link ArenaCounters#ENABLED}). Owner thread.
     */
    public long allocationCount()
    {
        return allocationCount;
    }

    /** As {@link #allocationCount()}, from any thread: an opaque load of the owner's opaque stores. */
    public long allocationCountOpaque()
    {
        return (long)ALLOCATION_COUNT_VH.getOpaque(this);
    }

    /** Bytes of live movable blocks and bytes of the movable heap's chunks. */
    public long movableLiveBytes()
    {
        return movable.liveBytes;
    }

    /** @return the longest free run, in bytes, over both heaps (0 when none). */
    public long largestFreeRun()
    {
        return (long)Math.max(fixed.runs.largestRun(), movable.runs.largestRun()) << SizeClasses.GRANULE_SHIFT;
    }

    /**
     * Fragmentation: 1 - live / committed over regular chunks (huge chunks hold exactly one block). 0 when
     * nothing is committed.
     */
    public double fragmentation()
    {
        long regular = 0;
        long live = 0;
        for (int id = 0; id < nextChunkId; id++)
        {
            final Chunk c = chunkMap.byId(id);
            if (c != null && !c.isHuge())
            {
                regular += c.size;
                live += c.liveBytes;
            }
        }
        return regular == 0 ? 0.0 : 1.0 - (double)live / regular;
    }

    /** Figures on the arena's own cost, for capacity planning. */
    public Overhead overhead()
    {
        long heapBytes = chunkMap.heapBytes() + handles.heapBytes() + slabCount * (SizeClasses.MAX_SLAB_WORDS * 8L + 96);
        int chunks = 0;
        for (int id = 0; id < nextChunkId; id++)
        {
            final Chunk c = chunkMap.byId(id);
            if (c != null)
            {
                chunks++;
                heapBytes += 64 + (c.isHuge() ? 0 : (c.used.length + c.slabs.length) * 8L + c.granules * 12L);
            }
        }
        return new Overhead(chunkSize, SizeClasses.GRANULE, SizeClasses.QUANTUM, mediumMax,
            (chunkSize >>> SizeClasses.GRANULE_SHIFT) * 12 + (chunkSize >>> SizeClasses.GRANULE_SHIFT) / 4, 0,
            (HandleTable.SEGMENT_LONGS / HandleTable.SEGMENT_SLOTS) * Long.BYTES, chunks, heapBytes);
    }

    /**
     * Visits every block and free run: chunks in id order (regular, region and huge), and address order
     * within a chunk; each chunk is announced by {@link BlockVisitor#beginChunk} and each block or free run
     * goes to {@link BlockVisitor#visitBlock}. A slab's tail waste (less than one block) is not visited.
     * Owner thread only; the visitor must not call back into the arena. Allocates nothing.
     */
    public void walk(final BlockVisitor visitor)
    {
        checkOpen();
        if (visitor == null)
        {
            throw new IllegalArgumentException("visitor=null, expected a BlockVisitor");
        }
        for (int id = 0; id < nextChunkId; id++)
        {
            final Chunk c = chunkMap.byId(id);
            if (c == null)
            {
                continue;
            }
            if (c.isHuge())
            {
                final boolean handled = c.hugeHandleIndex >= 0;
                visitor.beginChunk(c.base, c.size, true, handled);
                visitor.visitBlock(c.hugeBlockAddress, c.size - (c.hugeBlockAddress - c.base) - guard, true,
                    handled, handled && handles.isPinnedAt(c.hugeHandleIndex), BlockVisitor.NO_SIZE_CLASS);
                continue;
            }
            final boolean isMovable = c.heap == movable;
            visitor.beginChunk(c.base, c.size, false, isMovable);
            int g = 0;
            while (g < c.granules)
            {
                final int tag = c.tag(g);
                final int kind = Chunk.tagKind(tag);
                if (kind == Chunk.TAG_SLAB)
                {
                    final Slab slab = slabs[c.slabIdAt(g)];
                    for (int i = 0; i < slab.capacity; i++)
                    {
                        // a fixed block in the free cache is free to the user: its start bit is clear
                        final boolean used = isMovable ? slab.isAllocated(i) : c.isStart(slab.addressOf(i));
                        visitor.visitBlock(slab.addressOf(i), slab.classSize - (used ? guard : 0), used, isMovable,
                            used && isMovable && handles.isPinnedAt(slab.handles[i]), slab.cls);
                    }
                    g += slab.granules;
                }
                else
                {
                    final int len = Math.max(1, Chunk.tagValue(tag));
                    final boolean used = kind == Chunk.TAG_BLOCK;
                    visitor.visitBlock(c.granuleAddress(g), ((long)len << SizeClasses.GRANULE_SHIFT) - (used ? guard : 0),
                        used, isMovable, used && isMovable && c.next[g] != Compactor.STAGED && handles.isPinnedAt(c.next[g]),
                        BlockVisitor.NO_SIZE_CLASS);
                    g += len;
                }
            }
        }
    }

    /**
     * Checks every invariant of every chunk, slab, free-run list and handle, and in debug mode every
     * guard. Cost: O(metadata), i.e. granules + slab blocks + handle slots.
     * @throws ArenaCorruptionException naming the first broken invariant precisely.
     */
    public void validate()
    {
        checkOpen();
        new ArenaValidator(this).validate();
    }

    // ---- package-private access for the validator, compactor and tests -------------------------

    ChunkMap chunkMap()
    {
        return chunkMap;
    }

    int chunkIdLimit()
    {
        return nextChunkId;
    }

    Heap fixedHeap()
    {
        return fixed;
    }

    Heap movableHeap()
    {
        return movable;
    }

    HandleTable handles()
    {
        return handles;
    }

    Slab slab(final int id)
    {
        return slabs[id];
    }

    int spareChunks()
    {
        return spareChunks;
    }

    int guardBytes()
    {
        return guard;
    }

    long chunkSize()
    {
        return chunkSize;
    }

    long sumLiveBytes()
    {
        return liveBytes;
    }

    // =========================================================================================
    // shared checks and bookkeeping
    // =========================================================================================

    private void checkOpen()
    {
        if (closed)
        {
            throw new IllegalStateException("arena " + arenaId + " is closed, expected an open arena");
        }
    }

    private static void checkBuffer(final UnsafeBuffer buffer)
    {
        if (buffer == null)
        {
            throw new IllegalArgumentException("buffer=null, expected an UnsafeBuffer to point at the block");
        }
    }

    private static void checkSize(final String name, final long size)
    {
        if (size <= 0 || size > MAX_REQUEST)
        {
            throw new IllegalArgumentException(name + "=" + size + ", expected 1.." + MAX_REQUEST);
        }
    }

    private void addLive(final long bytes)
    {
        final long live = liveBytes + bytes;
        LIVE_BYTES_VH.setOpaque(this, live);
        if (ArenaCounters.ENABLED && live > liveHighWater)
        {
            LIVE_HIGH_WATER_VH.setOpaque(this, live);
        }
    }

    private void afterAllocate(final long address, final long requested)
    {
        ALLOCATION_COUNT_VH.setOpaque(this, allocationCount + 1);
        LIVE_BLOCKS_VH.setOpaque(this, liveBlocks + 1);
        if (ArenaCounters.ENABLED)
        {
            REQUESTED_BYTES_VH.setOpaque(this, requestedBytes + requested);
        }
        if (debug)
        {
            debugAfterAllocate(address);
        }
    }

    private void afterFree(final long rawSize)
    {
        final long blocks = liveBlocks - 1;
        LIVE_BYTES_VH.setOpaque(this, liveBytes - rawSize);
        LIVE_BLOCKS_VH.setOpaque(this, blocks);
        if (ArenaCounters.ENABLED)
        {
            FREE_COUNT_VH.setOpaque(this, freeCount + 1);
        }
        if (blocks == 0)
        {
            fixed.flushCaches(); // the arena is empty: let the free cache's slabs and chunks go back now
        }
        if (debug)
        {
            debugTick();
        }
    }

    /** Debug: checks guards (before anything changes) and poisons the block. */
    private void beforeFree(final long address, final long usable)
    {
        if (debug)
        {
            checkGuard(address, usable);
            poisonFreed(address, usable);
        }
    }

    /** Debug mode, a block that is free now: its usable bytes and its guard get the poison byte. */
    private void poisonFreed(final long address, final long usable)
    {
        UnsafeApi.setMemory(address, usable + guard, POISON_BYTE);
    }

    private void debugAfterAllocate(final long address)
    {
        final Chunk chunk = chunkMap.find(address);
        final long raw = chunk.isHuge() ? chunk.size - (address - chunk.base) : blockSizeAt(chunk, address);
        UnsafeApi.setMemory(address + raw - guard, guard, GUARD_BYTE);
        debugTick();
    }

    private void debugTick()
    {
        if ((++opCount & validateMask) == 0)
        {
            validate();
        }
    }

    void checkGuard(final long address, final long usable)
    {
        for (int i = 0; i < guard; i++)
        {
            final byte b = UnsafeApi.getByte(address + usable + i);
            if (b != GUARD_BYTE)
            {
                throw new ArenaCorruptionException("guard byte " + i + " after block address=0x" + Long.toHexString(address) +
                    " usableSize=" + usable + " was overwritten: found 0x" + Integer.toHexString(b & 0xFF) + ", expected 0x" +
                    Integer.toHexString(GUARD_BYTE & 0xFF) + " (a write past the end of the block)");
            }
        }
    }

    void movedBlock(final long bytes)
    {
        counters.addOpaque(ArenaCounters.BLOCKS_MOVED, 1);
        counters.addOpaque(ArenaCounters.BYTES_MOVED, bytes);
    }

    /**
     * An allocation that found no run even after {@link #reclaimForSpace()}: the memory source's refusal when it was
     * the source that said no to the last chunk ({@link #growHeap}; not counted here, as before the source was asked
     * through this path), else this arena's own limit.
     */
    private ArenaLimitExceededException noSpace(final long requested)
    {
        final ArenaLimitExceededException refusal = sourceRefusal;
        if (refusal != null)
        {
            sourceRefusal = null;
            return refusal;
        }
        return limitExceeded(requested);
    }

    private ArenaLimitExceededException limitExceeded(final long requested)
    {
        counters.addOpaque(ArenaCounters.LIMIT_FAILURES, 1);
        return new ArenaLimitExceededException(requested, maxTotalBytes, committedBytes, liveBytes);
    }

    private InvalidBlockException parkedElsewhere(final String operation, final long address)
    {
        return new InvalidBlockException(operation + ": address=0x" + Long.toHexString(address) + " of arena " + arenaId +
            " is already free: it carries its free mark (a thread cache holds it, or it is on its way back to this " +
            "arena), expected a live block (double free)");
    }

    private InvalidBlockException foreign(final String operation, final long address)
    {
        return new InvalidBlockException(operation + ": address=0x" + Long.toHexString(address) +
            " was not allocated by arena " + arenaId + " (no chunk of this arena contains it)");
    }

    private static InvalidBlockException movableByAddress(final String operation, final long address)
    {
        return new InvalidBlockException(operation + ": address=0x" + Long.toHexString(address) +
            " is inside a movable chunk, expected a fixed block (movable blocks are reached through their handle)");
    }

    private InvalidBlockException notABlock(final String operation, final long address, final Chunk chunk)
    {
        return new InvalidBlockException(operation + ": address=0x" + Long.toHexString(address) + " in " + chunk +
            " is not the start of a live block (already freed, or an address inside a block)");
    }

    public String toString()
    {
        return "OffHeapArena{id=" + arenaId + ", committed=" + committedBytes + ", live=" + liveBytes + ", blocks=" +
            liveBlocks + ", closed=" + closed + '}';
    }

    /** Static figures on the arena's own cost. */
    public static final class Overhead
    {
        public final long chunkSize;
        public final int granule;
        public final int smallestBlock;
        public final long largestRegularBlock;
        /** Java-heap bytes of metadata per regular chunk. */
        public final long metadataBytesPerChunk;
        /** Native header bytes per block (none: metadata is out of band). */
        public final int headerBytesPerBlock;
        /** Java-heap bytes per handle slot. */
        public final int bytesPerHandleSlot;
        public final int chunks;
        /** Java-heap bytes the arena's metadata uses now (estimate). */
        public final long heapBytes;

        Overhead(final long chunkSize, final int granule, final int smallestBlock, final long largestRegularBlock,
            final long metadataBytesPerChunk, final int headerBytesPerBlock, final int bytesPerHandleSlot,
            final int chunks, final long heapBytes)
        {
            this.chunkSize = chunkSize;
            this.granule = granule;
            this.smallestBlock = smallestBlock;
            this.largestRegularBlock = largestRegularBlock;
            this.metadataBytesPerChunk = metadataBytesPerChunk;
            this.headerBytesPerBlock = headerBytesPerBlock;
            this.bytesPerHandleSlot = bytesPerHandleSlot;
            this.chunks = chunks;
            this.heapBytes = heapBytes;
        }

        public String toString()
        {
            return "Overhead{chunkSize=" + chunkSize + ", granule=" + granule + ", smallestBlock=" + smallestBlock +
                ", largestRegularBlock=" + largestRegularBlock + ", metadataBytesPerChunk=" + metadataBytesPerChunk +
                ", headerBytesPerBlock=" + headerBytesPerBlock + ", bytesPerHandleSlot=" + bytesPerHandleSlot +
                ", chunks=" + chunks + ", heapBytes=" + heapBytes + '}';
        }
    }
}
