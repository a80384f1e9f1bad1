package io.arenaalloc.core;

import org.agrona.UnsafeApi;

import java.security.SecureRandom;

/**
 * The free mark: the first 8 bytes of every small fixed block that is not live say so. This is what lets a thread
 * other than a block's owner tell, without touching the owner's metadata, that the block is free or parked
 * somewhere, so that a thread may keep a block it freed, whichever thread's arena allocated it, and hand it out again
 * ({@code io.arenaalloc.threads.ThreadBlockCache}) and a double free is still caught. Kept by arenas built with
 * {@link ArenaConfig#freeMarks()} (the thread-safe facade's stripes always, its per-thread arenas when its thread
 * caches are on), never in debug mode. Besides thread caches, the facade's threads without a context mark the small
 * blocks of other arenas they free and queue them marked ({@code io.arenaalloc.threads.RemoteFreeInbox} step 2).
 *
 * <h2>The mark word (the block's bytes 0..7 while it is not live)</h2>
 * <pre>
 *   63 ................................................................ 0
 *   |                 address XOR SECRET                                 |
 *   SECRET: 64 random bits drawn once per JVM, bit 63 forced on, so that no user-space address
 *   (below 2^48) has a mark of 0 and a zeroed block never looks marked
 * </pre>
 *
 * <h2>Invariant (the fixed heap of an arena with free marks; movable, medium and huge blocks carry no mark)</h2>
 * <ol>
 *   <li>Carve: when a slab is cut for a fixed size class, every block of it gets its mark
 *   ({@code Heap.refill}).</li>
 *   <li>Allocate: the block handed out has its first word cleared to 0 ({@code OffHeapArena.allocateSmall}). Its
 *   contents are undefined to the user anyway; the user may then store anything, and only a store of exactly
 *   {@code address ^ SECRET} (2^-64 for data that does not come from reading a freed block) could make a live
 *   block look free.</li>
 *   <li>Free: after the owner's start-bit check passes, a block that carries its mark is not live but parked in a
 *   thread's cache or on its way back from one: the free is rejected as a double free, nothing changes. Otherwise the block gets its
 *   mark, then goes to the free cache ({@code OffHeapArena.free}).</li>
 *   <li>A thread that parks a block checks for the mark first (a double free: rejected; it zeroes the block's
 *   word 1 just before, to fetch the line for writing once), then writes it; a thread
 *   that hands a parked block out clears it as in step 2. A parked block that goes back to its arena keeps its mark
 *   on the way (a free of it meanwhile is rejected as in step 3), and the arena frees it with
 *   {@link OffHeapArena#freeMarked}, which expects the mark instead of rejecting it.</li>
 * </ol>
 * So a small fixed block carries its mark exactly when it is not live: free in its slab, in its owner's free cache,
 * or parked. Marks cost the owner one 8-byte load and one store on a small free and one store on a small
 * allocation, all to the block's first cache line, which the user of a block typically touches anyway.
 *
 * <h2>Limits (documented with the thread cache)</h2>
 * A double free that races with the first free of the same block on another thread may see the block before the
 * first free's mark and be missed; sequential double frees (any threads, any order) are caught.
 */
public final class FreeMark
{
    private static final long SECRET = new SecureRandom().nextLong() | Long.MIN_VALUE;

    private FreeMark()
    {
    }

    /** @return the mark of the block at {@code address}. */
    public static long of(final long address)
    {
        return address ^ SECRET;
    }

    /** @return true when the block at {@code address} carries its mark (is not live). */
    public static boolean isMarked(final long address)
    {
        return UnsafeApi.getLong(address) == (address ^ SECRET);
    }

    /** Writes the mark into the block at {@code address}. */
    public static void mark(final long address)
    {
        UnsafeApi.putLong(address, address ^ SECRET);
    }

    /** Clears the mark of the block at {@code address} (it becomes live, or goes back to its owner). */
    public static void clear(final long address)
    {
        UnsafeApi.putLong(address, 0L);
    }
}
