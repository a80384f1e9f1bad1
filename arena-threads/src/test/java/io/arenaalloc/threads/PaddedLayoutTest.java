package io.arenaalloc.threads;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.lang.reflect.Field;
import org.junit.jupiter.api.Test;

/**
 * The class-hierarchy padding of the shared objects holds on this JVM (the JVM chooses field offsets and fills
 * holes with a subclass's fields, so the padding is checked, not assumed): in {@link RemoteFreeBatch} the field
 * the freer writes on every remote free, the fields the owner writes on every drain and the hand-over word; in
 * {@link ManagedArena} the words its holder writes and the fields every remote freer reads; in {@link StripeSchedule}
 * what {@code maintain()} writes, a line away from whatever the heap puts before or after it.
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
    void shouldKeepTheStripeScheduleALineAwayFromItsNeighbours() throws ReflectiveOperationException
    {
        final Class<?> c = StripeSchedule.class;
        final long[] written = {offset(c, "nextNanos"), offset(c, "cursor")};
        long lastPad = 0;
        for (final Field f : c.getDeclaredFields())
        {
            lastPad = Math.max(lastPad, unsafe().objectFieldOffset(f));
        }
        for (final long x : written)
        {
            assertTrue(x >= LINE, "offset " + x + " is on the object's first line, where the object before it may end");
            assertTrue(lastPad - x >= LINE, "offset " + x + " is within a line of the object's end (last pad at " +
                lastPad + ")");
        }
    }

    @Test
    void shouldKeepMaintainWritesOffTheAllocatorObject()
    {
        for (Class<?> c = ArenaAllocator.class; c != Object.class; c = c.getSuperclass())
        {
            for (final Field f : c.getDeclaredFields())
            {
                final int mod = f.getModifiers();
                if (!java.lang.reflect.Modifier.isStatic(mod) && !java.lang.reflect.Modifier.isFinal(mod))
                {
                    assertTrue(java.util.Set.of("hot0", "hot1", "stripes", "closed", "closedOnMaintenanceThread", "lastRemoteFreeError",
                        "maintenanceListener").contains(f.getName()), c.getSimpleName() + "." + f.getName() +
                        " is a mutable field of the allocator object, which shares its first line with the context " +
                        "table's hot fields: expected only the fields written on rare events (close, errors, set-up)");
                }
            }
        }
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
