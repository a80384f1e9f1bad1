package io.arenaalloc.threads;

import static org.openjdk.jcstress.annotations.Expect.ACCEPTABLE;
import static org.openjdk.jcstress.annotations.Expect.FORBIDDEN;

import java.lang.invoke.MethodHandles;
import java.lang.invoke.VarHandle;

import org.openjdk.jcstress.annotations.Actor;
import org.openjdk.jcstress.annotations.Arbiter;
import org.openjdk.jcstress.annotations.Description;
import org.openjdk.jcstress.annotations.JCStressTest;
import org.openjdk.jcstress.annotations.Outcome;
import org.openjdk.jcstress.annotations.State;
import org.openjdk.jcstress.infra.results.IIII_Result;

/**
 * A stripe's outbox ({@code ManagedArena.outbox}) has no thread of its own: whichever thread holds the stripe's
 * lock writes into its open batch ({@code ArenaAllocator.freeMarkedThroughOwnStripe}). {@link RemoteFreeBatch#writeRelease}
 * reads the batch's count with a plain load ("the freer is the only writer"), which holds only because the lock
 * orders one holder's writes before the next holder's: its acquiring CAS reads the previous holder's release store.
 * Two holders each write one value under the lock (the lock as {@code ManagedArena} takes it: an opaque look, a CAS,
 * a release store to give it back); then the destination's owner drains the batch (the arbiter: the drain racing
 * with the writers is {@link RemoteFreeBatches}'s subject, and two actors keep the CI's two-CPU mode). Each value
 * must be read exactly once, neither holder overwriting the other's slot.
 */
@JCStressTest
@Description("lock, write A, unlock || lock, write B, unlock; then drain: A and B once each, count 2.")
@Outcome(id = "1, 1, 0, 2", expect = ACCEPTABLE, desc = "both values once, in two slots")
@Outcome(id = ".*", expect = FORBIDDEN, desc = "a holder overwrote the other's slot, or a value was read twice or torn")
@State
public class StripeOutboxHandOver
{
    private static final VarHandle LOCK;

    static
    {
        try
        {
            LOCK = MethodHandles.lookup().findVarHandle(StripeOutboxHandOver.class, "lock", int.class);
        }
        catch (final ReflectiveOperationException ex)
        {
            throw new ExceptionInInitializerError(ex);
        }
    }

    final RemoteFreeBatch batch = new RemoteFreeBatch(4);
    private volatile int lock;

    public StripeOutboxHandOver()
    {
        batch.openPlain(null);
    }

    private void lockAcquire()
    {
        while (!((int)LOCK.getOpaque(this) == 0 && LOCK.compareAndSet(this, 0, 1)))
        {
            Thread.onSpinWait();
        }
    }

    private void unlockRelease()
    {
        LOCK.setRelease(this, 0);
    }

    @Actor
    public void holder1()
    {
        lockAcquire();
        batch.writeRelease(RemoteFreeBatches.A);
        unlockRelease();
    }

    @Actor
    public void holder2()
    {
        lockAcquire();
        batch.writeRelease(RemoteFreeBatches.B);
        unlockRelease();
    }

    @Arbiter
    public void owner(final IIII_Result r)
    {
        RemoteFreeBatches.drainStep(batch, r);
        r.r4 = RemoteFreeBatch.countOf(batch.publishedAcquire());
    }
}
