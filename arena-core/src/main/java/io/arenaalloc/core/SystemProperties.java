package io.arenaalloc.core;

import java.util.function.Function;

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
        return parse(name, defaultValue, Long::decode, "a long");
    }

    /** @return the property as an int, or {@code defaultValue} when it is not set. */
    public static int intValue(final String name, final int defaultValue)
    {
        return parse(name, defaultValue, Integer::decode, "an int");
    }

    /** @return the property as a double, or {@code defaultValue} when it is not set. */
    public static double doubleValue(final String name, final double defaultValue)
    {
        return parse(name, defaultValue, Double::parseDouble, "a number");
    }

    /** @return the property as a boolean ({@code true} or {@code false}), or {@code defaultValue} when it is not set. */
    public static boolean booleanValue(final String name, final boolean defaultValue)
    {
        return parse(name, defaultValue, SystemProperties::strictBoolean, "true or false");
    }

    private static Boolean strictBoolean(final String value)
    {
        if ("true".equalsIgnoreCase(value))
        {
            return Boolean.TRUE;
        }
        if ("false".equalsIgnoreCase(value))
        {
            return Boolean.FALSE;
        }
        throw new IllegalArgumentException(value);
    }

    /** Reads {@code name}, trimmed, through {@code parser}; a value it refuses is reported with {@code expected}. */
    private static <T> T parse(final String name, final T defaultValue, final Function<String, T> parser,
        final String expected)
    {
        final String value = System.getProperty(name);
        if (value == null)
        {
            return defaultValue;
        }
        try
        {
            return parser.apply(value.trim());
        }
        catch (final IllegalArgumentException ex) // NumberFormatException included
        {
            throw new IllegalArgumentException(name + "=" + value + ", expected " + expected + " (system property)", ex);
        }
    }
}
