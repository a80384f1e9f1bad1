package io.arenaalloc.threads;

import static org.openjdk.jcstress.annotations.Expect.ACCEPTABLE;
import static org.openjdk.jcstress.annotations.Expect.FORBIDDEN;

import java.lang.invoke.MethodHandles;
import java.lang.invoke.VarHandle;

import org.agrona.UnsafeApi;
import org.openjdk.jcstress.annotations.Actor;
import org.openjdk.jcstress.annotations.Arbiter;
import org.openjdk.jcstress.annotations.Description;
import org.openjdk.jcstress.annotations.JCStressTest;
import org.openjdk.jcstress.annotations.Outcome;
import org.openjdk.jcstress.annotations.State;
import org.openjdk.jcstress.infra.results.II_Result;

/**
 * A block handed from the thread that allocated it to another thread, which reads it and frees it: the remote
 * free goes to the owner's inbox. Through the public {@link ArenaAllocator} (PER_THREAD, one allocator shared by
 * every state: the jcstress worker threads own one arena each). The receiver sees the block either not yet
 * published or published with every byte the producer wrote before publishing (release / acquire on the
 * hand-off field), and its free is accepted.
 */
@JCStressTest
@Description("allocate + fill + publish || take + check + free (remote): no torn block, the free is accepted.")
@Outcome(id = "1, 1", expect = ACCEPTABLE, desc = "taken, intact, freed by the receiver")
@Outcome(id = "0, 1", expect = ACCEPTABLE, desc = "not published yet when the receiver looked; the arbiter freed it")
@Outcome(id = ".*", expect = FORBIDDEN, desc = "the receiver saw a torn block, or a free was refused")
@State
public class BlockHandOff
{
    static final ArenaAllocator ALLOCATOR = ArenaAllocator.builder().policy(Policy.PER_THREAD).build();
    static final int SIZE = 64;
    private static final VarHandle PUBLISHED;

    static
    {
        try
        {
            PUBLISHED = MethodHandles.lookup().findVarHandle(BlockHandOff.class, "published", long.class);
        }
        catch (final ReflectiveOperationException ex)
        {
            throw new ExceptionInInitializerError(ex);
        }
    }

    @SuppressWarnings("unused") // through PUBLISHED
    private long published;

    @Actor
    public void producer()
    {
        final long a = ALLOCATOR.allocate(SIZE);
        for (int i = 0; i < SIZE; i += 8)
        {
            UnsafeApi.putLong(a + i, a ^ i);
        }
        PUBLISHED.setRelease(this, a);
    }

    @Actor
    public void receiver(final II_Result r)
    {
        final long a = (long)PUBLISHED.getAcquire(this);
        if (a == 0)
        {
            r.r2 = 1; // nothing to check; the arbiter frees it
            return;
        }
        PUBLISHED.setOpaque(this, 0L); // taken: the arbiter must not free it again
        r.r1 = 1;
        r.r2 = intact(a) ? 1 : 0;
        ALLOCATOR.free(a); // a remote free: the producer's thread owns the arena
    }

    @Arbiter
    public void arbiter(final II_Result r)
    {
        final long a = (long)PUBLISHED.getAcquire(this);
        if (a != 0)
        {
            if (!intact(a))
            {
                r.r2 = 0;
            }
            ALLOCATOR.free(a);
        }
    }

    private static boolean intact(final long a)
    {
        for (int i = 0; i < SIZE; i += 8)
        {
            if (UnsafeApi.getLong(a + i) != (a ^ i))
            {
                return false;
            }
        }
        return true;
    }
}
