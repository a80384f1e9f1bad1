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
 * NEGATIVE CONTROLS: {@link PinVersusMove} with a deliberately broken mover. Each of these tests is EXPECTED
 * TO FAIL: it proves that {@link PinVersusMove}'s outcomes and the gate really catch a broken protocol.
 *
 * <p>The normal run leaves them out (the gate's default filter skips every {@code Broken*} test); they run
 * only with {@code JCStressGate --expect-forbidden}, which exits 0 only when jcstress reports each of them
 * FAILED with a FORBIDDEN outcome. HandleTable itself is not changed: the bugs live in these test movers.
 * Outcome ids and meanings are exactly {@link PinVersusMove}'s.
 */
public final class BrokenMoves
{
    private BrokenMoves()
    {
    }

    static void pin(final HandleTable table, final TwoBlocks blocks, final long handle, final IIII_Result r)
    {
        final long address = table.pin(handle);
        r.r1 = blocks.whichBlock(address);
        r.r2 = TwoBlocks.classify(UnsafeApi.getLong(address));
    }

    static void check(final HandleTable table, final TwoBlocks blocks, final long handle, final IIII_Result r)
    {
        final long expected = r.r3 == 1 ? blocks.b : blocks.a;
        r.r4 = table.pins(handle) == 1 && table.addressAt(HandleTable.indexOf(handle)) == expected ? 1 : 0;
        SharedTable.giveBack(handle, blocks);
    }

    /** Bug: the mover skips {@code tryBeginMove}, so it neither checks the pin count nor blocks new pins. */
    @JCStressTest
    @Description("NEGATIVE CONTROL (expected to FAIL): a mover that ignores pins moves a pinned block.")
    @Outcome(id = "1, 1, 0, 1", expect = ACCEPTABLE, desc = "pin first: pinner holds A with its content; tryBeginMove refused (pins > 0)")
    @Outcome(id = "2, 1, 1, 1", expect = ACCEPTABLE, desc = "move first: pinner waited out MOVING, got B with the copied content")
    @Outcome(id = "2, 0, 1, .*", expect = FORBIDDEN, desc = "torn move: new address B published before the copied bytes were visible")
    @Outcome(id = "1, .*, 1, .*", expect = FORBIDDEN, desc = "move completed under a pin: the pinner holds A, which was reused")
    @Outcome(id = ".*", expect = FORBIDDEN, desc = "any other outcome breaks the protocol (lost pin, wrong address, foreign bytes)")
    @State
    public static class BrokenMoveIgnoresPins
    {
        final HandleTable table = SharedTable.TABLE;
        final TwoBlocks blocks;
        final long handle;

        public BrokenMoveIgnoresPins()
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
            pin(table, blocks, handle, r);
        }

        @Actor
        public void mover(final IIII_Result r)
        {
            // BUG: no tryBeginMove(index)
            blocks.copyAToB();
            table.endMove(HandleTable.indexOf(handle), blocks.b);
            blocks.reuseA();
            r.r3 = 1;
        }

        @Arbiter
        public void arbiter(final IIII_Result r)
        {
            check(table, blocks, handle, r);
        }
    }

    /**
     * Bug: the mover publishes the new address (endMove) before copying. No widened window: the 16-byte copy
     * follows the publication at once, and jcstress still catches pins that read B's junk (about 2% of samples
     * on a 2-core machine).
     */
    @JCStressTest
    @Description("NEGATIVE CONTROL (expected to FAIL): a mover that publishes B before copying lets a pin read junk.")
    @Outcome(id = "1, 1, 0, 1", expect = ACCEPTABLE, desc = "pin first: pinner holds A with its content; tryBeginMove refused (pins > 0)")
    @Outcome(id = "2, 1, 1, 1", expect = ACCEPTABLE, desc = "move first: pinner waited out MOVING, got B with the copied content")
    @Outcome(id = "2, 0, 1, .*", expect = FORBIDDEN, desc = "torn move: new address B published before the copied bytes were visible")
    @Outcome(id = "1, .*, 1, .*", expect = FORBIDDEN, desc = "move completed under a pin: the pinner holds A, which was reused")
    @Outcome(id = ".*", expect = FORBIDDEN, desc = "any other outcome breaks the protocol (lost pin, wrong address, foreign bytes)")
    @State
    public static class BrokenMovePublishesBeforeCopy
    {
        final HandleTable table = SharedTable.TABLE;
        final TwoBlocks blocks;
        final long handle;

        public BrokenMovePublishesBeforeCopy()
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
            pin(table, blocks, handle, r);
        }

        @Actor
        public void mover(final IIII_Result r)
        {
            final int index = HandleTable.indexOf(handle);
            if (table.tryBeginMove(index))
            {
                table.endMove(index, blocks.b); // BUG: publish first ...
                blocks.copyAToB();              // ... copy afterwards
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
            check(table, blocks, handle, r);
        }
    }
}
