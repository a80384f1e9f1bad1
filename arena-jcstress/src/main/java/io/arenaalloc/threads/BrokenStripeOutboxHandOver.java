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
 * NEGATIVE CONTROL: {@link StripeOutboxHandOver} without the stripe lock. EXPECTED TO FAIL: it proves that the
 * test's outcomes and the gate catch two threads writing one outbox's batch without the lock's ordering (both
 * read count 0 and write slot 0, one value is lost). Runs only with {@code JCStressGate --expect-forbidden}.
 * Outcome ids and meanings are exactly {@link StripeOutboxHandOver}'s.
 */
@JCStressTest
@Description("NEGATIVE CONTROL (expected to FAIL): two writers of one batch without the lock lose a value.")
@Outcome(id = "1, 1, 0, 2", expect = ACCEPTABLE, desc = "both values once, in two slots")
@Outcome(id = ".*", expect = FORBIDDEN, desc = "a holder overwrote the other's slot, or a value was read twice or torn")
@State
public class BrokenStripeOutboxHandOver
{
    final RemoteFreeBatch batch = new RemoteFreeBatch(4);

    public BrokenStripeOutboxHandOver()
    {
        batch.openPlain(null);
    }

    @Actor
    public void holder1()
    {
        batch.writeRelease(RemoteFreeBatches.A);
    }

    @Actor
    public void holder2()
    {
        batch.writeRelease(RemoteFreeBatches.B);
    }

    @Arbiter
    public void owner(final IIII_Result r)
    {
        RemoteFreeBatches.drainStep(batch, r);
        r.r4 = RemoteFreeBatch.countOf(batch.publishedAcquire());
    }
}
