package io.arenaalloc.core;

import java.lang.invoke.MethodHandles;
import java.lang.invoke.VarHandle;

/**
 * Stable 64-bit handles for movable blocks, and the pin-versus-move protocol.
 *
 * <h2>Handle word</h2>
 * <pre>
 *   63  62 ............ 48 47 ............... 28 27 .................. 0
 *   +---+-----------------+---------------------+----------------------+
 *   | 1 |  arena id (15)  |  generation (20)    |  slot index (28)     |
 *   +---+-----------------+---------------------+----------------------+
 * </pre>
 * Bit 63 is always set, so every handle is a negative long and can never equal a user-space address
 * (x86-64 and AArch64 user addresses are below 2^48): {@code free(long)} tells the two apart by sign.
 * Widths are derived from {@link #ARENA_ID_BITS}, {@link #GENERATION_BITS} and {@link #INDEX_BITS}.
 *
 * <h2>Slot state word (one per slot, the only word other threads write)</h2>
 * <pre>
 *   63   | 62 ........ 48 | 47 ............. 28 | 27     | 26      | 25 .. 20 | 19 ........... 0
 *   LIVE | arena id (15)  | generation (20)     | MOVING | COPYING | reserved | pin count (20)
 * </pre>
 * LIVE sits where the handle has its flag bit, and the arena id and generation sit exactly where the
 * handle has them; MOVING, COPYING and the pin count sit under the handle's slot index, which the state does
 * not need. So a handle is <b>current</b> iff {@code ((state ^ handle) & CURRENT_MASK) == 0} with
 * {@link #CURRENT_MASK} covering bits 28..63: one XOR, one AND, one compare check at once that the word
 * belongs to this arena, that the slot is LIVE and that the generations match, given that the word is a
 * handle (negative), which the segment lookup tests first ({@code segmentOf}: a non-negative word would
 * otherwise match a slot whose state has LIVE clear, e.g. one never issued, whose state is 0). A
 * stale, double-freed or foreign handle is detected in O(1). Only when that check fails does
 * {@code notCurrent} work out which of these it was (and whether the table was closed) for the message.
 *
 * <h2>Generation wrap</h2>
 * Freeing a slot increments its generation. A slot whose generation would wrap past 2^20 - 1 is
 * <b>retired</b>: never reused, so an old handle can never become current again by wrap-around (ABA is
 * impossible, at the cost of one dead 24-byte slot per 2^20 reuses of that slot).
 *
 * <h2>Arena ids</h2>
 * Generations protect a handle within one arena's life; a new arena's table starts every slot at generation 0
 * again. So the arena id in the handle must not come back soon after its arena closes: an arena created with
 * the automatic id ({@code OffHeapArena}) and every arena of an {@code ArenaAllocator} takes ids round robin
 * over all 32,768, skipping open ones. A handle of a closed arena therefore meets "arena not open" (or another
 * arena's id check) until 32,767 other arenas have been created after it; only then could a new arena with
 * its id take it for one of its own slots with the same generation. An arena given an explicit id
 * ({@code ArenaConfig.arenaId}) reuses that id at once: handles of its closed predecessor must be gone by then.
 *
 * <h2>Slot storage</h2>
 * <pre>
 *   directory (long[][], replaced on growth by the owner, published with a release store)
 *     -&gt; segment 0: long[3 * 4096]
 *          [0 .. 8191]     | state 0 | address 0 | state 1 | address 1 | ...   hot pairs, 16 bytes a slot
 *          [8192 .. 12287] | size 0 | size 1 | ...                             cold, one long a slot
 *     -&gt; segment 1: ...
 * </pre>
 * The pair read by {@code resolve} and {@code pin} shares one 16-byte cell (a 64-byte line holds four
 * such cells), so the hot part of a table of 8,192 handles is 128 KiB. Growth adds a segment and
 * publishes a longer copy of the directory; existing segments never move, so a reader on another thread holding an
 * old directory still finds every slot it can name, and no reader ever blocks. Readers load the
 * directory with a plain read: a thread holding a handle got it through a happens-before edge that
 * follows the growth which created its slot (see {@code segment}; readers on other threads go through {@code segmentOf}, the same plain read).
 *
 * <h2>Pin versus move (state machine per slot)</h2>
 * <pre>
 *               alloc (owner)             free (owner, CAS, pins == 0 only)
 *   FREE(g) ----------------&gt; LIVE(g,0) -------------------------------&gt; FREE(g+1)
 *                             |     ^  \
 *                 pin (CAS +1)|     |   \ compactor: CAS LIVE(g,0) -&gt; LIVE(g,0)|MOVING
 *               unpin (CAS -1)v     |    v
 *                          LIVE(g,n&gt;0) LIVE(g,0)|MOVING --copy, write address, release-store--&gt; LIVE(g,0)
 *                                   ^        ^
 *         pin: CAS to pins+1,       |        | compactor, last piece copied: CAS COPYING -&gt; MOVING
 *         COPYING cleared;          |        |
 *         resolve/free/realloc:  LIVE(g,0)|COPYING  &lt;-- compactor: CAS LIVE(g,0) -&gt; LIVE(g,0)|COPYING
 *         CAS COPYING away             (a staged move: its pieces are copied over several steps)
 * </pre>
 * <ol>
 *   <li><b>pin</b> (any thread): first a compare-and-exchange of LIVE(g, 0) (the state the handle names) to
 *   LIVE(g, 1), the uncontended case in one atomic instruction. Otherwise, from the state it saw (its witness):
 *   if not current: {@link StaleHandleException}. If MOVING: spin ({@code onSpinWait}) until it clears (a move
 *   is one bounded copy). CAS state to pins + 1 with COPYING cleared. Then read the address: it happens-after
 *   the mover's release store, so it is the new one.</li>
 *   <li><b>move</b> (owner's compactor): CAS state from LIVE(g, 0) to LIVE(g, 0)|MOVING. If the CAS fails
 *   or pins != 0, skip the block: the compactor never waits for a pin. Copy the bytes, write the new
 *   address, release-store LIVE(g, 0).</li>
 *   <li>A pin thus sees the block either before the move (its CAS came first, so the mover's CAS fails
 *   and nothing moves) or after it (it saw MOVING clear, ordered after the address write), never
 *   during.</li>
 *   <li><b>staged move</b> (owner's compactor, for a block whose copy would overrun one step's budget):
 *   CAS LIVE(g, 0) to LIVE(g, 0)|COPYING ({@link #tryBeginStaged}), then copy the block a piece per step.
 *   Between steps the block stays where it was and every access to it cancels the move: a pin (any
 *   thread) clears COPYING in its CAS; the owner's {@code resolve} clears it with a CAS before it returns
 *   the address (an address from before the step is void after the step, by the resolve rule below, so the
 *   owner reaches the block only through a resolve); free and reallocate resolve first. Each later step
 *   first checks that the state is still exactly LIVE(g, 0)|COPYING ({@link #isStagedIntact}); if not, it
 *   gives the copy up and the block stays. After the last piece, the compactor CASes LIVE(g, 0)|COPYING to
 *   LIVE(g, 0)|MOVING ({@link #tryFinishStaged}) and finishes as a move; a pin racing with that CAS either
 *   wins (the move is given up) or waits for MOVING to clear and gets the new address. So a pinned or
 *   resolved address never points at a copy that can go stale.</li>
 *   <li><b>unpin</b> (any thread): CAS pins - 1 (first tried from LIVE(g, 1), as pin does); unpinning a handle
 *   with no pins throws.</li>
 *   <li><b>free</b> (owner): CAS LIVE(g, 0) to FREE(g + 1); with pins &gt; 0 it throws and changes nothing.</li>
 *   <li><b>reallocate</b> to a new block (owner): a move like the compactor's: CAS LIVE(g, 0) to
 *   LIVE(g, 0)|MOVING, copy, swap the slots, publish the new address and clear MOVING, free the old block. A
 *   handle pinned before the CAS makes it throw (and the temporary block is freed again).</li>
 *   <li><b>resolve</b> (owner only): a plain read of the state, the currency check, a plain read of the
 *   address (and, only when COPYING is set, the CAS that clears it). It stays valid until the owner's
 *   next compaction step, reallocation of the handle, or free; a pinned address stays valid until the
 *   matching unpin, on any thread.</li>
 * </ol>
 * Owner-side fields (free slot stack, slot count) are confined to the owner thread.
 */
public final class HandleTable
{
    public static final int ARENA_ID_BITS = 15;
    public static final int GENERATION_BITS = 20;
    public static final int INDEX_BITS = 28;

    static final int INDEX_SHIFT = 0;
    static final int GENERATION_SHIFT = INDEX_SHIFT + INDEX_BITS;
    static final int ARENA_ID_SHIFT = GENERATION_SHIFT + GENERATION_BITS;
    static final long HANDLE_FLAG = 1L << (ARENA_ID_SHIFT + ARENA_ID_BITS);
    static final long INDEX_MASK = (1L << INDEX_BITS) - 1;
    static final long GENERATION_MASK = (1L << GENERATION_BITS) - 1;
    static final long ARENA_ID_MASK = (1L << ARENA_ID_BITS) - 1;
    public static final int MAX_GENERATION = (int)GENERATION_MASK;
    public static final int MAX_SLOTS = 1 << INDEX_BITS;

    static final int PINS_BITS = 20;
    static final long PINS_MASK = (1L << PINS_BITS) - 1;
    /** MOVING takes the top bit of the handle's index field, which the state word does not need. */
    static final int MOVING_SHIFT = GENERATION_SHIFT - 1;
    /** LIVE takes the handle's flag bit, so a current handle and its slot's state agree on bits 28..63. */
    static final int LIVE_SHIFT = ARENA_ID_SHIFT + ARENA_ID_BITS;
    static final long MOVING = 1L << MOVING_SHIFT;
    /** COPYING, the bit below MOVING: a staged move has copied part of the block (see the protocol). */
    static final int COPYING_SHIFT = MOVING_SHIFT - 1;
    static final long COPYING = 1L << COPYING_SHIFT;
    static final long LIVE = 1L << LIVE_SHIFT;
    /** The bits a current handle shares with its slot's state: flag/LIVE, arena id, generation. */
    static final long CURRENT_MASK = ~(INDEX_MASK << INDEX_SHIFT);
    public static final int MAX_PINS = (int)PINS_MASK;

    static
    {
        if (PINS_BITS >= COPYING_SHIFT || LIVE != HANDLE_FLAG)
        {
            throw new ExceptionInInitializerError("state word layout: pins must sit below MOVING, LIVE on the flag bit");
        }
    }

    static final int SEGMENT_SHIFT = 12;
    static final int SEGMENT_SLOTS = 1 << SEGMENT_SHIFT;
    static final int SEGMENT_MASK = SEGMENT_SLOTS - 1;
    /** Each slot's hot pair (state, address) takes 2 longs: 16 bytes, four slots per cache line. */
    static final int STRIDE_SHIFT = 1;
    static final int STATE = 0;
    static final int ADDRESS = 1;
    /** The cold sizes follow the pairs, one long per slot. */
    static final int SIZES_BASE = SEGMENT_SLOTS << STRIDE_SHIFT;
    static final int SEGMENT_LONGS = SIZES_BASE + SEGMENT_SLOTS;

    private static final VarHandle LONGS = MethodHandles.arrayElementVarHandle(long[].class);
    private static final VarHandle DIRECTORY;

    static
    {
        try
        {
            DIRECTORY = MethodHandles.lookup().findVarHandle(HandleTable.class, "directory", long[][].class);
        }
        catch (final ReflectiveOperationException ex)
        {
            throw new ExceptionInInitializerError(ex);
        }
    }

    private final int arenaId;
    @SuppressWarnings("unused") // accessed through DIRECTORY
    private long[][] directory = new long[0][];
    private volatile boolean closed;
    // owner-confined
    private int slotCount;
    private int[] freeSlots = new int[64];
    private int freeTop;
    private int liveHandles;
    private int retiredSlots;

    HandleTable(final int arenaId)
    {
        this.arenaId = arenaId;
    }

    // ---- handle word -------------------------------------------------------------------------

    public static long handle(final int arenaId, final int generation, final int index)
    {
        return HANDLE_FLAG | ((long)arenaId << ARENA_ID_SHIFT) | ((long)generation << GENERATION_SHIFT) |
            ((long)index << INDEX_SHIFT);
    }

    public static boolean isHandle(final long word)
    {
        return word < 0;
    }

    public static int arenaIdOf(final long handle)
    {
        return (int)((handle >>> ARENA_ID_SHIFT) & ARENA_ID_MASK);
    }

    public static int generationOf(final long handle)
    {
        return (int)((handle >>> GENERATION_SHIFT) & GENERATION_MASK);
    }

    public static int indexOf(final long handle)
    {
        return (int)((handle >>> INDEX_SHIFT) & INDEX_MASK);
    }

    // ---- state word --------------------------------------------------------------------------

    static long state(final int arenaId, final int generation, final boolean live, final boolean moving, final int pins)
    {
        return (live ? LIVE : 0) | ((long)arenaId << ARENA_ID_SHIFT) | ((long)generation << GENERATION_SHIFT) |
            (moving ? MOVING : 0) | pins;
    }

    static boolean stateCopying(final long state)
    {
        return (state & COPYING) != 0;
    }

    static int stateArenaId(final long state)
    {
        return (int)((state >>> ARENA_ID_SHIFT) & ARENA_ID_MASK);
    }

    static int stateGeneration(final long state)
    {
        return (int)((state >>> GENERATION_SHIFT) & GENERATION_MASK);
    }

    static int statePins(final long state)
    {
        return (int)(state & PINS_MASK);
    }

    static boolean stateLive(final long state)
    {
        return (state & LIVE) != 0;
    }

    static boolean stateMoving(final long state)
    {
        return (state & MOVING) != 0;
    }

    // ---- slots ---------------------------------------------------------------------------------

    int arenaId()
    {
        return arenaId;
    }

    /**
     * The segment holding slot {@code index}, or null. A plain read of the directory is enough on any
     * thread: the owner wrote it itself, and a thread holding a handle received that handle through a
     * happens-before edge (a queue, a lock, a volatile write) that follows the growth which made the
     * slot, so it sees that directory or a later one.
     */
    private long[] segment(final int index)
    {
        final long[][] dir = directory;
        final int s = index >>> SEGMENT_SHIFT;
        return s < dir.length ? dir[s] : null;
    }

    private static int offset(final int index)
    {
        return (index & SEGMENT_MASK) << STRIDE_SHIFT;
    }

    private static int sizeOffset(final int index)
    {
        return SIZES_BASE + (index & SEGMENT_MASK);
    }

    /**
     * Owner: takes a slot and makes it LIVE at its current generation.
     * @return the new handle.
     */
    long allocate(final long address, final long size)
    {
        final int index;
        if (freeTop > 0)
        {
            index = freeSlots[--freeTop];
        }
        else
        {
            if (slotCount == MAX_SLOTS)
            {
                throw new IllegalStateException("handle table full: slots=" + MAX_SLOTS);
            }
            index = slotCount++;
            if ((index & SEGMENT_MASK) == 0)
            {
                grow(index >>> SEGMENT_SHIFT);
            }
        }
        final long[] seg = segment(index);
        final int o = offset(index);
        final int generation = stateGeneration((long)LONGS.getVolatile(seg, o + STATE));
        seg[o + ADDRESS] = address;
        seg[sizeOffset(index)] = size;
        LONGS.setRelease(seg, o + STATE, state(arenaId, generation, true, false, 0));
        liveHandles++;
        return handle(arenaId, generation, index);
    }

    private void grow(final int segmentIndex)
    {
        final long[][] old = directory;
        if (segmentIndex < old.length && old[segmentIndex] != null)
        {
            return;
        }
        final long[][] dir = java.util.Arrays.copyOf(old, Math.max(segmentIndex + 1, old.length * 2));
        dir[segmentIndex] = new long[SEGMENT_LONGS];
        DIRECTORY.setRelease(this, dir);
    }

    /**
     * The segment that holds the slot a handle names, or null when the word is not a handle (not negative), the
     * table never issued that slot's segment, or the table has been closed (its directory is then empty). The
     * sign test is needed: the currency check alone would take a non-negative word for a handle of a slot whose
     * state has LIVE clear and the same upper bits, such as a slot never issued (state 0) or a freed slot of
     * arena 0. Beyond that, no check of the handle itself: the caller's currency check against the slot's state
     * does it.
     */
    private long[] segmentOf(final long handle)
    {
        final long[][] dir = directory;
        final int s = (int)(handle & INDEX_MASK) >>> SEGMENT_SHIFT;
        return s < dir.length && handle < 0 ? dir[s] : null;
    }

    private static boolean isCurrent(final long handle, final long state)
    {
        return ((state ^ handle) & CURRENT_MASK) == 0;
    }

    /**
     * The slow path of every currency check that failed: works out why, and returns the exception to
     * throw (the table is closed, the word is not a handle, the handle names another arena or a slot
     * never issued, or it is stale). Any thread.
     */
    private RuntimeException notCurrent(final String operation, final long handle)
    {
        if (closed)
        {
            return new IllegalStateException(operation + ": arena " + arenaId + " is closed, expected an open arena");
        }
        if (handle >= 0)
        {
            return new InvalidBlockException(operation + ": handle=0x" + Long.toHexString(handle) +
                " is not a handle (handles are negative; this looks like an address)");
        }
        if (arenaIdOf(handle) != arenaId)
        {
            return new InvalidBlockException(operation + ": handle=0x" + Long.toHexString(handle) + " belongs to arena " +
                arenaIdOf(handle) + ", expected arena " + arenaId);
        }
        final long[] seg = segmentOf(handle);
        if (seg == null)
        {
            return new StaleHandleException(operation + ": handle=0x" + Long.toHexString(handle) + " names slot " +
                indexOf(handle) + ", which was never issued");
        }
        return stale(operation, handle, (long)LONGS.getVolatile(seg, offset(indexOf(handle)) + STATE));
    }

    private static StaleHandleException stale(final String operation, final long handle, final long state)
    {
        return new StaleHandleException(operation + ": handle=0x" + Long.toHexString(handle) + " is stale (generation " +
            generationOf(handle) + ", slot is at generation " + stateGeneration(state) +
            (stateLive(state) ? ", live" : ", free") + "): freed already, or a double free");
    }

    /**
     * Owner: the current address, after an O(1) currency check. The fast path is one directory load,
     * one segment load, the state load with the XOR/AND/compare check, and the address load; the
     * arena's closed state costs nothing here because {@link #close()} empties the directory.
     */
    long resolve(final long handle)
    {
        final long[] seg = segmentOf(handle);
        if (seg != null)
        {
            final int o = offset((int)handle);
            final long state = seg[o + STATE]; // plain: only the owner changes generation, LIVE and sets COPYING
            if (isCurrent(handle, state))
            {
                if ((state & COPYING) != 0)
                {
                    clearCopying(seg, o); // the owner reaches the block: a staged move of it is void
                }
                return seg[o + ADDRESS];
            }
        }
        throw notCurrent("resolve", handle);
    }

    /** Owner: clears COPYING (a CAS: pins on other threads may change the word at the same time). */
    private static void clearCopying(final long[] seg, final int o)
    {
        long state;
        while (((state = (long)LONGS.getVolatile(seg, o + STATE)) & COPYING) != 0 &&
            !LONGS.compareAndSet(seg, o + STATE, state, state & ~COPYING))
        {
            Thread.onSpinWait();
        }
    }

    /** Owner: the requested size. */
    long size(final long handle)
    {
        return size(handle, "sizeOf");
    }

    /** Owner: the requested size; a failed check names {@code operation}. */
    long size(final long handle, final String operation)
    {
        final long[] seg = segmentOf(handle);
        if (seg != null && isCurrent(handle, seg[offset((int)handle) + STATE]))
        {
            return seg[sizeOffset((int)handle)];
        }
        throw notCurrent(operation, handle);
    }

    /**
     * Any thread: pin and return the address, which stays valid until the matching unpin. The common case, a
     * current block with no pin and no move under way, is one compare-and-exchange from the state that the handle
     * itself names ({@code handle & CURRENT_MASK}: LIVE, this arena, this generation, pins 0), with no load before
     * it; any other state continues from the witness the exchange returned.
     */
    long pin(final long handle)
    {
        final long[] seg = segmentOf(handle);
        if (seg != null)
        {
            final int o = offset((int)handle);
            final long still = handle & CURRENT_MASK;
            long state = (long)LONGS.compareAndExchange(seg, o + STATE, still, still + 1);
            if (state == still)
            {
                return seg[o + ADDRESS];
            }
            while (isCurrent(handle, state))
            {
                if ((state & MOVING) != 0)
                {
                    Thread.onSpinWait();
                    state = (long)LONGS.getVolatile(seg, o + STATE);
                    continue;
                }
                if ((state & PINS_MASK) == PINS_MASK)
                {
                    throw new IllegalStateException("pin: handle=0x" + Long.toHexString(handle) + " has pins=" + MAX_PINS +
                        ", the maximum");
                }
                final long witness = (long)LONGS.compareAndExchange(seg, o + STATE, state, (state & ~COPYING) + 1);
                if (witness == state)
                {
                    return seg[o + ADDRESS];
                }
                state = witness;
            }
        }
        throw notCurrent("pin", handle);
    }

    /** Any thread. The common case (one pin, nothing else) is one compare-and-exchange, as in {@link #pin}. */
    void unpin(final long handle)
    {
        final long[] seg = segmentOf(handle);
        if (seg != null)
        {
            final int o = offset((int)handle);
            final long still = handle & CURRENT_MASK;
            long state = (long)LONGS.compareAndExchange(seg, o + STATE, still + 1, still);
            if (state == still + 1)
            {
                return;
            }
            while (isCurrent(handle, state))
            {
                if ((state & PINS_MASK) == 0)
                {
                    throw new IllegalStateException("unpin: handle=0x" + Long.toHexString(handle) +
                        " is not pinned (pins=0), expected a matching pin");
                }
                final long witness = (long)LONGS.compareAndExchange(seg, o + STATE, state, state - 1);
                if (witness == state)
                {
                    return;
                }
                state = witness;
            }
        }
        throw notCurrent("unpin", handle);
    }

    /** Any thread: current pin count (0 when stale); throws when the word is not a handle of this open arena. */
    int pins(final long handle)
    {
        final long[] seg = segmentOf(handle);
        if (seg != null)
        {
            final long state = (long)LONGS.getVolatile(seg, offset((int)handle) + STATE);
            if (isCurrent(handle, state))
            {
                return statePins(state);
            }
            if (handle < 0 && arenaIdOf(handle) == arenaId)
            {
                return 0; // one of ours, stale
            }
        }
        throw notCurrent("pinned", handle);
    }

    /**
     * Owner, once: the table is closed. The directory is replaced by an empty one (release), so every
     * later fast path finds no segment and its slow path reports the closed arena.
     */
    void close()
    {
        closed = true;
        DIRECTORY.setRelease(this, new long[0][]);
    }

    /** Owner: checks the handle is current and unpinned, without changing anything. */
    void checkFreeable(final long handle, final String operation)
    {
        final long[] seg = segmentOf(handle);
        final long state = seg == null ? 0 : (long)LONGS.getVolatile(seg, offset(indexOf(handle)) + STATE);
        if (seg == null || !isCurrent(handle, state))
        {
            throw notCurrent(operation, handle);
        }
        if (statePins(state) != 0)
        {
            throw new IllegalStateException(operation + ": handle=0x" + Long.toHexString(handle) + " is pinned (pins=" +
                statePins(state) + "), expected pins=0");
        }
    }

    /**
     * Owner: ends the handle (generation + 1), if it is current and unpinned; else throws and changes
     * nothing.
     * @return the block address the handle held.
     */
    long release(final long handle, final String operation)
    {
        final int index = indexOf(handle);
        final long[] seg = segmentOf(handle);
        if (seg == null)
        {
            throw notCurrent(operation, handle);
        }
        final int o = offset(index);
        while (true)
        {
            final long state = (long)LONGS.getVolatile(seg, o + STATE);
            if (!isCurrent(handle, state))
            {
                throw notCurrent(operation, handle);
            }
            if (statePins(state) != 0)
            {
                throw new IllegalStateException(operation + ": handle=0x" + Long.toHexString(handle) +
                    " is pinned (pins=" + statePins(state) + "), expected pins=0");
            }
            final int generation = stateGeneration(state);
            final boolean retire = generation == MAX_GENERATION;
            final long next = state(arenaId, retire ? generation : generation + 1, false, false, 0);
            if (LONGS.compareAndSet(seg, o + STATE, state, next))
            {
                liveHandles--;
                if (retire)
                {
                    retiredSlots++;
                }
                else
                {
                    if (freeTop == freeSlots.length)
                    {
                        freeSlots = java.util.Arrays.copyOf(freeSlots, freeSlots.length * 2);
                    }
                    freeSlots[freeTop++] = index;
                }
                return seg[o + ADDRESS];
            }
        }
    }

    /** Owner: address by slot index (compactor, walk). */
    long addressAt(final int index)
    {
        return segment(index)[offset(index) + ADDRESS];
    }

    long sizeAt(final int index)
    {
        return segment(index)[sizeOffset(index)];
    }

    /** Owner: updates address and size of a current handle (reallocation, while unpinned or MOVING). */
    void update(final long handle, final long address, final long size)
    {
        final long[] seg = segment(indexOf(handle));
        final int o = offset(indexOf(handle));
        seg[sizeOffset(indexOf(handle))] = size;
        LONGS.setRelease(seg, o + ADDRESS, address);
    }

    /** Owner, compactor step 1: try to claim slot {@code index} for a move. */
    boolean tryBeginMove(final int index)
    {
        return claim(index, MOVING) != 0;
    }

    /**
     * Owner, staged move, first step: claims slot {@code index} (live, unpinned, not moving) by setting COPYING.
     * @return the state word the later steps expect ({@link #isStagedIntact}), or 0 when the slot cannot be claimed.
     */
    long tryBeginStaged(final int index)
    {
        return claim(index, COPYING);
    }

    /** CAS a live, unpinned slot with neither MOVING nor COPYING to the same state plus {@code flag}. @return it, or 0. */
    private long claim(final int index, final long flag)
    {
        final long[] seg = segment(index);
        final int o = offset(index);
        final long state = (long)LONGS.getVolatile(seg, o + STATE);
        final long claimed = state | flag;
        return stateLive(state) && (state & (MOVING | COPYING | PINS_MASK)) == 0 &&
            LONGS.compareAndSet(seg, o + STATE, state, claimed) ? claimed : 0;
    }

    /** Owner, staged move, each later step: true when nothing reached the block since the move began. */
    boolean isStagedIntact(final int index, final long staged)
    {
        return (long)LONGS.getVolatile(segment(index), offset(index) + STATE) == staged;
    }

    /**
     * Owner, staged move, after its last piece: LIVE(g, 0)|COPYING to LIVE(g, 0)|MOVING; then finish with
     * {@link #endMove}. @return false when a pin or the owner reached the block first (give the move up).
     */
    boolean tryFinishStaged(final int index, final long staged)
    {
        return LONGS.compareAndSet(segment(index), offset(index) + STATE, staged, (staged & ~COPYING) | MOVING);
    }

    /** Owner, compactor step 3: publish the new address and clear MOVING (release). */
    void endMove(final int index, final long newAddress)
    {
        final long[] seg = segment(index);
        final int o = offset(index);
        seg[o + ADDRESS] = newAddress;
        final long state = (long)LONGS.getVolatile(seg, o + STATE);
        LONGS.setRelease(seg, o + STATE, state & ~MOVING);
    }

    /** Owner: is the slot pinned right now (racy by nature; used only for reporting). */
    boolean isPinnedAt(final int index)
    {
        final long[] seg = segment(index);
        return statePins((long)LONGS.getVolatile(seg, offset(index) + STATE)) != 0;
    }

    /** Owner: the handle word of a live slot. */
    long handleAt(final int index)
    {
        final long[] seg = segment(index);
        final long state = (long)LONGS.getVolatile(seg, offset(index) + STATE);
        return handle(arenaId, stateGeneration(state), index);
    }

    boolean isLiveAt(final int index)
    {
        final long[] seg = segment(index);
        return stateLive((long)LONGS.getVolatile(seg, offset(index) + STATE));
    }

    /**
     * Owner, reset: claims every live slot first (MOVING, so that a pin arriving on another thread waits, then finds
     * the handle freed), and only then ends them all ({@link #releaseAll}). A pinned slot found on the way gives every
     * claim back. Checking for pins and then releasing with plain stores would lose a pin that lands in between (an
     * audit test, {@code HandleAuditTest}).
     * @return -1 when every live handle was ended; else the index of a pinned slot, and nothing has changed.
     */
    int releaseAllUnpinned()
    {
        for (int i = 0; i < slotCount; i++)
        {
            final long[] seg = segment(i);
            final int o = offset(i);
            while (true)
            {
                final long state = (long)LONGS.getVolatile(seg, o + STATE);
                if (!stateLive(state))
                {
                    break;
                }
                if (statePins(state) != 0)
                {
                    for (int j = 0; j < i; j++)
                    {
                        final long[] sj = segment(j);
                        final long claimed = (long)LONGS.getVolatile(sj, offset(j) + STATE);
                        if (stateLive(claimed))
                        {
                            LONGS.setRelease(sj, offset(j) + STATE, claimed & ~MOVING);
                        }
                    }
                    return i;
                }
                // a staged move of the owner's own (COPYING) is given up: the compactor is reset next
                if (LONGS.compareAndSet(seg, o + STATE, state, (state & ~COPYING) | MOVING))
                {
                    break;
                }
            }
        }
        releaseAll();
        return -1;
    }

    /** Owner: ends every live handle at once: O(slots). Reset calls it through {@link #releaseAllUnpinned}. */
    private void releaseAll()
    {
        for (int i = 0; i < slotCount; i++)
        {
            final long[] seg = segment(i);
            final int o = offset(i);
            final long state = (long)LONGS.getVolatile(seg, o + STATE);
            if (stateLive(state))
            {
                final int generation = stateGeneration(state);
                final boolean retire = generation == MAX_GENERATION;
                LONGS.setRelease(seg, o + STATE, state(arenaId, retire ? generation : generation + 1, false, false, 0));
                if (retire)
                {
                    retiredSlots++;
                }
                else
                {
                    if (freeTop == freeSlots.length)
                    {
                        freeSlots = java.util.Arrays.copyOf(freeSlots, freeSlots.length * 2);
                    }
                    freeSlots[freeTop++] = i;
                }
            }
        }
        liveHandles = 0;
    }

    int liveHandles()
    {
        return liveHandles;
    }

    int slotCount()
    {
        return slotCount;
    }

    int retiredSlots()
    {
        return retiredSlots;
    }

    /** Test hook: sets a free slot's generation, e.g. to exercise wrap-around. Owner only. */
    void forceGenerationForTest(final int index, final int generation)
    {
        final long[] seg = segment(index);
        LONGS.setRelease(seg, offset(index) + STATE, state(arenaId, generation, false, false, 0));
    }

    long heapBytes()
    {
        final long[][] dir = directory;
        long segments = 0;
        for (final long[] s : dir)
        {
            segments += s == null ? 0 : 1;
        }
        return segments * SEGMENT_LONGS * 8L + 4L * freeSlots.length;
    }
}
