package io.arenaalloc.threads;

import io.arenaalloc.core.SlabMap;

import java.lang.invoke.MethodHandles;
import java.lang.invoke.VarHandle;

/**
 * Maps any address to the arena whose chunk contains it, in O(1), for readers on any thread without
 * a lock or an atomic read-modify-write; written by the arenas' owners through their chunk listener.
 *
 * <h2>Idea (as {@code io.arenaalloc.core.ChunkMap}, made concurrent)</h2>
 * The address space is cut into <b>windows</b> of 2^{@value #WINDOW_SHIFT} bytes (128 KiB). Every chunk is
 * at least 128 KiB long and 4096-aligned, so a window intersects at most two chunks (the one that ends
 * in it and the one that starts in it): each window has two slots, each holding an immutable
 * {@link Descriptor} (base, end, arena) or null.
 *
 * <h2>Bit layout of an address (user space is below 2^48, as the handle encoding already assumes)</h2>
 * <pre>
 *   63 .. 48 | 47 ......... 37 | 36 ......... 27 | 26 ......... 17 | 16 ........ 0
 *   zero     | root index (11) | mid index (10)  | leaf index (10) | offset in window
 * </pre>
 * <pre>
 *   root: Descriptor[2048][][]  (made at construction)
 *     -&gt; mid: Descriptor[1024][]  (made on first use, installed by CAS; 8 KiB per 128 GiB of address space)
 *          -&gt; leaf: Descriptor[2048] = 2 slots x 1024 windows  (8-16 KiB per 128 MiB of address space)
 * </pre>
 * Nodes are never removed or replaced, so a reader that loaded a node can use it forever.
 *
 * <h2>Algorithms</h2>
 * <ol>
 *   <li><b>find</b> (any thread): k = address &gt;&gt;&gt; 17; acquire-load root[k &gt;&gt;&gt; 20], mid[(k &gt;&gt;&gt; 10) &amp; 1023],
 *   then the two slots of window k &amp; 1023; return the descriptor whose [base, end) contains the address.
 *   Three dependent loads and at most two range checks; nothing allocated.</li>
 *   <li><b>add</b> (an arena's owner, before any block of the chunk is handed out): for every window the
 *   chunk touches, CAS its descriptor into the first empty slot of the two. Both taken: three chunks meet
 *   in one window, which only overlapping chunks can do: {@link IllegalStateException}, after taking the
 *   descriptor out of the windows already done. (Not every overlap meets that test; memory sources never
 *   hand out overlapping regions, so it is a safety net for caller-owned regions, not a guarantee.)</li>
 *   <li><b>remove</b> (an arena's owner, after the chunk's last block is gone and before the memory goes
 *   back to its source): set the descriptor's removed flag (a plain store) and CAS it out of every window slot that holds
 *   it, then count the removal in {@code removals} (a volatile add).</li>
 * </ol>
 * An <b>add</b> first reads {@code removals} (a volatile read), so every removal that came before it in real time
 * (all removals of chunks whose memory the new chunk reuses: their memory went back to its source before this
 * chunk got it) happens-before the add, and so before any block of the new chunk is handed out. That is what
 * makes a descriptor cached outside the map safe ({@link ThreadBlockCache}): a thread that frees a block of the
 * new chunk sees the removed flag of any stale descriptor of the same range.
 * <b>Visibility</b>: a thread that frees a block received its address through some happens-before edge
 * from the allocating owner, whose allocation came after the add's CAS; so find sees the descriptor.
 * A find racing with a remove can only be for a block that is no longer live (an invalid free): it may
 * return the departing descriptor, and the owner rejects the free (benign).
 */
final class AddressMap
{
    static final int WINDOW_SHIFT = 17;
    static final int LEAF_BITS = 10;
    static final int MID_BITS = 10;
    static final int ROOT_BITS = 48 - WINDOW_SHIFT - LEAF_BITS - MID_BITS;
    static final int LEAF_WINDOWS = 1 << LEAF_BITS;
    static final int MID_SIZE = 1 << MID_BITS;
    static final int ROOT_SIZE = 1 << ROOT_BITS;
    static final long MAX_ADDRESS = 1L << 48;

    private static final VarHandle ROOT = MethodHandles.arrayElementVarHandle(Descriptor[][][].class);
    private static final VarHandle MID = MethodHandles.arrayElementVarHandle(Descriptor[][].class);
    private static final VarHandle LEAF = MethodHandles.arrayElementVarHandle(Descriptor[].class);
    private static final VarHandle REMOVALS;

    static
    {
        try
        {
            REMOVALS = MethodHandles.lookup().findVarHandle(AddressMap.class, "removals", long.class);
        }
        catch (final ReflectiveOperationException ex)
        {
            throw new ExceptionInInitializerError(ex);
        }
    }

    /** One chunk of one arena: immutable, so a reader needs no fence beyond the acquire load of it. */
    static final class Descriptor
    {
        final ManagedArena arena;
        final long base;
        final long end;
        /**
         * The chunk's fixed slabs for other threads (any arena's regular chunk: per-thread arenas' for the freers'
         * {@link ThreadBlockCache}, stripes' for marked frees by threads without a context), else null.
         */
        final SlabMap slabMap;
        /**
         * Set by {@link AddressMap#remove} before its volatile add to {@code removals}, which every later add reads: a
         * plain field is enough (see the class comment).
         */
        private boolean removed;

        Descriptor(final ManagedArena arena, final long base, final long size)
        {
            this(arena, base, size, null);
        }

        Descriptor(final ManagedArena arena, final long base, final long size, final SlabMap slabMap)
        {
            this.arena = arena;
            this.base = base;
            this.end = base + size;
            this.slabMap = slabMap;
        }

        boolean contains(final long address)
        {
            return address >= base && address < end;
        }

        /**
         * Any thread that frees a block it received through a happens-before edge from the block's allocation: the
         * chunk left the map (a cached reference to this descriptor is stale).
         */
        boolean isRemovedPlain()
        {
            return removed;
        }

        public String toString()
        {
            return "Descriptor{arena=" + arenaId(this) + ", base=0x" + Long.toHexString(base) + ", end=0x" +
                Long.toHexString(end) + '}';
        }
    }

    private static String arenaId(final Descriptor d)
    {
        return d.arena == null ? "-" : Integer.toString(d.arena.id);
    }

    private final Descriptor[][][] root = new Descriptor[ROOT_SIZE][][];
    /** Removals so far (see the class comment: an add reads it, a remove adds to it). */
    private volatile long removals;

    /** Any thread. @return the descriptor of the chunk containing {@code address}, or null. */
    Descriptor find(final long address)
    {
        if (address <= 0 || address >= MAX_ADDRESS)
        {
            return null;
        }
        final long k = address >>> WINDOW_SHIFT;
        final Descriptor[][] mid = (Descriptor[][])ROOT.getAcquire(root, (int)(k >>> (LEAF_BITS + MID_BITS)));
        if (mid == null)
        {
            return null;
        }
        final Descriptor[] leaf = (Descriptor[])MID.getAcquire(mid, (int)(k >>> LEAF_BITS) & (MID_SIZE - 1));
        if (leaf == null)
        {
            return null;
        }
        final int slot = ((int)k & (LEAF_WINDOWS - 1)) << 1;
        final Descriptor a = (Descriptor)LEAF.getAcquire(leaf, slot);
        if (a != null && a.contains(address))
        {
            return a;
        }
        final Descriptor b = (Descriptor)LEAF.getAcquire(leaf, slot + 1);
        if (b != null && b.contains(address))
        {
            return b;
        }
        return null;
    }

    /** An arena's owner (slow path). */
    void add(final Descriptor d)
    {
        checkRange(d);
        if (removals < 0)
        {
            throw new IllegalStateException("removals=" + removals); // the volatile read that orders earlier removals
        }
        final long first = d.base >>> WINDOW_SHIFT;
        final long last = (d.end - 1) >>> WINDOW_SHIFT;
        for (long k = first; k <= last; k++)
        {
            final Descriptor[] leaf = leaf(k, true);
            final int slot = ((int)k & (LEAF_WINDOWS - 1)) << 1;
            if (!LEAF.compareAndSet(leaf, slot, (Descriptor)null, d) && !LEAF.compareAndSet(leaf, slot + 1, (Descriptor)null, d))
            {
                final Descriptor x = (Descriptor)LEAF.getVolatile(leaf, slot);
                final Descriptor y = (Descriptor)LEAF.getVolatile(leaf, slot + 1);
                for (long u = first; u < k; u++)
                {
                    removeAt(u, d);
                }
                throw new IllegalStateException("chunk [0x" + Long.toHexString(d.base) + ", 0x" + Long.toHexString(d.end) +
                    ") of arena " + arenaId(d) + " overlaps registered chunks " + x + " and " + y +
                    ": two arenas were given the same memory");
            }
        }
    }

    /** An arena's owner (slow path). @return false when no window held a descriptor for that chunk. */
    boolean remove(final ManagedArena arena, final long base, final long size)
    {
        final long first = base >>> WINDOW_SHIFT;
        final long last = (base + size - 1) >>> WINDOW_SHIFT;
        boolean found = false;
        for (long k = first; k <= last; k++)
        {
            final Descriptor[] leaf = leaf(k, false);
            if (leaf == null)
            {
                continue;
            }
            final int slot = ((int)k & (LEAF_WINDOWS - 1)) << 1;
            for (int s = slot; s <= slot + 1; s++)
            {
                final Descriptor d = (Descriptor)LEAF.getVolatile(leaf, s);
                if (d != null && d.arena == arena && d.base == base)
                {
                    d.removed = true; // before the removals count below, which a later add reads
                    if (LEAF.compareAndSet(leaf, s, d, (Descriptor)null))
                    {
                        found = true;
                    }
                }
            }
        }
        REMOVALS.getAndAdd(this, 1L); // after the removed flags: an add that reads it sees them
        return found;
    }

    private void removeAt(final long k, final Descriptor d)
    {
        final Descriptor[] leaf = leaf(k, false);
        final int slot = ((int)k & (LEAF_WINDOWS - 1)) << 1;
        if (!LEAF.compareAndSet(leaf, slot, d, (Descriptor)null))
        {
            LEAF.compareAndSet(leaf, slot + 1, d, (Descriptor)null);
        }
    }

    private Descriptor[] leaf(final long k, final boolean create)
    {
        final int r = (int)(k >>> (LEAF_BITS + MID_BITS));
        Descriptor[][] mid = (Descriptor[][])ROOT.getAcquire(root, r);
        if (mid == null)
        {
            if (!create)
            {
                return null;
            }
            final Descriptor[][] fresh = new Descriptor[MID_SIZE][];
            mid = ROOT.compareAndSet(root, r, (Descriptor[][])null, fresh) ? fresh : (Descriptor[][])ROOT.getAcquire(root, r);
        }
        final int m = (int)(k >>> LEAF_BITS) & (MID_SIZE - 1);
        Descriptor[] leaf = (Descriptor[])MID.getAcquire(mid, m);
        if (leaf == null)
        {
            if (!create)
            {
                return null;
            }
            final Descriptor[] fresh = new Descriptor[LEAF_WINDOWS << 1];
            leaf = MID.compareAndSet(mid, m, (Descriptor[])null, fresh) ? fresh : (Descriptor[])MID.getAcquire(mid, m);
        }
        return leaf;
    }

    private static void checkRange(final Descriptor d)
    {
        if (d.base <= 0 || d.end > MAX_ADDRESS || d.end - d.base < (1L << WINDOW_SHIFT))
        {
            throw new IllegalArgumentException("chunk [0x" + Long.toHexString(d.base) + ", 0x" + Long.toHexString(d.end) +
                "), expected at least " + (1L << WINDOW_SHIFT) + " bytes below 2^48");
        }
    }
}
