package io.arenaalloc.core;

/**
 * An address or handle that does not name a live block of this arena: foreign, not a block start,
 * already freed (double free), or a stale handle. The arena is left exactly as it was.
 */
public class InvalidBlockException extends IllegalArgumentException
{
    private static final long serialVersionUID = 1L;

    public InvalidBlockException(final String message)
    {
        super(message);
    }
}
