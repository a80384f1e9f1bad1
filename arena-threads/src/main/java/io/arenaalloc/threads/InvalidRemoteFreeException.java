package io.arenaalloc.threads;

import io.arenaalloc.core.InvalidBlockException;

/**
 * A remote free that the owner of the block's arena rejected when it applied it (a double free, a stale
 * handle, an address inside a block): reported to the allocator's {@code ErrorHandler} and kept as
 * {@link ArenaAllocator#lastRemoteFreeError()}, because the freer had already returned. The cause is the
 * arena's own exception, which names the precise reason.
 */
public class InvalidRemoteFreeException extends InvalidBlockException
{
    private static final long serialVersionUID = 1L;

    private final long value;
    private final int arenaId;

    public InvalidRemoteFreeException(final long value, final int arenaId, final Throwable cause)
    {
        super("remote free of " + (value < 0 ? "handle=0x" : "address=0x") + Long.toHexString(value) +
            " rejected by the owner of arena " + arenaId + ": " + (cause == null ? "?" : cause.getMessage()));
        this.value = value;
        this.arenaId = arenaId;
        if (cause != null)
        {
            initCause(cause);
        }
    }

    /** @return the address or handle that was freed. */
    public long value()
    {
        return value;
    }

    public int arenaId()
    {
        return arenaId;
    }
}
