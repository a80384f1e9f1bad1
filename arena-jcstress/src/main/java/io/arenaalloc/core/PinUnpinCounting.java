package io.arenaalloc.core;

import static org.openjdk.jcstress.annotations.Expect.ACCEPTABLE;
import static org.openjdk.jcstress.annotations.Expect.FORBIDDEN;

import org.openjdk.jcstress.annotations.Actor;
import org.openjdk.jcstress.annotations.Arbiter;
import org.openjdk.jcstress.annotations.Description;
import org.openjdk.jcstress.annotations.JCStressTest;
import org.openjdk.jcstress.annotations.Outcome;
import org.openjdk.jcstress.annotations.State;
import org.openjdk.jcstress.infra.results.III_Result;
import org.openjdk.jcstress.infra.results.IIII_Result;

/**
 * Pin counting: concurrent pin and unpin CASes on the one slot state word never lose an update, and the
 * compactor's {@code tryBeginMove} obeys the resulting count.
 */
public final class PinUnpinCounting
{
    private PinUnpinCounting()
    {
    }

    /**
     * Two actors pin, one of them then unpins: the count ends at exactly 1, the block cannot move, and both
     * pins returned the block's address. r1, r2 = each pin returned A (1); r3 = arbiter's pin count;
     * r4 = arbiter's tryBeginMove succeeded (1) or was refused (0).
     */
    @JCStressTest
    @Description("pin || pin; unpin leaves exactly one pin, and a pinned block cannot be claimed for a move.")
    @Outcome(id = "1, 1, 1, 0", expect = ACCEPTABLE, desc = "one pin left, move refused")
    @Outcome(id = "1, 1, 0, .*", expect = FORBIDDEN, desc = "a pin was lost (lost update on the state word)")
    @Outcome(id = "1, 1, 2, .*", expect = FORBIDDEN, desc = "the unpin was lost (lost update on the state word)")
    @Outcome(id = "1, 1, 1, 1", expect = FORBIDDEN, desc = "a pinned block was claimed for a move")
    @Outcome(id = ".*", expect = FORBIDDEN, desc = "a pin returned a wrong address, or another corruption")
    @State
    public static class PinPinUnpin
    {
        final HandleTable table = SharedTable.TABLE;
        final TwoBlocks blocks;
        final long handle;

        public PinPinUnpin()
        {
            synchronized (SharedTable.OWNER)
            {
                blocks = TwoBlocks.take();
                handle = table.allocate(blocks.a, TwoBlocks.BLOCK);
            }
        }

        @Actor
        public void pinner(final IIII_Result r)
        {
            r.r1 = blocks.whichBlock(table.pin(handle));
        }

        @Actor
        public void pinnerUnpinner(final IIII_Result r)
        {
            r.r2 = blocks.whichBlock(table.pin(handle));
            table.unpin(handle);
        }

        @Arbiter
        public void arbiter(final IIII_Result r)
        {
            r.r3 = table.pins(handle);
            r.r4 = table.tryBeginMove(HandleTable.indexOf(handle)) ? 1 : 0;
            if (r.r4 == 1)
            {
                table.endMove(HandleTable.indexOf(handle), blocks.a);
            }
            SharedTable.giveBack(handle, blocks);
        }
    }

    /**
     * Pinned twice beforehand, two actors unpin at once: the count ends at 0, so the compactor may claim the
     * block, and a further unpin is refused. r1 = arbiter's pin count; r2 = tryBeginMove succeeded (1);
     * r3 = an extra unpin threw IllegalStateException (1).
     */
    @JCStressTest
    @Description("unpin || unpin from two pins leaves none; the block becomes movable; a third unpin throws.")
    @Outcome(id = "0, 1, 1", expect = ACCEPTABLE, desc = "both unpins counted; movable again; extra unpin refused")
    @Outcome(id = "1, 0, .*", expect = FORBIDDEN, desc = "an unpin was lost: the block stays pinned forever")
    @Outcome(id = ".*", expect = FORBIDDEN, desc = "count or move claim inconsistent")
    @State
    public static class UnpinUnpin
    {
        final HandleTable table = SharedTable.TABLE;
        final TwoBlocks blocks;
        final long handle;

        public UnpinUnpin()
        {
            synchronized (SharedTable.OWNER)
            {
                blocks = TwoBlocks.take();
                handle = table.allocate(blocks.a, TwoBlocks.BLOCK);
            }
            table.pin(handle);
            table.pin(handle);
        }

        @Actor
        public void unpin1()
        {
            table.unpin(handle);
        }

        @Actor
        public void unpin2()
        {
            table.unpin(handle);
        }

        @Arbiter
        public void arbiter(final III_Result r)
        {
            r.r1 = table.pins(handle);
            r.r2 = table.tryBeginMove(HandleTable.indexOf(handle)) ? 1 : 0;
            if (r.r2 == 1)
            {
                table.endMove(HandleTable.indexOf(handle), blocks.a);
            }
            try
            {
                table.unpin(handle);
                r.r3 = 0;
            }
            catch (final IllegalStateException expected)
            {
                r.r3 = 1;
            }
            SharedTable.giveBack(handle, blocks);
        }
    }
}
