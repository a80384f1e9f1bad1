package io.arenaalloc.core;

/**
 * Fails fast, with a message that names the missing JVM flag, when Agrona 2.x cannot reach
 * {@code jdk.internal.misc.Unsafe}. Every entry point that touches native memory runs
 * {@link #ensureAvailable()} once (in a static initialiser).
 */
public final class UnsafeAccess
{
    /** The flag every JVM that runs this library needs. */
    public static final String REQUIRED_FLAG = "--add-exports java.base/jdk.internal.misc=ALL-UNNAMED";

    private static final Throwable FAILURE = probe();

    private UnsafeAccess()
    {
    }

    private static Throwable probe()
    {
        try
        {
            final long address = org.agrona.UnsafeApi.allocateMemory(8);
            org.agrona.UnsafeApi.putLong(address, 42L);
            org.agrona.UnsafeApi.freeMemory(address);
            return null;
        }
        catch (final Throwable t)
        {
            return t;
        }
    }

    /** @throws IllegalStateException naming {@link #REQUIRED_FLAG} when Unsafe is out of reach. */
    public static void ensureAvailable()
    {
        if (FAILURE != null)
        {
            throw new IllegalStateException("arena-alloc needs the JVM flag " + REQUIRED_FLAG +
                " (Agrona 2.x reaches jdk.internal.misc.Unsafe); add it to the java command line, surefire argLine, " +
                "JMH jvmArgsAppend or the jar manifest (Add-Exports: java.base/jdk.internal.misc)", FAILURE);
        }
    }
}
