package io.arenaalloc.core;

/**
 * The arena would exceed its {@code maxTotalBytes} to serve a request. Carries the request, the limit
 * and the bytes the arena holds, so a caller can decide to shed load, wait or fail.
 */
public class ArenaLimitExceededException extends RuntimeException
{
    private static final long serialVersionUID = 1L;

    private final long requestedBytes;
    private final long limitBytes;
    private final long committedBytes;
    private final long liveBytes;

    public ArenaLimitExceededException(
        final long requestedBytes, final long limitBytes, final long committedBytes, final long liveBytes)
    {
        super("cannot allocate size=" + requestedBytes + ": limit maxTotalBytes=" + limitBytes +
            " reached (committed=" + committedBytes + ", live=" + liveBytes + ")");
        this.requestedBytes = requestedBytes;
        this.limitBytes = limitBytes;
        this.committedBytes = committedBytes;
        this.liveBytes = liveBytes;
    }

    public long requestedBytes()
    {
        return requestedBytes;
    }

    public long limitBytes()
    {
        return limitBytes;
    }

    public long committedBytes()
    {
        return committedBytes;
    }

    public long liveBytes()
    {
        return liveBytes;
    }
}
