package io.arenaalloc.core;

/** {@link OffHeapArena#validate()} found a broken invariant; the message names the first one precisely. */
public class ArenaCorruptionException extends IllegalStateException
{
    private static final long serialVersionUID = 1L;

    public ArenaCorruptionException(final String message)
    {
        super(message);
    }
}
