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
 * The batch path of the remote-free protocol ({@link RemoteFreeBatch}, steps 2 to 5): a freer writes values
 * into a published batch and seals or fills it while the owner drains it; the owner recycles it while the freer
 * looks for an idle batch to reuse. Each value is applied exactly once, values a batch held in an earlier use
 * are never read again, and the owner never reads a value the freer wrote after the batch went back to it.
 *
 * <p>{@link #drainStep} is the per-batch part of {@code RemoteFreeInbox.drainOnce}: acquire the published
 * word, read the slots from the read index up to its count, recycle when the word says finished.
 */
public final class RemoteFreeBatches
{
    static final long A = 0x1111_2222_3333_4440L;
    static final long B = 0x5555_6666_7777_8880L;
    static final long C = 0x0999_AAAA_BBBB_CCC0L;
    static final long STALE = 0x0DEA_DDEA_DDEA_DD00L;

    private RemoteFreeBatches()
    {
    }

    /** The owner's drain of one batch as RemoteFreeInbox does it (recycled when finished); tallies its reads into r. */
    static void drainStep(final RemoteFreeBatch b, final IIII_Result r)
    {
        final int word = b.publishedAcquire();
        final int count = RemoteFreeBatch.countOf(word);
        int i = b.readIndex;
        while (i < count)
        {
            tally(b.slotPlain(i), r);
            i++;
        }
        b.readIndex = i;
        if (RemoteFreeBatch.isFinished(word, b.capacity()))
        {
            b.recycleRelease();
        }
    }

    /** The arbiter of the drain tests: drains what the racing drain left, r4 = 0 when the batch finished. */
    static void drainRestAndCheckFinished(final RemoteFreeBatch b, final IIII_Result r)
    {
        if (!b.isIdleAcquire())
        {
            drainStep(b, r);
        }
        r.r4 = b.isIdleAcquire() ? 0 : 1;
    }

    /** The arbiter of the reuse tests: a freer that reused the batch (r4 = 1) left exactly C in it, else r4 = 9. */
    static void checkReuse(final RemoteFreeBatch b, final IIII_Result r)
    {
        if (r.r4 == 1)
        {
            final int word = b.publishedAcquire();
            if (RemoteFreeBatch.countOf(word) != 1 || b.slotPlain(0) != C || b.readIndex != 0)
            {
                r.r4 = 9;
            }
        }
    }

    /** The freer of the reuse tests: reuses the batch if the owner gave it back, writing C; r4 = 1 then. */
    static void reuseIfIdle(final RemoteFreeBatch b, final IIII_Result r)
    {
        if (b.isIdleAcquire())
        {
            b.openPlain(null);
            b.writeRelease(C);
            r.r4 = 1;
        }
    }

    static void tally(final long value, final IIII_Result r)
    {
        if (value == A)
        {
            r.r1++;
        }
        else if (value == B)
        {
            r.r2++;
        }
        else
        {
            r.r3++; // STALE from the earlier use, C from the next one, or torn
        }
    }

    /**
     * A reused batch (every slot still holds STALE from its first use) gets A and B and is sealed while the
     * owner drains it; the arbiter drains the rest. r1, r2 = times A, B were read; r3 = other values read
     * (stale, torn); r4 = the batch not finished after the arbiter's drain (1) or finished (0).
     */
    @JCStressTest
    @Description("write A, write B, seal || drain, then drain: A and B once each, never a stale slot.")
    @Outcome(id = "1, 1, 0, 0", expect = ACCEPTABLE, desc = "both values once, no stale slot, the batch finished")
    @Outcome(id = ".*", expect = FORBIDDEN, desc = "a value lost or read twice, a stale slot read, or never finished")
    @State
    public static class SealVersusDrain
    {
        final RemoteFreeBatch batch = new RemoteFreeBatch(4);

        public SealVersusDrain()
        {
            // first use: filled with STALE, read to the end and recycled by the owner
            batch.openPlain(null);
            for (int i = 0; i < 4; i++)
            {
                batch.writeRelease(STALE);
            }
            batch.readIndex = 4;
            batch.recycleRelease();
            // second use, as the freer opens it
            batch.openPlain(null);
        }

        @Actor
        public void freer()
        {
            batch.writeRelease(A);
            batch.writeRelease(B);
            batch.sealRelease();
        }

        @Actor
        public void owner(final IIII_Result r)
        {
            drainStep(batch, r);
        }

        @Arbiter
        public void ownerLater(final IIII_Result r)
        {
            drainRestAndCheckFinished(batch, r);
        }
    }

    /**
     * A fresh batch of two slots is filled (A, B: finished by its count) while the owner drains it. Fields as in
     * {@link SealVersusDrain}.
     */
    @JCStressTest
    @Description("write A, write B (full) || drain, then drain: A and B once each, the batch finished.")
    @Outcome(id = "1, 1, 0, 0", expect = ACCEPTABLE, desc = "both values once, the batch finished")
    @Outcome(id = ".*", expect = FORBIDDEN, desc = "a value lost or read twice, or never finished")
    @State
    public static class FillVersusDrain
    {
        final RemoteFreeBatch batch = new RemoteFreeBatch(2);

        public FillVersusDrain()
        {
            batch.openPlain(null);
        }

        @Actor
        public void freer()
        {
            batch.writeRelease(A);
            batch.writeRelease(B);
        }

        @Actor
        public void owner(final IIII_Result r)
        {
            drainStep(batch, r);
        }

        @Arbiter
        public void ownerLater(final IIII_Result r)
        {
            drainRestAndCheckFinished(batch, r);
        }
    }

    /**
     * A full batch (A, B) is drained and recycled by the owner while its freer, finding it idle, opens it again
     * and writes C. The owner must have read A and B before it gave the batch back, and never C. r1, r2, r3 as in
     * {@link SealVersusDrain}; r4 = the freer reused the batch (1) or found it still published (0); when it
     * reused it, the arbiter checks the new use holds exactly C (else r4 = 9).
     */
    @JCStressTest
    @Description("drain + recycle || take if idle + open + write C: the owner reads A and B only.")
    @Outcome(id = "1, 1, 0, 0", expect = ACCEPTABLE, desc = "the freer looked before the recycle")
    @Outcome(id = "1, 1, 0, 1", expect = ACCEPTABLE, desc = "the freer reused the recycled batch; its new use holds C")
    @Outcome(id = ".*", expect = FORBIDDEN, desc = "the owner read C or missed a value, or the new use is wrong")
    @State
    public static class RecycleVersusReuse
    {
        final RemoteFreeBatch batch = new RemoteFreeBatch(2);

        public RecycleVersusReuse()
        {
            batch.openPlain(null);
            batch.writeRelease(A);
            batch.writeRelease(B);
        }

        @Actor
        public void owner(final IIII_Result r)
        {
            drainStep(batch, r);
        }

        @Actor
        public void freer(final IIII_Result r)
        {
            reuseIfIdle(batch, r);
        }

        @Arbiter
        public void check(final IIII_Result r)
        {
            checkReuse(batch, r);
        }
    }
}
