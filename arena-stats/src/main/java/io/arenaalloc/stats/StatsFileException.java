package io.arenaalloc.stats;

/**
 * A counters file cannot be used: missing, not an arena-stats file, another layout version, or inconsistent.
 * The message is meant for people (arena-stat prints it as is) and names the file and the values found.
 * Thrown by the steps of {@link StatsFileReader#open(java.nio.file.Path, boolean, long)}; the layout it checks
 * is {@link StatsFile}'s.
 */
public final class StatsFileException extends Exception
{
    private static final long serialVersionUID = 1L;

    public StatsFileException(final String message)
    {
        super(message);
    }
}
