package io.arenaalloc.threads;

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
 * NEGATIVE CONTROL: {@link RemoteFreeBatches.RecycleVersusReuse} with a deliberately broken owner. EXPECTED TO
 * FAIL: it proves that the test's outcomes and the gate catch an owner that gives a batch back before it has read
 * it. Runs only with {@code JCStressGate --expect-forbidden} (the default filter skips {@code Broken*} tests);
 * {@link RemoteFreeBatch} itself is not changed, the bug lives in this test's owner. Outcome ids and meanings are
 * exactly {@link RemoteFreeBatches.RecycleVersusReuse}'s.
 */
public final class BrokenBatches
{
    private BrokenBatches()
    {
    }

    /** Bug: the owner release-stores IDLE first, then reads the slots, so a freer may already reuse them. */
    @JCStressTest
    @Description("NEGATIVE CONTROL (expected to FAIL): an owner that recycles before reading sees the next use's C.")
    @Outcome(id = "1, 1, 0, 0", expect = ACCEPTABLE, desc = "the freer looked before the recycle")
    @Outcome(id = "1, 1, 0, 1", expect = ACCEPTABLE, desc = "the freer reused the recycled batch after the owner's reads")
    @Outcome(id = ".*", expect = FORBIDDEN, desc = "the owner read C or missed a value, or the new use is wrong")
    @State
    public static class BrokenRecycleBeforeRead
    {
        final RemoteFreeBatch batch = new RemoteFreeBatch(2);

        public BrokenRecycleBeforeRead()
        {
            batch.openPlain(null);
            batch.writeRelease(RemoteFreeBatches.A);
            batch.writeRelease(RemoteFreeBatches.B);
        }

        @Actor
        public void owner(final IIII_Result r)
        {
            final int word = batch.publishedAcquire();
            final int count = RemoteFreeBatch.countOf(word);
            batch.recycleRelease(); // the bug: given back before the reads below
            for (int i = 0; i < count; i++)
            {
                RemoteFreeBatches.tally(batch.slotPlain(i), r);
            }
        }

        @Actor
        public void freer(final IIII_Result r)
        {
            RemoteFreeBatches.reuseIfIdle(batch, r);
        }

        @Arbiter
        public void check(final IIII_Result r)
        {
            RemoteFreeBatches.checkReuse(batch, r);
        }
    }
}
