package io.arenaalloc.core;

import static org.openjdk.jcstress.annotations.Expect.ACCEPTABLE;
import static org.openjdk.jcstress.annotations.Expect.FORBIDDEN;

import org.openjdk.jcstress.annotations.Actor;
import org.openjdk.jcstress.annotations.Arbiter;
import org.openjdk.jcstress.annotations.Description;
import org.openjdk.jcstress.annotations.JCStressTest;
import org.openjdk.jcstress.annotations.Outcome;
import org.openjdk.jcstress.annotations.State;
import org.openjdk.jcstress.infra.results.IIII_Result;

/**
 * Stale handles ({@link HandleTable} Javadoc, "Handle word" and "Generation wrap"): the owner frees a handle
 * and at once reallocates (the free slot stack hands the same slot back with generation + 1, or, at the
 * generation limit, retires the slot and hands out another) while another thread pins the old handle. The
 * old handle must never pin the new block (no ABA), its pin never lands on the new incarnation's count, and
 * once the slot has moved on every later pin with the old handle throws {@link StaleHandleException}.
 *
 * <p>r1 = owner: 1 freed and reallocated as expected, 2 free threw "pinned", 8 reallocation did not go where
 * the protocol says; r2 = pin(old): 1 got A, 2 threw stale, 3 got B (the new block: ABA), 9 other;
 * r3 = arbiter: pin count of the slot's current incarnation; r4 = arbiter: pin(old) now throws stale (1).
 */
public final class StaleHandle
{
    private StaleHandle()
    {
    }

    static void owner(final HandleTable table, final TwoBlocks blocks, final long handle, final boolean retire,
        final long[] newHandle, final IIII_Result r)
    {
        try
        {
            table.release(handle, "free");
        }
        catch (final IllegalStateException pinned)
        {
            r.r1 = 2;
            return;
        }
        final long h2 = table.allocate(blocks.b, TwoBlocks.BLOCK);
        newHandle[0] = h2;
        r.r1 = reallocatedAsSpecified(handle, h2, retire) ? 1 : 8;
    }

    /**
     * The slot stack is LIFO and nothing else ran on the owner thread in between, so the reallocation gets the
     * freed slot back at generation + 1; a slot freed at the last generation is retired, and the reallocation
     * gets another slot.
     */
    static boolean reallocatedAsSpecified(final long old, final long h2, final boolean mustRetire)
    {
        final boolean sameSlot = HandleTable.indexOf(h2) == HandleTable.indexOf(old);
        final boolean atLimit = HandleTable.generationOf(old) == HandleTable.MAX_GENERATION;
        if (mustRetire || atLimit)
        {
            return atLimit && !sameSlot;
        }
        return sameSlot && HandleTable.generationOf(h2) == HandleTable.generationOf(old) + 1;
    }

    static void pinner(final HandleTable table, final TwoBlocks blocks, final long handle, final IIII_Result r)
    {
        try
        {
            final long address = table.pin(handle);
            r.r2 = address == blocks.a ? 1 : address == blocks.b ? 3 : 9;
        }
        catch (final StaleHandleException stale)
        {
            r.r2 = 2;
        }
    }

    static void arbiter(final HandleTable table, final long handle, final long[] newHandle, final IIII_Result r)
    {
        final long current = newHandle[0] != 0 ? newHandle[0] : handle;
        r.r3 = table.pins(current);
        try
        {
            table.pin(handle);
            r.r4 = 0;
        }
        catch (final StaleHandleException stale)
        {
            r.r4 = 1;
        }
    }

    /** Arbiter side: the slot's current incarnation (the old handle when the free was refused) goes back. */
    static void cleanUp(final HandleTable table, final long handle, final long[] newHandle)
    {
        SharedTable.giveBack(table, newHandle[0] != 0 ? newHandle[0] : handle);
    }

    /** A slot in the middle of its life: reuse gives the same slot at generation + 1. */
    @JCStressTest
    @Description("free; realloc (owner) || pin(old handle): the old handle never reaches the new block.")
    @Outcome(id = "1, 2, 0, 1", expect = ACCEPTABLE, desc = "free+realloc first: old pin threw stale; new incarnation unpinned; old stays stale")
    @Outcome(id = "2, 1, 1, 0", expect = ACCEPTABLE, desc = "pin first: free refused ('pinned'); old handle still current and pinned")
    @Outcome(id = "1, 3, .*", expect = FORBIDDEN, desc = "ABA: the old handle pinned the reallocated block")
    @Outcome(id = "1, 1, .*", expect = FORBIDDEN, desc = "the old handle pinned a freed block")
    @Outcome(id = "1, 2, 1, .*", expect = FORBIDDEN, desc = "the old handle's pin landed on the new incarnation")
    @Outcome(id = ".*", expect = FORBIDDEN, desc = "any other outcome")
    @State
    public static class Reuse
    {
        final HandleTable table = SharedTable.TABLE;
        final TwoBlocks blocks;
        final long handle;
        final long[] newHandle = new long[1];

        public Reuse()
        {
            synchronized (SharedTable.OWNER)
            {
                blocks = TwoBlocks.take();
                handle = table.allocate(blocks.a, TwoBlocks.BLOCK);
            }
        }

        @Actor
        public void owner(final IIII_Result r)
        {
            StaleHandle.owner(table, blocks, handle, false, newHandle, r);
        }

        @Actor
        public void pinner(final IIII_Result r)
        {
            StaleHandle.pinner(table, blocks, handle, r);
        }

        @Arbiter
        public void arbiter(final IIII_Result r)
        {
            StaleHandle.arbiter(table, handle, newHandle, r);
            synchronized (SharedTable.OWNER)
            {
                cleanUp(table, handle, newHandle);
                blocks.recycle();
            }
        }
    }

    /** A slot at the last generation: free retires it, reallocation takes another slot, the old handle stays stale. */
    @JCStressTest
    @Description("At generation 2^20-1: free retires the slot (no wrap to 0); pin(old handle) can never succeed after it.")
    @Outcome(id = "1, 2, 0, 1", expect = ACCEPTABLE, desc = "free+realloc first: slot retired, old pin threw stale, old stays stale")
    @Outcome(id = "2, 1, 1, 0", expect = ACCEPTABLE, desc = "pin first: free refused ('pinned'); old handle still current and pinned")
    @Outcome(id = "1, 3, .*", expect = FORBIDDEN, desc = "ABA: the old handle pinned the reallocated block")
    @Outcome(id = "1, 1, .*", expect = FORBIDDEN, desc = "the old handle pinned a freed block")
    @Outcome(id = "8, .*", expect = FORBIDDEN, desc = "the slot was not retired at the generation limit")
    @Outcome(id = ".*", expect = FORBIDDEN, desc = "any other outcome")
    @State
    public static class AtGenerationLimit
    {
        // a private table per state: every free here retires a slot for good, which would bloat a shared one
        final HandleTable table = new HandleTable(1);
        final TwoBlocks blocks;
        final long handle;
        final long[] newHandle = new long[1];

        public AtGenerationLimit()
        {
            synchronized (SharedTable.OWNER)
            {
                blocks = TwoBlocks.take();
            }
            final long first = table.allocate(blocks.a, TwoBlocks.BLOCK);
            table.release(first, "free");
            table.forceGenerationForTest(HandleTable.indexOf(first), HandleTable.MAX_GENERATION);
            handle = table.allocate(blocks.a, TwoBlocks.BLOCK);
            if (HandleTable.generationOf(handle) != HandleTable.MAX_GENERATION)
            {
                throw new AssertionError("setup: expected generation " + HandleTable.MAX_GENERATION + ", got " +
                    HandleTable.generationOf(handle));
            }
        }

        @Actor
        public void owner(final IIII_Result r)
        {
            StaleHandle.owner(table, blocks, handle, true, newHandle, r);
        }

        @Actor
        public void pinner(final IIII_Result r)
        {
            StaleHandle.pinner(table, blocks, handle, r);
        }

        @Arbiter
        public void arbiter(final IIII_Result r)
        {
            StaleHandle.arbiter(table, handle, newHandle, r);
            synchronized (SharedTable.OWNER)
            {
                blocks.recycle();
            }
        }
    }
}
