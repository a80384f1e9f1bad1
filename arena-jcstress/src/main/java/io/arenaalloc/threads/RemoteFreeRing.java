package io.arenaalloc.threads;

import static org.openjdk.jcstress.annotations.Expect.ACCEPTABLE;
import static org.openjdk.jcstress.annotations.Expect.FORBIDDEN;

import org.openjdk.jcstress.annotations.Actor;
import org.openjdk.jcstress.annotations.Arbiter;
import org.openjdk.jcstress.annotations.Description;
import org.openjdk.jcstress.annotations.JCStressTest;
import org.openjdk.jcstress.annotations.Outcome;
import org.openjdk.jcstress.annotations.State;
import org.openjdk.jcstress.infra.results.III_Result;
import org.openjdk.jcstress.infra.results.JJ_Result;

/**
 * The remote-free ring ({@link MpscLongRing}): the lock-free multi-producer path single frees take to their
 * arena's owner. A value offered is delivered exactly once: never lost, never twice, never torn, whether
 * producers race each other for a slot or a producer races the owner's poll.
 */
public final class RemoteFreeRing
{
    private RemoteFreeRing()
    {
    }

    /**
     * Two freers offer at once into a ring of two slots; the owner then drains. r1, r2 = how many times the
     * owner saw each freer's value; r3 = values drained in all.
     */
    @JCStressTest
    @Description("offer || offer, then poll until empty: each value exactly once.")
    @Outcome(id = "1, 1, 2", expect = ACCEPTABLE, desc = "both values delivered once")
    @Outcome(id = ".*", expect = FORBIDDEN, desc = "a value was lost, duplicated or torn, or an offer was refused")
    @State
    public static class TwoFreers
    {
        static final long A = 0x1111_2222_3333_4440L;
        static final long B = 0x5555_6666_7777_8880L;
        final MpscLongRing ring = new MpscLongRing(2);
        boolean offeredA;
        boolean offeredB;

        @Actor
        public void freerA()
        {
            offeredA = ring.offer(A);
        }

        @Actor
        public void freerB()
        {
            offeredB = ring.offer(B);
        }

        @Arbiter
        public void owner(final III_Result r)
        {
            long v;
            while ((v = ring.poll()) != 0)
            {
                r.r3++;
                if (v == A)
                {
                    r.r1++;
                }
                else if (v == B)
                {
                    r.r2++;
                }
                else
                {
                    r.r3 += 100; // torn
                }
            }
            if (!offeredA || !offeredB)
            {
                r.r3 += 1000;
            }
        }
    }

    /**
     * A freer offers while the owner polls: the owner's poll sees the value or nothing (a claimed slot not
     * yet written reads as empty), and a later poll finds what the first one missed. r1 = the racing poll,
     * r2 = the arbiter's poll.
     */
    @JCStressTest
    @Description("offer || poll, then poll: the value is seen exactly once.")
    @Outcome(id = "1229801703532086288, 0", expect = ACCEPTABLE, desc = "the racing poll took it")
    @Outcome(id = "0, 1229801703532086288", expect = ACCEPTABLE, desc = "the racing poll came first or saw the slot unwritten; the next poll took it")
    @Outcome(id = ".*", expect = FORBIDDEN, desc = "lost, duplicated or torn")
    @State
    public static class FreerVersusOwner
    {
        static final long V = 0x1111_2222_3333_4410L;
        final MpscLongRing ring = new MpscLongRing(4);

        @Actor
        public void freer()
        {
            ring.offer(V);
        }

        @Actor
        public void owner(final JJ_Result r)
        {
            r.r1 = ring.poll();
        }

        @Arbiter
        public void ownerLater(final JJ_Result r)
        {
            r.r2 = ring.poll();
        }
    }
}
