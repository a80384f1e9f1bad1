package io.arenaalloc.core;

/**
 * The one {@link HandleTable} that the jcstress states of a test JVM share, as an arena's states share its
 * table: every state leases one slot (and one {@link TwoBlocks} pair) in its constructor and hands it back in
 * its arbiter, so slots are reused with ever higher generations, and a table is not allocated per state (a
 * table's first segment is 96 KiB; one per state would make allocation, not the protocol, the bottleneck).
 *
 * <h2>Owner confinement</h2>
 * {@code allocate}, {@code release} and the slot stack are owner-only. In a jcstress run, constructors and
 * arbiters run on several threads at once (each worker re-creates its share of the states), so they take
 * {@link #OWNER}. Actors do not: jcstress separates the actor phase from the construct/arbiter phase with
 * barriers, and in every test here only one actor (the "owner" actor, always on the same worker thread)
 * calls owner-only methods, so during the actor phase that thread is the table's only owner, exactly as an
 * arena's owner thread is while other threads pin.
 */
final class SharedTable
{
    static final Object OWNER = new Object();
    static final HandleTable TABLE = new HandleTable(1);

    private SharedTable()
    {
    }

    /** Constructor side: a fresh live handle on {@code blocks.a}. */
    static long lease(final TwoBlocks blocks)
    {
        synchronized (OWNER)
        {
            return TABLE.allocate(blocks.a, TwoBlocks.BLOCK);
        }
    }

    /**
     * Arbiter side: is {@code handle} still current? Under {@link #OWNER}, because other states' constructors
     * may be reusing a freed slot on another thread at this very moment: a slot that is live again is not
     * proof that this handle is.
     */
    static boolean isCurrent(final long handle)
    {
        synchronized (OWNER)
        {
            final int index = HandleTable.indexOf(handle);
            return TABLE.isLiveAt(index) && TABLE.handleAt(index) == handle;
        }
    }

    /** Arbiter side: drop every pin still held on {@code handle} and free it, if it is still current. */
    static void giveBack(final long handle, final TwoBlocks blocks)
    {
        synchronized (OWNER)
        {
            giveBack(TABLE, handle);
            blocks.recycle();
        }
    }

    static void giveBack(final HandleTable table, final long handle)
    {
        try
        {
            while (table.pins(handle) > 0)
            {
                table.unpin(handle);
            }
            table.release(handle, "giveBack");
        }
        catch (final RuntimeException staleOrBroken)
        {
            // already freed by the test, or left inconsistent by a negative control: the slot is simply lost
        }
    }
}
