package io.arenaalloc.core;

/** A handle whose block was freed (its slot's generation moved on), or that was never issued. */
public class StaleHandleException extends InvalidBlockException
{
    private static final long serialVersionUID = 1L;

    public StaleHandleException(final String message)
    {
        super(message);
    }
}
