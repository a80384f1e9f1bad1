package io.arenaalloc.bench.subject;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import org.agrona.UnsafeApi;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;
import org.junit.jupiter.api.Test;

/** Every subject honours the slot contract; baselines load on this platform; skip reasons are right. */
class SubjectsTest
{
    private static boolean linuxX64()
    {
        return System.getProperty("os.name").startsWith("Linux") &&
            ("amd64".equals(System.getProperty("os.arch")) || "x86_64".equals(System.getProperty("os.arch")));
    }

    @ParameterizedTest
    @ValueSource(strings = {"arena", "netty-pooled", "netty-adaptive", "malloc", "allocate-direct", "jemalloc", "rpmalloc"})
    void slotContract(final String name)
    {
        final String reason = Subjects.probe(name);
        assumeTrue(reason == null, name + " cannot run here: " + reason);
        final Subject subject = Subjects.create(name, 64);
        try
        {
            subject.attachThread();
            assertEquals(name, subject.name());
            assertEquals(64, subject.slots());
            for (int slot = 0; slot < 64; slot++)
            {
                assertFalse(subject.isLive(slot));
                final int size = 16 << (slot % 11);
                final long address = subject.allocate(slot, size);
                assertNotEquals(0, address);
                assertTrue(subject.isLive(slot));
                UnsafeApi.putLong(address, slot);
                UnsafeApi.putLong(address + size - 8, ~slot);
            }
            for (int slot = 0; slot < 64; slot += 2)
            {
                subject.free(slot);
                assertFalse(subject.isLive(slot));
            }
            for (int slot = 0; slot < 64; slot += 2)
            {
                UnsafeApi.putLong(subject.allocate(slot, 24), slot);
            }
        }
        finally
        {
            // close() frees the live blocks; a second close is harmless
            subject.close();
            subject.close();
        }
    }

    @Test
    void javaBaselinesAlwaysRun()
    {
        for (final String name : new String[] {"malloc", "allocate-direct", "netty-pooled", "netty-adaptive"})
        {
            assertNull(Subjects.probe(name), name);
        }
    }

    @Test
    void lwjglNativesLoadOnLinuxX64()
    {
        assumeTrue(linuxX64());
        assertNull(Subjects.probe("jemalloc"));
        assertNull(Subjects.probe("rpmalloc"));
    }

    @Test
    void staticSkipReasons()
    {
        assertEquals(Subjects.THREADS_FACADE_MISSING, Subjects.skipReason("arena", true));
        assertEquals(Subjects.THREADS_FACADE_MISSING, Subjects.skipReason("arena-striped", false));
        if (Runtime.version().feature() < 22)
        {
            assertTrue(Subjects.skipReason("ffm", false).startsWith("java.lang.foreign needs JDK 22+"));
        }
        assertTrue(Subjects.probe("no-such-subject").startsWith("probe failed: IllegalArgumentException"));
        assertThrows(IllegalArgumentException.class, () -> Subjects.create("no-such-subject", 1));
    }
}
