package io.arenaalloc.core;

import static org.openjdk.jcstress.annotations.Expect.ACCEPTABLE;
import static org.openjdk.jcstress.annotations.Expect.FORBIDDEN;

import org.agrona.UnsafeApi;
import org.openjdk.jcstress.annotations.Actor;
import org.openjdk.jcstress.annotations.Arbiter;
import org.openjdk.jcstress.annotations.Description;
import org.openjdk.jcstress.annotations.JCStressTest;
import org.openjdk.jcstress.annotations.Outcome;
import org.openjdk.jcstress.annotations.State;
import org.openjdk.jcstress.infra.results.IIII_Result;

/**
 * Pin versus a staged move ({@link HandleTable} class Javadoc, "staged move"; {@code Compactor}, "Staged moves").
 *
 * <p>One live handle on block A whose staged move has begun before the actors run (the constructor, as the
 * owner's earlier step: {@code tryBeginStaged}, LIVE(g,0)|COPYING). Actor {@code pinner} (any thread) pins it,
 * reads 8 bytes at the address it got, and keeps the pin. Actor {@code mover} (the owner's next compaction
 * step) runs the rest of the protocol: {@code isStagedIntact}, copy the remaining bytes A to B,
 * {@code tryFinishStaged} (CAS COPYING to MOVING), {@code endMove(index, B)}, then reuses A at once (poisons it);
 * when the check or the CAS fails it gives the move up and leaves A alone.
 *
 * <p>Result: r1 = block the pin returned (1 = A, 2 = B), r2 = what the pinner read there (1 = the content,
 * 0 = B's junk from before the copy, 9 = A's poison from after the move), r3 = the move finished (1) or was
 * given up (0), r4 = arbiter: the pin count is 1, the table's address is the block the move left it at, and
 * the staged state is gone (the slot is not still LIVE|COPYING).
 */
@JCStressTest
@Description("A pin during a staged move either cancels it (the block stays) or waits for its end (new address, copied bytes).")
@Outcome(id = "1, 1, 0, 1", expect = ACCEPTABLE, desc = "pin first: COPYING cleared by the pin, the mover gives the move up, A stays")
@Outcome(id = "2, 1, 1, 1", expect = ACCEPTABLE, desc = "mover first: its CAS to MOVING won, the pinner waited and got B with the copy")
@Outcome(id = "2, 0, 1, .*", expect = FORBIDDEN, desc = "torn move: new address B published before the copied bytes were visible")
@Outcome(id = "1, .*, 1, .*", expect = FORBIDDEN, desc = "staged move finished under a pin: the pinner holds A, which was reused")
@Outcome(id = ".*", expect = FORBIDDEN, desc = "any other outcome breaks the protocol (lost pin, wrong address, foreign bytes)")
@State
public class PinVersusStagedMove
{
    final HandleTable table = SharedTable.TABLE;
    final TwoBlocks blocks;
    final long handle;
    final int index;
    final long staged;

    public PinVersusStagedMove()
    {
        synchronized (SharedTable.OWNER)
        {
            blocks = TwoBlocks.take();
            handle = table.allocate(blocks.a, TwoBlocks.BLOCK);
            index = HandleTable.indexOf(handle);
            staged = table.tryBeginStaged(index);
        }
    }

    @Actor
    public void pinner(final IIII_Result r)
    {
        final long address = table.pin(handle);
        r.r1 = blocks.whichBlock(address);
        r.r2 = TwoBlocks.classify(UnsafeApi.getLong(address));
        // keep the pin: an unpin here would let a later move go ahead
    }

    @Actor
    public void mover(final IIII_Result r)
    {
        if (staged != 0 && table.isStagedIntact(index, staged))
        {
            blocks.copyAToB(); // the remaining pieces
            if (table.tryFinishStaged(index, staged))
            {
                table.endMove(index, blocks.b);
                blocks.reuseA();
                r.r3 = 1;
                return;
            }
        }
        r.r3 = 0; // given up: the block stays at A
    }

    @Arbiter
    public void arbiter(final IIII_Result r)
    {
        final long expected = r.r3 == 1 ? blocks.b : blocks.a;
        r.r4 = table.pins(handle) == 1 && table.addressAt(index) == expected && !table.isStagedIntact(index, staged) ? 1 : 0;
        SharedTable.giveBack(handle, blocks);
    }
}
