package io.arenaalloc.netty;

import io.netty.buffer.ByteBuf;

import static org.junit.jupiter.api.Assertions.fail;

/** Seeded byte patterns written into and checked in buffers: "nothing lost, nothing overlapping". */
final class BufPatterns
{
    private BufPatterns()
    {
    }

    static byte byteAt(final long seed, final long i)
    {
        long x = seed * 0x9E3779B97F4A7C15L + (i >>> 3) * 0xC2B2AE3D27D4EB4FL;
        x ^= x >>> 31;
        x *= 0xBF58476D1CE4E5B9L;
        x ^= x >>> 27;
        return (byte)(x >>> ((i & 7) * 8));
    }

    /** Appends {@code length} pattern bytes (pattern offsets continue from the writer index). */
    static void write(final ByteBuf buf, final int length, final long seed)
    {
        final int start = buf.writerIndex();
        for (int i = 0; i < length; i++)
        {
            buf.writeByte(byteAt(seed, start + i));
        }
    }

    /** Fills {@code [0, length)} with setBytes of the whole pattern at once. */
    static void set(final ByteBuf buf, final int length, final long seed)
    {
        final byte[] b = new byte[length];
        for (int i = 0; i < length; i++)
        {
            b[i] = byteAt(seed, i);
        }
        buf.setBytes(0, b);
    }

    /** Checks {@code [0, length)} holds the pattern. */
    static void check(final ByteBuf buf, final int length, final long seed, final String what)
    {
        for (int i = 0; i < length; i++)
        {
            final byte b = buf.getByte(i);
            if (b != byteAt(seed, i))
            {
                fail(what + ": byte " + i + " of " + length + " is " + b + ", expected " + byteAt(seed, i) + " (seed " +
                    seed + ", " + buf + ")");
            }
        }
    }
}
