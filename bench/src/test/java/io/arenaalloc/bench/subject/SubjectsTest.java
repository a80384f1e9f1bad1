package io.arenaalloc.bench.subject;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import java.util.concurrent.atomic.AtomicReference;

import io.arenaalloc.threads.AllocatorCounters;
import io.arenaalloc.threads.ArenaAllocator;
import org.agrona.UnsafeApi;
import org.jctools.queues.SpscArrayQueue;
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
    @ValueSource(strings = {"arena", "arena-striped", "netty-pooled", "netty-adaptive", "malloc", "allocate-direct", "jemalloc", "rpmalloc", "ffm"})
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
        assertNull(Subjects.skipReason("arena", true));
        assertNull(Subjects.skipReason("arena-striped", false));
        assertNull(Subjects.skipReason("arena-striped", true));
        if (Runtime.version().feature() < 22)
        {
            assertTrue(Subjects.skipReason("ffm", false).startsWith("java.lang.foreign needs JDK 22+"));
        }
        assertTrue(Subjects.probe("no-such-subject").startsWith("probe failed: IllegalArgumentException"));
        assertThrows(IllegalArgumentException.class, () -> Subjects.create("no-such-subject", 1));
    }

    /**
     * {@code ffm}: on JDK 22+ the versioned class is found, probes clean and honours the slot contract
     * (slotContract above); below JDK 22 every way in reports the JDK as the reason.
     */
    @Test
    void ffmRunsOnJdk22PlusAndIsSkippedWithTheReasonBefore()
    {
        if (Runtime.version().feature() >= 22)
        {
            assertNull(Subjects.skipReason("ffm", false));
            assertNull(Subjects.skipReason("ffm", true));
            try (Subject ffm = Subjects.create("ffm", 4, true))
            {
                assertEquals("ffm", ffm.name());
                assertEquals(Subjects.FFM_CLASS, ffm.getClass().getName());
            }
        }
        else
        {
            final String reason = "java.lang.foreign needs JDK 22+, this JVM is " + System.getProperty("java.version");
            assertEquals(reason, Subjects.skipReason("ffm", false));
            assertEquals(reason, Subjects.skipReason("ffm", true));
            assertEquals("probe failed: UnsupportedOperationException: " + reason, Subjects.probe("ffm"));
            final UnsupportedOperationException ex =
                assertThrows(UnsupportedOperationException.class, () -> Subjects.create("ffm", 1));
            assertEquals(reason, ex.getMessage());
        }
    }

    /** Single-thread workloads get the bare arena, multi-thread ones the PER_THREAD facade; striped is always the facade. */
    @Test
    void arenaFlavours()
    {
        try (Subject bare = Subjects.create("arena", 1);
             Subject perThread = Subjects.create("arena", 1, true);
             Subject striped = Subjects.create("arena-striped", 1, false))
        {
            assertEquals("ArenaSubject", bare.getClass().getSimpleName());
            assertEquals("arena", perThread.name());
            assertEquals("PER_THREAD", ((ArenaAllocatorSubject)perThread).allocator().policy().name());
            assertEquals("arena-striped", striped.name());
            assertEquals("STRIPED", ((ArenaAllocatorSubject)striped).allocator().policy().name());
        }
    }

    /**
     * The handoff pattern on the facade: a producer allocates, a consumer on another thread frees. The
     * remotely freed blocks must come back (drained by the producer's own allocations), so the committed
     * bytes stay near the in-flight volume however many blocks pass; close() closes the allocator.
     */
    @ParameterizedTest
    @ValueSource(strings = {"arena", "arena-striped"})
    void remoteFreesComeBack(final String name) throws Exception
    {
        final int inFlight = 1024;
        final int blocks = 400_000;
        final ArenaAllocatorSubject subject = (ArenaAllocatorSubject)Subjects.create(name, inFlight, true);
        final ArenaAllocator allocator = subject.allocator();
        final SpscArrayQueue<Integer> full = new SpscArrayQueue<>(inFlight);
        final SpscArrayQueue<Integer> empty = new SpscArrayQueue<>(inFlight);
        for (int i = 0; i < inFlight; i++)
        {
            empty.offer(i);
        }
        final AtomicReference<Throwable> failure = new AtomicReference<>();
        final Thread consumer = new Thread(() ->
        {
            try
            {
                for (int n = 0; n < blocks; n++)
                {
                    Integer slot;
                    while ((slot = full.relaxedPoll()) == null)
                    {
                        Thread.onSpinWait();
                    }
                    subject.free(slot);
                    empty.offer(slot);
                }
            }
            catch (final Throwable ex)
            {
                failure.set(ex);
            }
        });
        consumer.start();
        long maxCommitted = 0;
        for (int n = 0; n < blocks && failure.get() == null; n++)
        {
            Integer slot;
            while ((slot = empty.relaxedPoll()) == null)
            {
                Thread.onSpinWait();
            }
            UnsafeApi.putLong(subject.allocate(slot, 16 + (n % 241)), n);
            full.offer(slot);
            if ((n & 4095) == 0)
            {
                maxCommitted = Math.max(maxCommitted, allocator.committedBytes());
            }
        }
        consumer.join(60_000);
        assertNull(failure.get());
        // 400k blocks of ~136 B = ~54 MB passed through; at most 1024 were live at once (~256 KiB)
        assertTrue(maxCommitted < (16 << 20), name + " committed " + maxCommitted + " bytes: remote frees not reclaimed");
        assertEquals(0, allocator.counters().get(AllocatorCounters.REMOTE_FREE_ERRORS));
        assertNull(allocator.lastRemoteFreeError());
        subject.close();
        assertTrue(allocator.isClosed());
    }
}
