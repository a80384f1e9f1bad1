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
 * Pin versus move (GUIDE "Pin versus move"; {@link HandleTable} class Javadoc, steps 1 to 3).
 *
 * <p>One live handle on block A. Actor {@code pinner} (any thread) pins it, reads 8 bytes at the address it
 * got, and keeps the pin. Actor {@code mover} (the owner's compactor) runs the real move protocol:
 * {@code tryBeginMove} (CAS LIVE(g,0) to LIVE(g,0)|MOVING, refused when pinned), copy A to B,
 * {@code endMove(index, B)} (address write, release-store clearing MOVING), then reuses A at once (poisons it).
 *
 * <p>Result: r1 = block the pin returned (1 = A, 2 = B), r2 = what the pinner read there (1 = the content,
 * 0 = B's junk from before the copy, 9 = A's poison from after the move), r3 = the move happened (1) or was
 * refused (0), r4 = arbiter: the pin count is 1 and the table's address is the block the move left it at.
 */
@JCStressTest
@Description("A pin sees the block before the move (move refused) or after it (new address, copied bytes), never during.")
@Outcome(id = "1, 1, 0, 1", expect = ACCEPTABLE, desc = "pin first: pinner holds A with its content; tryBeginMove refused (pins > 0)")
@Outcome(id = "2, 1, 1, 1", expect = ACCEPTABLE, desc = "move first: pinner waited out MOVING, got B with the copied content")
@Outcome(id = "2, 0, 1, .*", expect = FORBIDDEN, desc = "torn move: new address B published before the copied bytes were visible")
@Outcome(id = "1, .*, 1, .*", expect = FORBIDDEN, desc = "move completed under a pin: the pinner holds A, which was reused")
@Outcome(id = ".*", expect = FORBIDDEN, desc = "any other outcome breaks the protocol (lost pin, wrong address, foreign bytes)")
@State
public class PinVersusMove
{
    final HandleTable table = SharedTable.TABLE;
    final TwoBlocks blocks;
    final long handle;
    final int index;

    public PinVersusMove()
    {
        synchronized (SharedTable.OWNER)
        {
            blocks = TwoBlocks.take();
            handle = table.allocate(blocks.a, TwoBlocks.BLOCK);
        }
        index = HandleTable.indexOf(handle);
    }

    @Actor
    public void pinner(final IIII_Result r)
    {
        final long address = table.pin(handle);
        r.r1 = blocks.whichBlock(address);
        r.r2 = TwoBlocks.classify(UnsafeApi.getLong(address));
        // keep the pin: an unpin here would make a later move legal
    }

    @Actor
    public void mover(final IIII_Result r)
    {
        if (table.tryBeginMove(index))
        {
            blocks.copyAToB();
            table.endMove(index, blocks.b);
            blocks.reuseA();
            r.r3 = 1;
        }
        else
        {
            r.r3 = 0;
        }
    }

    @Arbiter
    public void arbiter(final IIII_Result r)
    {
        final long expected = r.r3 == 1 ? blocks.b : blocks.a;
        r.r4 = table.pins(handle) == 1 && table.addressAt(index) == expected ? 1 : 0;
        SharedTable.giveBack(handle, blocks);
    }
}
