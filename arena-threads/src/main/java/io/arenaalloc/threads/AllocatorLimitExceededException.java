package io.arenaalloc.threads;

import io.arenaalloc.core.ArenaLimitExceededException;

/**
 * An {@link ArenaAllocator} could not serve a request within its limits: the global
 * {@code maxTotalBytes} across all its arenas, or the per-arena limit of {@code ArenaConfig}. Thrown
 * after the allocator drained the arena's remote frees, compacted it (when
 * {@code ArenaConfig.compactOnAllocationFailure}) and, when {@code limitWaitNanos > 0}, waited that long
 * for remote frees and released chunks. Carries the figures so a caller can shed load, wait or fail.
 */
public class AllocatorLimitExceededException extends ArenaLimitExceededException
{
    private static final long serialVersionUID = 1L;

    private final boolean global;
    private final long waitedNanos;
    private final String message;

    public AllocatorLimitExceededException(
        final long requestedBytes,
        final long limitBytes,
        final long committedBytes,
        final long liveBytes,
        final boolean global,
        final long waitedNanos,
        final String detail)
    {
        super(requestedBytes, limitBytes, committedBytes, liveBytes);
        this.global = global;
        this.waitedNanos = waitedNanos;
        this.message = "cannot allocate size=" + requestedBytes + ": " + (global ? "global limit maxTotalBytes=" :
            "arena limit maxTotalBytes=") + limitBytes + " reached (committed=" + committedBytes + ", live=" + liveBytes +
            (detail == null ? "" : ", " + detail) + ")" + (waitedNanos > 0 ? " after waiting " + waitedNanos +
            " ns for remote frees and released chunks" : "");
    }

    /** @return true for the allocator-wide limit, false for one arena's own limit. */
    public boolean isGlobal()
    {
        return global;
    }

    /** @return how long the allocator waited for memory before giving up (0 without back-pressure). */
    public long waitedNanos()
    {
        return waitedNanos;
    }

    public String getMessage()
    {
        return message;
    }
}
