package io.arenaalloc.core;

import org.agrona.UnsafeApi;

/** Fills blocks with a pattern derived from a seed and checks it: "nothing is lost". */
final class Patterns
{
    private Patterns()
    {
    }

    /** Byte i of the pattern: the same whether it was written as part of a long or alone. */
    static byte byteAt(final long seed, final long i)
    {
        return (byte)(longAt(seed, i & ~7L) >>> ((i & 7) * 8));
    }

    static void fill(final long address, final long size, final long seed)
    {
        long i = 0;
        for (; i + 8 <= size; i += 8)
        {
            UnsafeApi.putLong(address + i, longAt(seed, i));
        }
        for (; i < size; i++)
        {
            UnsafeApi.putByte(address + i, byteAt(seed, i));
        }
    }

    static long longAt(final long seed, final long i)
    {
        long x = seed * 0x9E3779B97F4A7C15L + i * 0xC2B2AE3D27D4EB4FL;
        x ^= x >>> 31;
        x *= 0xBF58476D1CE4E5B9L;
        return x ^ (x >>> 27);
    }

    /** @return -1 when intact, else the first offset that differs. */
    static long firstMismatch(final long address, final long size, final long seed)
    {
        long i = 0;
        for (; i + 8 <= size; i += 8)
        {
            if (UnsafeApi.getLong(address + i) != longAt(seed, i))
            {
                return i;
            }
        }
        for (; i < size; i++)
        {
            if (UnsafeApi.getByte(address + i) != byteAt(seed, i))
            {
                return i;
            }
        }
        return -1;
    }

    static void check(final long address, final long size, final long seed, final String what)
    {
        final long at = firstMismatch(address, size, seed);
        if (at >= 0)
        {
            throw new AssertionError(what + ": pattern broken at offset " + at + " of block 0x" +
                Long.toHexString(address) + " size " + size + " seed " + seed);
        }
    }
}
