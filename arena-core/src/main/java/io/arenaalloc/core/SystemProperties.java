package io.arenaalloc.core;

/**
 * Strict reading of the {@code arena.*} system properties that set configuration defaults
 * ({@link ArenaConfig}, and the builders of arena-threads and arena-stats).
 *
 * <p>{@code Long.getLong}, {@code Integer.getInteger} and {@code Boolean.parseBoolean} ignore a value they cannot
 * parse and return the default, so {@code -Darena.chunkSize=4M} or {@code -Darena.debug=yes} would run silently
 * with the defaults. Here a property that is set must parse, or the builder that reads it throws an
 * {@link IllegalArgumentException} naming the property, its value and what was expected. A property that is not
 * set gives the default. Numbers are read with {@code Long.decode}/{@code Integer.decode} (decimal, {@code 0x}
 * hex, leading {@code #} or {@code 0} octal), booleans as {@code true} or {@code false} in any case, surrounding
 * blanks ignored.
 */
public final class SystemProperties
{
    private SystemProperties()
    {
    }

    /** @return the property as a long, or {@code defaultValue} when it is not set. */
    public static long longValue(final String name, final long defaultValue)
    {
        final String value = System.getProperty(name);
        if (value == null)
        {
            return defaultValue;
        }
        try
        {
            return Long.decode(value.trim());
        }
        catch (final NumberFormatException ex)
        {
            throw new IllegalArgumentException(name + "=" + value + ", expected a long (system property)", ex);
        }
    }

    /** @return the property as an int, or {@code defaultValue} when it is not set. */
    public static int intValue(final String name, final int defaultValue)
    {
        final String value = System.getProperty(name);
        if (value == null)
        {
            return defaultValue;
        }
        try
        {
            return Integer.decode(value.trim());
        }
        catch (final NumberFormatException ex)
        {
            throw new IllegalArgumentException(name + "=" + value + ", expected an int (system property)", ex);
        }
    }

    /** @return the property as a double, or {@code defaultValue} when it is not set. */
    public static double doubleValue(final String name, final double defaultValue)
    {
        final String value = System.getProperty(name);
        if (value == null)
        {
            return defaultValue;
        }
        try
        {
            return Double.parseDouble(value.trim());
        }
        catch (final NumberFormatException ex)
        {
            throw new IllegalArgumentException(name + "=" + value + ", expected a number (system property)", ex);
        }
    }

    /** @return the property as a boolean ({@code true} or {@code false}), or {@code defaultValue} when it is not set. */
    public static boolean booleanValue(final String name, final boolean defaultValue)
    {
        final String value = System.getProperty(name);
        if (value == null)
        {
            return defaultValue;
        }
        final String v = value.trim();
        if ("true".equalsIgnoreCase(v))
        {
            return true;
        }
        if ("false".equalsIgnoreCase(v))
        {
            return false;
        }
        throw new IllegalArgumentException(name + "=" + value + ", expected true or false (system property)");
    }
}
