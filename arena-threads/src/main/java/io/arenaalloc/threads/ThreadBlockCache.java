package io.arenaalloc.threads;

import io.arenaalloc.core.FreeMark;
import io.arenaalloc.core.InvalidBlockException;
import io.arenaalloc.core.SizeClasses;
import org.agrona.UnsafeApi;

/**
 * A platform thread's cache of freed small fixed blocks, whichever per-thread arena allocated them, served to the
 * thread's next allocations of the same size class: the shape of jemalloc's thread cache. A free of a small block
 * takes one path whether the block is the thread's own or another thread's, and the block is reused on the spot by
 * the thread that freed it. A block in the cache stays live in its arena's metadata the whole time; to its arena it is
 * a block that has not been freed yet.
 *
 * <p>Why (measured, docs/larson.md): when blocks change threads (Larson's server benchmark, buffers handed between
 * pools), the old split "own block: the arena's free; another thread's: send it home" cost a branch the CPU cannot
 * predict and, for the foreign half, a second path as long as the first. With one path the free is a lookup in a
 * small per-thread descriptor cache, a read of the chunk's {@link io.arenaalloc.core.SlabMap} and a push.
 *
 * <h2>Vocabulary</h2>
 * <ul>
 *   <li><b>park</b>: keep a freed small fixed block; parked blocks carry their {@link FreeMark}.</li>
 *   <li><b>reuse</b>: hand a parked block to the thread's next allocation of its class; its mark is cleared.</li>
 *   <li><b>send home</b>: give a parked block back to its arena, still marked (a free of it on the way is a double
 *   free and is rejected): the thread's own arena frees it at once with {@code OffHeapArena.freeMarked}, another
 *   thread's gets it through the remote-free protocol ({@link RemoteFreeInbox}, flagged as a cached block). Done
 *   when the thread maintains while its cache was idle, on {@code ArenaAllocator.flushThreadCache()}, by the
 *   liveness scan after the thread ended and at close.</li>
 *   <li><b>park a remote free</b>: the owner of an arena, draining its inbox on its allocation path, parks the
 *   remote frees of its small fixed blocks here instead of freeing them in the arena (step 5): one thread allocates
 *   and another frees (a pipeline, {@code handoff}), and the allocations are served by pops. Measured in one JVM
 *   ({@code tools/handoff-interleave}, 2026-12-05): 1.06-1.36x the throughput of freeing them in the arena, in every
 *   placement of the machine's two vCPUs.</li>
 *   <li><b>spill</b>: on a free of another thread's block that finds its class full (or the byte budget spent),
 *   send the older half of that class (of every class) home in one go, so that the free parks its block after all.
 *   Without spills a full class sent every further foreign free of that class down the allocator's slow path (an
 *   {@link AddressMap} walk and a remote free each) while the matching allocations missed the cache: larson spent
 *   about a fifth of its time there. The thread's own block is not spilled for: it is freed in its arena, as
 *   cheap as parking it (spilling for own blocks too cost churn-small through the facade 1.09x to 1.27x the bare
 *   arena's time: FacadeCostBenchmark).</li>
 * </ul>
 *
 * <h2>Layout (Java heap, thread-confined)</h2>
 * <pre>
 *   blocks:      long[16 + CLASS_COUNT x depth + 16]
 *                | pad | class 0: a a a . . . | class 1: . . . | ... | class 27: a . . | pad |
 *   counts:      int[32 + CLASS_COUNT + 32]  | pad | parked blocks per class (a LIFO stack per class) | pad |
 *   depth                                    blocks a class may hold: capacityBytes / 4 KiB, 16 .. 64 ({@link #depthFor})
 *   bytes, parked, reused, sentHome          written on every free or allocation: between 128-byte pads
 *                                            ({@code ThreadBlockCachePad0}, the p2x fields), like both arrays' data,
 *                                            as a garbage collection may copy two threads' caches side by side
 *   bytes                                    the parked blocks' class bytes (&lt;= capacityBytes; 0: empty)
 *   descriptors: AddressMap.Descriptor[2 x 16]
 *                                            16 sets of two ways, the set by (address &gt;&gt;&gt; 22) &amp; 15 (a 4 MiB
 *                                            window): chunks of per-thread arenas this thread freed into lately, so a
 *                                            free needs no AddressMap walk. A chunk goes into way 0 of the set of every
 *                                            window it overlaps (the old way 0 moves to way 1). Two ways because a
 *                                            chunk the memory source did not align on 4 MiB shares its first and last
 *                                            window with its neighbours: direct-mapped, two neighbours' blocks in one
 *                                            window evicted each other on every other free (measured: 11 ns a larson
 *                                            operation in the slow path)
 *   spillBlocks, spillArenas                 scratch of a spill: the blocks leaving, their arenas
 * </pre>
 *
 * <h2>Algorithm</h2>
 * <ol>
 *   <li><b>Free</b> ({@link #tryFree}) of a positive address: d = the way of set (address &gt;&gt;&gt; 22) &amp; 15
 *   whose chunk contains the address and has not left its arena ({@code d.isRemovedPlain()}). None: {@link
 *   #UNKNOWN_CHUNK}, and the allocator's slow path finds the descriptor in the {@link AddressMap}, {@link #remember}s
 *   it and calls {@link #tryFree(AddressMap.Descriptor, long, ThreadContext, Home)}; this holds for the thread's own
 *   chunks too, so that its own blocks and other threads' take one path (before, own blocks whose chunk the cache
 *   had not learnt went straight to the arena, and how many did depended on where the chunk happened to lie, one
 *   cause of larson's swing between runs). With d: c = d.slabMap.blockClassAt(address); -1 (not the start of a small
 *   fixed block): false, the free takes the old path, which validates. Word 1 of the block is zeroed (a store before
 *   the mark's load fetches the line for writing once, where a load then a store would fetch it shared and then
 *   upgrade it: 1-3% on larson with exchanges, tools/larson-interleave). If the block carries its mark it is not
 *   live (freed already, or parked by some thread): {@link InvalidBlockException}, and nothing the allocator or any
 *   live block holds has changed (word 1 of a block that is not live holds nothing). If class c is full or the byte
 *   budget is spent: a block of the thread's own arena (d.arena is the owner's), or no {@link Home} given (step 5,
 *   unit tests): false, and the caller frees it in its arena or takes the old path; another thread's, 1b: spill (false
 *   if the block still does not fit: one larger than about half the budget). Then mark, push, true.</li>
 *   <li><b>Spill</b> (step 1b): for a full class, and then, if the budget still has no room, for every class: copy
 *   out the older half of the class's stack with each block's arena from the descriptor cache, move the younger
 *   half down, adjust the counts, then send each copied block home ({@link Home#sendHome}, marked): the own arena
 *   frees it on the spot (a class may hold own blocks too), another thread's through the batched remote-free
 *   path.</li>
 *   <li><b>Allocation</b> ({@link #tryReuse}) of 1 .. {@link SizeClasses#SMALL_MAX} bytes by the thread, before its
 *   arena is called: pop a block of the size's class, clear its mark, return it.</li>
 *   <li><b>Send home</b> ({@link #sendHome}): every parked block, still marked, to {@link Home#sendHome}: the spill's
 *   routine for the whole of each class.</li>
 *   <li><b>Park a remote free</b> ({@link #parkRemoteFree}), called by the owner of arena A for each value it drains
 *   from A's inbox before an allocation ({@link RemoteFreeInbox#drain(ThreadBlockCache)}; {@code maintain} and
 *   every other drain free in the arena): d = the descriptor of the address (this cache's, else the
 *   {@link AddressMap}'s, then remembered); not A's chunk, or c = blockClassAt = -1, or class c full or the budget
 *   spent: false, and the drain frees it in A as before (no spill: the blocks are the thread's own, step 1). A block
 *   another thread's cache sent home ({@link RemoteFreeInbox#MARKED}) must carry its mark and keeps it (none:
 *   {@link InvalidBlockException}), then push; any other takes step 1 itself with no {@link Home} (the mark checked,
 *   a double free thrown, a full class not spilled). An exception reaches the allocator's error
 *   handler through the drain, as an arena's rejection of a remote free does, and nothing has changed.</li>
 * </ol>
 *
 * <h2>Why a double free is still caught</h2>
 * A small fixed block carries its mark exactly when it is not live ({@link FreeMark}: marked when its slab is cut,
 * when its arena frees it and when a thread parks it; cleared only when it is allocated or reused). Every free
 * of a small fixed block looks at the mark before anything changes: the arena's own ({@code OffHeapArena.free}),
 * this cache's (steps 1 and 5), and that of every thread that queues the free for the block's arena instead (a
 * thread without an arena or without a context: {@link RemoteFreeInbox} step 2 checks and marks before it queues, so a
 * block on its way home never looks live to a cache; an unmarked queued block could be parked by a second free and
 * handed out while the first was still on its way, found by an audit test, {@code PerThreadAuditTest}). So a second
 * free of a parked block, by any thread, is rejected on the spot, as is a free of a block its arena already holds as
 * free, and of a block start that was never allocated. (A remote double free
 * used to be found by the owner later and reported to the error handler; found here, it is thrown to the caller.) Not
 * caught: two frees of one block racing on two threads at the same moment (the second may read the block before the
 * first one's mark is visible to it), and a user that stores {@code address ^ SECRET} into a live block's first word.
 * One hazard comes with reading the block: a free of a block that is not live (a bad free), racing with its owner
 * giving the block's now empty chunk back to the memory source, may read memory that is no longer mapped. A live
 * block's chunk cannot go away (the block keeps it), so correct programs never meet it. Freers that queue a small
 * block read it for the same check and carry the same hazard; medium blocks and handles are never read by a freer.
 *
 * <h2>Why the descriptor cache is exact</h2>
 * A descriptor is immutable; {@link AddressMap#remove} sets its removed flag (a plain store) and then adds to the
 * map's removal count (a volatile add), before the chunk's memory goes back to its source. A thread can only free a live block, which
 * it received through a happens-before edge from the block's allocation, which came after its chunk's
 * {@link AddressMap#add}, which reads the removal count first and so comes after the removal of any earlier chunk
 * over the same addresses (see {@link AddressMap}); so a stale entry for that range reads as removed and misses.
 * The descriptor cache is also emptied at allocator close.
 *
 * <h2>Limits and costs</h2>
 * <ul>
 *   <li>Only small fixed blocks of per-thread arenas are cached; handles, medium and huge blocks, and blocks of
 *   stripes take their old paths. Only threads that own an arena cache (one that only frees cannot reuse); the
 *   remote frees of such a thread's blocks are parked by the blocks' owner instead (step 5).</li>
 *   <li>At most {@code capacityBytes} ({@code AllocatorConfig.threadCacheBytes}) and {@code depth} blocks a class
 *   per thread stay live in their arenas while parked, holding those arenas' chunks.</li>
 *   <li>Arena statistics count a parked block as live; {@code AllocatorCounters} counts parks and reuses.</li>
 *   <li>Reading and writing the mark touches the block's first cache line on free, a line the block's next user
 *   writes anyway.</li>
 * </ul>
 *
 * <h2>Threading</h2>
 * Confined to its thread, but for {@link #sendHome} by the liveness scan after the thread ended (its writes
 * happen-before {@code isAlive()} returning false), {@link #clear} at allocator close (which happens-after every other
 * call) and the plain statistics counters, which readers read racily (64-bit plain longs never tear).
 */
final class ThreadBlockCache extends ThreadBlockCacheFields
{
    long p21, p22, p23, p24, p25, p26, p27, p28, p29, p2a, p2b, p2c, p2d, p2e, p2f, p30;

    /** The most blocks a class may hold ({@link #depthFor}). */
    static final int MAX_DEPTH = 64;
    /** The fewest. */
    static final int MIN_DEPTH = 16;
    /** Budget bytes per block of depth: 4 KiB, so 64 KiB allows 16 blocks a class, 256 KiB (the default) 64. */
    private static final int BYTES_PER_DEPTH_SHIFT = 12;
    /** log2 of the address range one descriptor-cache entry stands for (4 MiB, the default chunk size). */
    static final int DESCRIPTOR_SHIFT = 22;
    /** Sets (windows) of the descriptor cache, two ways each. */
    static final int DESCRIPTORS = 16;
    private static final int DESCRIPTOR_MASK = DESCRIPTORS - 1;
    /**
     * Unused slots before and after the data of {@code blocks} (longs) and {@code counts} (ints): 128 bytes, so that
     * no other object (another thread's cache, which a garbage collection may copy next to this one) shares a cache
     * line with the parts written on every free and allocation.
     */
    private static final int LONG_PAD = 16;
    private static final int INT_PAD = 32;

    /** {@link #tryFree(long, ThreadContext, Home)}: the block is parked, the free is done. */
    static final int PARKED = 1;
    /** {@link #tryFree(long, ThreadContext, Home)}: the chunk is known but the block was not parked (not a small fixed block). */
    static final int NOT_PARKED = 0;
    /** {@link #tryFree(long, ThreadContext, Home)}: the descriptor cache does not know the block's chunk. */
    static final int UNKNOWN_CHUNK = -1;

    /** Where {@link #sendHome} sends a block. */
    interface Home
    {
        /**
         * Gives {@code address} back to its arena: live there, and still carrying its mark.
         * @param arena the block's arena when the caller knows it (from the descriptor cache), else null.
         */
        void sendHome(ThreadContext context, ManagedArena arena, long address);
    }

    /** Class c's stack: blocks[LONG_PAD + c * depth ..], its depth: counts[INT_PAD + c]. */
    private final long[] blocks;
    private final int[] counts = new int[INT_PAD + SizeClasses.CLASS_COUNT + INT_PAD];
    /** Scratch of {@link #sendOldest}: the blocks it sends and their arenas. */
    private final long[] spillBlocks;
    private final ManagedArena[] spillArenas;
    /** Set w (a window): ways [2w] (the chunk learnt last) and [2w + 1]. */
    private final AddressMap.Descriptor[] descriptors = new AddressMap.Descriptor[2 * DESCRIPTORS];
    private final long capacityBytes;
    /** Blocks a class may hold. */
    private final int depth;

    ThreadBlockCache(final long capacityBytes)
    {
        if (capacityBytes <= 0)
        {
            throw new IllegalArgumentException("capacityBytes=" + capacityBytes + ", expected > 0");
        }
        this.capacityBytes = capacityBytes;
        this.depth = depthFor(capacityBytes);
        this.blocks = new long[LONG_PAD + SizeClasses.CLASS_COUNT * depth + LONG_PAD];
        this.spillBlocks = new long[depth];
        this.spillArenas = new ManagedArena[depth];
    }

    /** @return the blocks a class may hold under a budget of {@code capacityBytes}: one per 4 KiB, 16 .. 64. */
    static int depthFor(final long capacityBytes)
    {
        return (int)Math.max(MIN_DEPTH, Math.min(MAX_DEPTH, capacityBytes >>> BYTES_PER_DEPTH_SHIFT));
    }

    /**
     * Step 1 with the descriptor cache.
     * @param owner the calling thread's context, {@code home} where a spill sends blocks (both null: never spill).
     * @return {@link #PARKED} (the free is done), {@link #UNKNOWN_CHUNK} (the caller's slow path learns the chunk) or
     * {@link #NOT_PARKED} (not a small fixed block, or no room: the caller frees it as without a cache).
     * @throws InvalidBlockException when the block carries its mark (a double free); nothing changed.
     */
    int tryFree(final long address, final ThreadContext owner, final Home home)
    {
        final AddressMap.Descriptor d = descriptorOf(address);
        if (d == null)
        {
            return UNKNOWN_CHUNK;
        }
        return tryFree(d, address, owner, home) ? PARKED : NOT_PARKED;
    }

    /**
     * @return the cached descriptor of the chunk containing {@code address} (way 0 of its window's set, else way 1),
     * or null.
     */
    private AddressMap.Descriptor descriptorOf(final long address)
    {
        final int set = ((int)(address >>> DESCRIPTOR_SHIFT) & DESCRIPTOR_MASK) << 1;
        AddressMap.Descriptor d = descriptors[set];
        if (d != null && d.contains(address) && !d.isRemovedPlain())
        {
            return d;
        }
        d = descriptors[set + 1];
        return d != null && d.contains(address) && !d.isRemovedPlain() ? d : null;
    }

    /**
     * Step 1 with {@code d}, the descriptor of the chunk containing {@code address} (its slab map not null).
     * @param owner the calling thread's context, {@code home} where a spill sends blocks (both null: never spill).
     * @return true when parked; false when the caller must free it as without a cache.
     */
    boolean tryFree(final AddressMap.Descriptor d, final long address, final ThreadContext owner, final Home home)
    {
        final int cls = d.slabMap.blockClassAt(d.base, address);
        if (cls < 0)
        {
            return false;
        }
        rejectMarked(d.arena, address);
        int n = counts[INT_PAD + cls];
        final int size = SizeClasses.classSize(cls);
        if (n == depth || bytes + size > capacityBytes)
        {
            if (home == null || d.arena == owner.arena)
            {
                return false; // the thread's own block: its arena's free is as cheap as a park, cheaper than a spill
            }
            if (!spill(cls, size, owner, home))
            {
                return false; // a block larger than half the budget: the old path frees it
            }
            n = counts[INT_PAD + cls];
        }
        FreeMark.mark(address);
        push(cls, n, size, address);
        return true;
    }

    /**
     * The double-free check of a free by a thread that does not own the block (step 1, and every free that queues a
     * small block for its arena, {@code ArenaAllocator.freeSlow}, {@link RemoteFreeInbox} step 2): a store first, so that the block's line,
     * most often last written by another core, is fetched for writing once and the mark's load waits for that fetch
     * instead of a shared read followed by an upgrade (the mark store). Word 1 of a block that is not live holds
     * nothing (FreeMark uses word 0; every block has 16 bytes).
     * @throws InvalidBlockException when the block carries its mark (not live): nothing has changed.
     */
    static void rejectMarked(final ManagedArena arena, final long address)
    {
        UnsafeApi.putLong(address + Long.BYTES, 0L);
        if (FreeMark.isMarked(address))
        {
            throw new InvalidBlockException("free: address=0x" + Long.toHexString(address) + " of " +
                arena.describeOwner() + " is already free (it carries its free mark), expected a live block " +
                "(double free)");
        }
    }

    /**
     * Step 5: a remote free of a block of the thread's own arena {@code own}, which the thread drains from that
     * arena's inbox on its allocation path ({@link RemoteFreeInbox#drain(ThreadBlockCache)}). A small fixed block
     * whose class has room is parked here instead of freed in the arena, so that the thread's next allocations of
     * its class reuse it without entering the arena.
     * @param marked the value came from another thread's cache ({@link RemoteFreeInbox#MARKED}): the block
     * already carries its mark and keeps it; else it is checked and marked as in step 1.
     * @param map where a chunk this cache does not know yet is found (and then remembered).
     * @return true when parked; false when the arena must free it (not a small fixed block of {@code own}, or no room).
     * @throws InvalidBlockException for a double free (a plain free of a block that carries its mark) or a block
     * sent home without its mark; nothing has changed.
     */
    boolean parkRemoteFree(final long address, final boolean marked, final ManagedArena own, final AddressMap map)
    {
        AddressMap.Descriptor d = descriptorOf(address);
        if (d == null)
        {
            d = map.find(address);
            if (d == null || d.slabMap == null || d.arena != own)
            {
                return false; // not this arena's block: the arena's free rejects it with its message
            }
            remember(d); // only the own arena's chunks: a stray value never teaches the cache a stripe's chunk
        }
        else if (d.arena != own)
        {
            return false; // as above, for a chunk the cache knew
        }
        if (!marked)
        {
            return tryFree(d, address, null, null); // step 1 with no Home: a full class is not spilled, it fails
        }
        final int cls = d.slabMap.blockClassAt(d.base, address);
        if (cls < 0)
        {
            return false;
        }
        final int n = counts[INT_PAD + cls];
        final int size = SizeClasses.classSize(cls);
        if (n == depth || bytes + size > capacityBytes)
        {
            return false; // the arena's free: as cheap, and no spill of the thread's own blocks (step 1)
        }
        if (!FreeMark.isMarked(address))
        {
            throw new InvalidBlockException("remote free: address=0x" + Long.toHexString(address) + " of " +
                own.describeOwner() + " came back from a thread cache without its free mark, expected a parked " +
                "block (carrying its mark)");
        }
        push(cls, n, size, address);
        return true;
    }

    /** Puts a marked block on class {@code cls}'s stack, which holds {@code n} blocks and has room (steps 1 and 5). */
    private void push(final int cls, final int n, final int size, final long address)
    {
        blocks[LONG_PAD + cls * depth + n] = address;
        counts[INT_PAD + cls] = n + 1;
        bytes += size;
        parked++;
    }

    /**
     * Keeps {@code d}, the descriptor of a per-thread arena's chunk (slab map not null), in way 0 of the set of every
     * window the chunk overlaps, for the next frees in it.
     */
    void remember(final AddressMap.Descriptor d)
    {
        final long first = d.base >>> DESCRIPTOR_SHIFT;
        final long last = Math.min((d.end - 1) >>> DESCRIPTOR_SHIFT, first + DESCRIPTORS - 1);
        for (long w = first; w <= last; w++)
        {
            final int set = ((int)w & DESCRIPTOR_MASK) << 1;
            if (descriptors[set] != d)
            {
                descriptors[set + 1] = descriptors[set];
                descriptors[set] = d;
            }
        }
    }

    /**
     * Step 2: a parked block for an allocation of {@code size} bytes (1 .. {@link SizeClasses#SMALL_MAX}).
     * @return its address, mark cleared, or 0 when none of that class is parked.
     */
    long tryReuse(final long size)
    {
        final int cls = SizeClasses.classOf(size);
        final int n = counts[INT_PAD + cls];
        if (n == 0)
        {
            return 0;
        }
        final long address = blocks[LONG_PAD + cls * depth + n - 1];
        counts[INT_PAD + cls] = n - 1;
        bytes -= SizeClasses.classSize(cls);
        reused++;
        FreeMark.clear(address);
        return address;
    }

    /**
     * Step 1b, for a block of class {@code cls} ({@code size} bytes) that finds its class full or the byte budget
     * spent: the older half of the class goes home if it is full; then, if the budget still has no room, the older
     * half of every class. The younger blocks move down. One spill serves at least {@code depth / 2} frees of the
     * class, or about half the budget's bytes.
     * @return true when the block now fits (false only for a block larger than about half the budget).
     */
    private boolean spill(final int cls, final int size, final ThreadContext owner, final Home home)
    {
        final int n = counts[INT_PAD + cls];
        if (n == depth)
        {
            sendOldest(cls, (n + 1) >>> 1, owner, home);
        }
        if (bytes + size > capacityBytes)
        {
            for (int c = 0; c < SizeClasses.CLASS_COUNT; c++)
            {
                sendOldest(c, (counts[INT_PAD + c] + 1) >>> 1, owner, home);
            }
        }
        return bytes + size <= capacityBytes;
    }

    /**
     * Sends the {@code count} oldest blocks of class {@code cls} home (a spill: about half; {@link #sendHome}: all),
     * each with its arena from the descriptor cache when it knows the chunk, and moves the younger ones down.
     * @return {@code count}.
     */
    private int sendOldest(final int cls, final int count, final ThreadContext owner, final Home home)
    {
        if (count == 0)
        {
            return 0;
        }
        final int n = counts[INT_PAD + cls];
        final int base = LONG_PAD + cls * depth;
        // first shrink the stack, then send: a send that throws leaves no block both parked and at home
        for (int i = 0; i < count; i++)
        {
            final long address = blocks[base + i];
            final AddressMap.Descriptor d = descriptorOf(address);
            spillArenas[i] = d != null ? d.arena : null;
            spillBlocks[i] = address;
        }
        System.arraycopy(blocks, base + count, blocks, base, n - count);
        counts[INT_PAD + cls] = n - count;
        bytes -= (long)SizeClasses.classSize(cls) * count;
        sentHome += count;
        for (int i = 0; i < count; i++)
        {
            final ManagedArena m = spillArenas[i];
            spillArenas[i] = null;
            home.sendHome(owner, m, spillBlocks[i]);
        }
        return count;
    }

    /** @return true when nothing was parked or reused since the last call (and starts a new period). */
    boolean isIdleSinceLastLook()
    {
        final long now = parked + reused;
        final boolean idle = now == lastLook;
        lastLook = now;
        return idle;
    }

    /** @return true when no block is parked. */
    boolean isEmpty()
    {
        return bytes == 0;
    }

    /** Step 3: every parked block goes home, still marked. @return the number sent. */
    int sendHome(final ThreadContext context, final Home home)
    {
        int sent = 0;
        for (int cls = 0; cls < SizeClasses.CLASS_COUNT && bytes != 0; cls++)
        {
            sent += sendOldest(cls, counts[INT_PAD + cls], context, home);
        }
        return sent;
    }

    /** At allocator close, when every arena is closed or about to be: forgets the parked blocks and descriptors. */
    void clear()
    {
        java.util.Arrays.fill(counts, 0);
        java.util.Arrays.fill(descriptors, null);
        bytes = 0;
    }

    /** Parked bytes (class sizes). */
    long bytes()
    {
        return bytes;
    }
}

/** Padding before {@link ThreadBlockCacheFields} (see {@link ThreadBlockCache}'s threading note). */
abstract class ThreadBlockCachePad0
{
    long p01, p02, p03, p04, p05, p06, p07, p08, p09, p0a, p0b, p0c, p0d, p0e, p0f, p10;
}

/**
 * The fields of {@link ThreadBlockCache} its thread writes on every free and allocation, between 128 bytes of
 * padding on each side: a garbage collection may copy two threads' caches next to each other.
 */
abstract class ThreadBlockCacheFields extends ThreadBlockCachePad0
{
    /** The parked blocks' class bytes; 0 when none is parked. */
    long bytes;
    /** {@code parked + reused} at the last {@code isIdleSinceLastLook}. */
    long lastLook;
    /** Statistics and the owner's drain count: written by the thread, read racily. */
    long parked;
    long reused;
    long sentHome;
}
