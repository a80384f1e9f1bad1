package io.arenaalloc.threads;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.lang.reflect.Field;
import org.junit.jupiter.api.Test;

/**
 * The class-hierarchy padding of the shared objects holds on this JVM (the JVM chooses field offsets and fills
 * holes with a subclass's fields, so the padding is checked, not assumed): in {@link RemoteFreeBatch} the field
 * the freer writes on every remote free, the fields the owner writes on every drain and the hand-over word; in
 * {@link ManagedArena} the words its holder writes and the fields every remote freer reads.
 */
class PaddedLayoutTest
{
    private static final long LINE = 64;

    @Test
    void shouldKeepFreerOwnerAndHandOverFieldsOnSeparateCacheLines() throws ReflectiveOperationException
    {
        final Class<?> c = RemoteFreeBatch.class;
        final long[] freer = {offset(c, "freerSlots"), offset(c, "freerCapacity"), offset(c, "destination")};
        final long[] handOver = {offset(c, "published"), offset(c, "state"), offset(c, "overflowNext")};
        final long[] owner = {offset(c, "slots"), offset(c, "capacity"), offset(c, "readIndex"), offset(c, "consumerNext")};
        assertApart(freer, handOver, "freer / hand-over");
        assertApart(freer, owner, "freer / owner");
        assertApart(handOver, owner, "hand-over / owner");
    }

    @Test
    void shouldKeepManagedArenaHolderWordsAwayFromWhatFreersRead() throws ReflectiveOperationException
    {
        final Class<?> c = ManagedArena.class;
        final long[] holder = {offset(c, "state"), offset(c, "opsSinceDrain"), offset(c, "singleFreesReceived"),
            offset(c, "rehashesHere")};
        final long[] readByFreers = {offset(c, "id"), offset(c, "kind"), offset(c, "arena"), offset(c, "inbox"),
            offset(c, "allocator"), offset(c, "owner")};
        assertApart(holder, readByFreers, "holder / read by freers");
    }

    @Test
    void shouldGiveBothSidesTheSameSlots()
    {
        final RemoteFreeBatch b = new RemoteFreeBatch(8);
        assertTrue(b.freerSlots == b.slots, "one array, two references");
        assertEquals(8, b.capacity());
        assertEquals(8, b.freerCapacity);
    }

    private static void assertApart(final long[] a, final long[] b, final String what)
    {
        for (final long x : a)
        {
            for (final long y : b)
            {
                assertTrue(Math.abs(x - y) >= LINE, what + ": offsets " + x + " and " + y + " share a cache line");
            }
        }
    }

    private static long offset(final Class<?> type, final String name) throws ReflectiveOperationException
    {
        for (Class<?> c = type; c != null; c = c.getSuperclass())
        {
            for (final Field f : c.getDeclaredFields())
            {
                if (f.getName().equals(name))
                {
                    return unsafe().objectFieldOffset(f);
                }
            }
        }
        throw new NoSuchFieldException(name);
    }

    @SuppressWarnings("deprecation")
    private static sun.misc.Unsafe unsafe() throws ReflectiveOperationException
    {
        final Field f = sun.misc.Unsafe.class.getDeclaredField("theUnsafe");
        f.setAccessible(true);
        return (sun.misc.Unsafe)f.get(null);
    }
}
