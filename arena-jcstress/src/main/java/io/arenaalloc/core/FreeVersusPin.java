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

/**
 * Free versus pin ({@link HandleTable} Javadoc, steps "free" and "pin"): the owner frees a handle while
 * another thread pins it. Exactly one wins: either the free succeeds and the pin throws
 * {@link StaleHandleException}, or the pin succeeds and the free throws {@link IllegalStateException}
 * ("pinned") and changes nothing. Never both.
 *
 * <p>r1 = free: 1 succeeded, 2 threw "pinned", 3 threw stale; r2 = pin: 1 got block A, 2 threw stale,
 * 9 got another address; r3 = arbiter: -1 when the handle is no longer current (freed), else its pin count.
 */
@JCStressTest
@Description("free (owner) || pin (other thread): exactly one succeeds.")
@Outcome(id = "1, 2, -1", expect = ACCEPTABLE, desc = "free first: pin threw StaleHandleException; handle no longer current")
@Outcome(id = "2, 1, 1", expect = ACCEPTABLE, desc = "pin first: free threw 'pinned' and changed nothing; one pin held")
@Outcome(id = "1, 1, .*", expect = FORBIDDEN, desc = "both succeeded: the pinner holds the address of a freed block")
@Outcome(id = "2, 2, .*", expect = FORBIDDEN, desc = "both failed")
@Outcome(id = ".*", expect = FORBIDDEN, desc = "any other outcome")
@State
public class FreeVersusPin
{
    final HandleTable table = SharedTable.TABLE;
    final TwoBlocks blocks;
    final long handle;

    public FreeVersusPin()
    {
        synchronized (SharedTable.OWNER)
        {
            blocks = TwoBlocks.take();
            handle = table.allocate(blocks.a, TwoBlocks.BLOCK);
        }
    }

    @Actor
    public void owner(final III_Result r)
    {
        try
        {
            table.release(handle, "free");
            r.r1 = 1;
        }
        catch (final StaleHandleException ex)
        {
            r.r1 = 3;
        }
        catch (final IllegalStateException ex)
        {
            r.r1 = 2;
        }
    }

    @Actor
    public void pinner(final III_Result r)
    {
        try
        {
            r.r2 = table.pin(handle) == blocks.a ? 1 : 9;
        }
        catch (final StaleHandleException ex)
        {
            r.r2 = 2;
        }
    }

    @Arbiter
    public void arbiter(final III_Result r)
    {
        r.r3 = SharedTable.isCurrent(handle) ? table.pins(handle) : -1;
        SharedTable.giveBack(handle, blocks);
    }
}
